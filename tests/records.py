"""Hand-built canonical records for the unit tests of checks and decide."""

from __future__ import annotations

from typing import Any

from extractor.record import empty_record, record_to_dict
from extractor.template import TemplateId


def consistent(template: TemplateId = "2021") -> dict[str, Any]:
    """A record every rule holds on: 4 received + 1 carried over = 3 granted + 2 carried forward."""
    r = record_to_dict(empty_record(template, 2024, "某县人民政府"))
    apps = r["applications"]
    apps["new_received"] = [3, 1, 0, 0, 0, 0, 4]
    apps["carried_over"] = [1, 0, 0, 0, 0, 0, 1]
    apps["granted"] = [2, 1, 0, 0, 0, 0, 3]
    apps["total_processed"] = [2, 1, 0, 0, 0, 0, 3]
    apps["carried_forward"] = [2, 0, 0, 0, 0, 0, 2]
    r["review_litigation"]["review"] = [1, 1, 0, 0, 2]
    return r
