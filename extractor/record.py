"""The canonical record (FORMAT.md, label format version 1) as pydantic models, both templates."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .template import TemplateId, application_rows

Row7 = Annotated[list[int], Field(min_length=7, max_length=7)]
Row5 = Annotated[list[int], Field(min_length=5, max_length=5)]
Amount = Union[int, float]

FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Triple2021(_Strict):
    issued: int = 0
    repealed: int = 0
    in_force: int = 0


class Active2021(_Strict):
    rules: Triple2021 = Field(default_factory=Triple2021)
    normative_documents: Triple2021 = Field(default_factory=Triple2021)
    licensing_decisions: int = 0
    punishment_decisions: int = 0
    enforcement_decisions: int = 0
    fees_wan_yuan: Amount = 0


class Docs2019(_Strict):
    new_made: int = 0
    new_published: int = 0
    total_published: int = 0


class Items2019(_Strict):
    prev_year_items: int = 0
    change: int = 0
    decisions: int = 0


class Fees2019(_Strict):
    prev_year_items: int = 0
    change: int = 0


class Procurement2019(_Strict):
    items: int = 0
    amount_wan_yuan: Amount = 0


class Active2019(_Strict):
    rules: Docs2019 = Field(default_factory=Docs2019)
    normative_documents: Docs2019 = Field(default_factory=Docs2019)
    licensing: Items2019 = Field(default_factory=Items2019)
    other_services: Items2019 = Field(default_factory=Items2019)
    punishment: Items2019 = Field(default_factory=Items2019)
    enforcement: Items2019 = Field(default_factory=Items2019)
    fees: Fees2019 = Field(default_factory=Fees2019)
    procurement: Procurement2019 = Field(default_factory=Procurement2019)


def _zeros7() -> list[int]:
    return [0] * 7


def _zeros5() -> list[int]:
    return [0] * 5


class _ApplicationsBase(_Strict):
    new_received: Row7 = Field(default_factory=_zeros7)
    carried_over: Row7 = Field(default_factory=_zeros7)
    granted: Row7 = Field(default_factory=_zeros7)
    partially_granted: Row7 = Field(default_factory=_zeros7)
    withheld_state_secret: Row7 = Field(default_factory=_zeros7)
    withheld_prohibited_by_law: Row7 = Field(default_factory=_zeros7)
    withheld_three_safeties_one_stability: Row7 = Field(default_factory=_zeros7)
    withheld_third_party_rights: Row7 = Field(default_factory=_zeros7)
    withheld_internal_affairs: Row7 = Field(default_factory=_zeros7)
    withheld_process_information: Row7 = Field(default_factory=_zeros7)
    withheld_enforcement_files: Row7 = Field(default_factory=_zeros7)
    withheld_administrative_query: Row7 = Field(default_factory=_zeros7)
    unavailable_not_held: Row7 = Field(default_factory=_zeros7)
    unavailable_needs_creation: Row7 = Field(default_factory=_zeros7)
    unavailable_unclear_after_correction: Row7 = Field(default_factory=_zeros7)
    not_processed_petition: Row7 = Field(default_factory=_zeros7)
    not_processed_duplicate: Row7 = Field(default_factory=_zeros7)
    not_processed_publication: Row7 = Field(default_factory=_zeros7)
    not_processed_mass_repeated: Row7 = Field(default_factory=_zeros7)
    not_processed_confirmation: Row7 = Field(default_factory=_zeros7)


class Applications2021(_ApplicationsBase):
    other_overdue_correction: Row7 = Field(default_factory=_zeros7)
    other_overdue_fee: Row7 = Field(default_factory=_zeros7)
    other_other: Row7 = Field(default_factory=_zeros7)
    total_processed: Row7 = Field(default_factory=_zeros7)
    carried_forward: Row7 = Field(default_factory=_zeros7)


class Applications2019(_ApplicationsBase):
    other_processing: Row7 = Field(default_factory=_zeros7)
    total_processed: Row7 = Field(default_factory=_zeros7)
    carried_forward: Row7 = Field(default_factory=_zeros7)


class ReviewLitigation(_Strict):
    review: Row5 = Field(default_factory=_zeros5)
    litigation_direct: Row5 = Field(default_factory=_zeros5)
    litigation_after_review: Row5 = Field(default_factory=_zeros5)


class Record2021(_Strict):
    organization: str = ""
    year: int
    template: Literal["2021"] = "2021"
    active_disclosure: Active2021 = Field(default_factory=Active2021)
    applications: Applications2021 = Field(default_factory=Applications2021)
    review_litigation: ReviewLitigation = Field(default_factory=ReviewLitigation)
    source_inconsistencies: list[str] = Field(default_factory=list)


class Record2019(_Strict):
    organization: str = ""
    year: int
    template: Literal["2019"] = "2019"
    active_disclosure: Active2019 = Field(default_factory=Active2019)
    applications: Applications2019 = Field(default_factory=Applications2019)
    review_litigation: ReviewLitigation = Field(default_factory=ReviewLitigation)
    source_inconsistencies: list[str] = Field(default_factory=list)


Record = Annotated[Union[Record2021, Record2019], Field(discriminator="template")]
# cast: pydantic 2.14's stubs reject an Annotated union as TypeAdapter's argument (it works)
_RECORD_ADAPTER: TypeAdapter[Record2021 | Record2019] = TypeAdapter(cast(Any, Record))

# The key order of FORMAT.md must be kept; pydantic dumps fields in declaration order.
assert list(Applications2021.model_fields) == list(application_rows("2021"))
assert list(Applications2019.model_fields) == list(application_rows("2019"))


def parse_record(data: Any) -> Record2021 | Record2019:
    """Validate a dict (e.g. a gold.json or a reviewer's correction) as a canonical record."""
    return _RECORD_ADAPTER.validate_python(data)


def record_to_dict(record: Record2021 | Record2019) -> dict[str, Any]:
    """The record as the JSON object of FORMAT.md."""
    return record.model_dump(mode="json")


def empty_record(template: TemplateId, year: int = 0, organization: str = "") -> Record2021 | Record2019:
    cls = Record2021 if template == "2021" else Record2019
    return cls(year=year, organization=organization)


def record_cells(record: dict[str, Any] | None) -> list[tuple[str, str, str, str, Any]]:
    """Every number of a canonical record as (table, row, col, field, value)."""
    if not record:
        return []
    out: list[tuple[str, str, str, str, Any]] = []
    for table in ("active_disclosure", "applications", "review_litigation"):
        for row, value in (record.get(table) or {}).items():
            if isinstance(value, list):
                for i, v in enumerate(value):
                    out.append((table, row, str(i), f"{table}.{row}[{i}]", v))
            elif isinstance(value, dict):
                for col, v in value.items():
                    out.append((table, row, col, f"{table}.{row}.{col}", v))
            else:
                out.append((table, row, "", f"{table}.{row}", value))
    return out


def cell_values(record: dict[str, Any] | None) -> dict[str, Any]:
    """Every number of a record by its path, e.g. 'applications.granted[6]' (CellProvenance.field)."""
    return {field: value for _t, _r, _c, field, value in record_cells(record)}
