"""The review service's work over the results store: uploads and their source text, reviews, gold."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from .. import store as st
from ..checks import RULES, check_record
from ..crosscheck import other_years
from ..errors import ExtractorError, LoadError, NoGoldError, ReviewInputError
from ..load.read import read_input
from ..names import to_fs
from ..readings import AmbiguousRun, apply_reading, runs_of, with_other_years
from ..record import parse_record, record_to_dict
from ..reuse import extraction_config, still_valid
from ..settings import Settings
from ..workers import Workers

GOLD_DECISIONS = ("accept", "source_inconsistent")

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def upload_path(sha256: str, name: str) -> str:
    # Uploads get a path of their own per content: two different files both called report.pdf must
    # not retire each other (the store keeps one current extraction per path).
    return f"upload:{sha256[:16]}/{safe_name(name)}"


def safe_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = re.sub(r"[\x00-\x1f]", "", base)
    return base[:200] or "upload"


class Submitter:
    """Extracts uploads once per content and configuration, even when the same file races in twice.

    The extraction runs in one of `settings.workers` worker processes (workers.py), so an upload
    gets at most EXTRACTOR_FILE_TIMEOUT_S and EXTRACTOR_FILE_MEMORY_MB and then frees its slot."""

    def __init__(self, store: st.Store, settings: Settings, workers: Workers):
        self.store = store
        self.settings = settings
        self.workers = workers
        self.config = extraction_config(settings)
        # Lock stripes keyed by content: one file uploaded twice at once is extracted once, with a
        # bounded number of locks however many files come in.
        self._locks = [threading.Lock() for _ in range(64)]

    def _lock_for(self, sha: str) -> threading.Lock:
        return self._locks[int(sha[:8], 16) % len(self._locks)]

    def existing(self, sha: str) -> int | None:
        # Same content and configuration: that result, even a failed one (the API is idempotent).
        # Otherwise the rule of `extractor run`: a result the new configuration would not change.
        rows = st.current_for_sha(self.store, sha)
        for row in rows:
            if row["config_key"] == self.config.key:
                return int(row["id"])
        for row in rows:
            if still_valid(row, self.config):
                return int(row["id"])
        return None

    def submit(self, data: bytes, name: str) -> tuple[int, bool]:
        """(extraction id, created). Never raises for a bad report: it is stored as failed."""
        sha = hashlib.sha256(data).hexdigest()
        with self._lock_for(sha):
            found = self.existing(sha)
            if found is not None:
                return found, False
            # at most `workers` extractions at once (the others wait for a worker)
            result = self.workers.run(data, safe_name(name))
            eid = st.save_result(self.store, result, config_key=self.config.key, config=self.config.detail,
                                 llm_setting=self.config.llm, path=upload_path(sha, name))
            # The text is loaded when a reviewer first opens the report (most never need it).
            st.save_document(self.store, sha, safe_name(name), result.format, None, data)
            return eid, True


def _loaded_text(data: bytes, name: str, settings: Settings) -> str | None:
    # The result's spans point into Document.text; the pipeline does not hand the document back.
    from ..load import load_bytes

    try:
        return load_bytes(data, name, settings).text
    except ExtractorError:
        return None


def source_text(store: st.Store, extraction: dict[str, Any], settings: Settings) -> str | None:
    """The loaded text the provenance spans point into: stored at upload, or re-read from the path
    `extractor run` recorded (when the file is still there with the same content)."""
    sha = extraction.get("sha256") or ""
    if not sha:
        return None
    doc = st.get_document(store, sha)
    if doc and doc["text"] is not None:
        return str(doc["text"])
    data = doc["data"] if doc and doc["data"] is not None else \
        _read_path(extraction.get("path") or "", sha, extraction.get("size"))
    if data is None:
        return None
    text = _loaded_text(bytes(data), extraction.get("path") or "input", settings)
    name = safe_name(extraction.get("path") or "input")
    st.save_document(store, sha, name, extraction.get("format"), text, None)
    return text


def _read_path(path: str, sha: str, size: int | None) -> bytes | None:
    """The file `extractor run` read, if it is still there with the same content (a regular file
    only: whatever took its place is never waited on)."""
    if not path or "!" in path or path.startswith("upload:") or not size:
        return None
    try:
        data = read_input(to_fs(path), Settings(max_file_bytes=size), regular_only=True)
    except LoadError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha else None


def input_bytes(store: st.Store, extraction: dict[str, Any]) -> bytes | None:
    sha = extraction.get("sha256") or ""
    doc = st.get_document(store, sha) if sha else None
    if doc and doc["data"] is not None:
        return bytes(doc["data"])
    return _read_path(extraction.get("path") or "", sha, extraction.get("size"))


# ---------------------------------------------------------------- checks and reviews


def check(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The deterministic checks' findings for a (reviewed) record, as JSON dicts."""
    return [f.model_dump(mode="json") for f in check_record(record)]


def failing_rules(findings: list[dict[str, Any]]) -> list[str]:
    """The four consistency rules broken, in FORMAT.md order (the `source_inconsistencies` list)."""
    broken = {f["rule"] for f in findings if f.get("severity") != "info"}
    return [r for r in RULES if r in broken]


def validate_record(record: Any) -> dict[str, Any]:
    try:
        return record_to_dict(parse_record(record))
    except ValidationError as e:
        details = [{"loc": ".".join(str(x) for x in err["loc"]), "msg": err["msg"], "type": err["type"]}
                   for err in e.errors()]
        raise ReviewInputError("invalid_record", "the record is not a valid canonical record (FORMAT.md)",
                               details) from e


def add_review(store: st.Store, extraction_id: int, *, reviewer: str, decision: str,
               record: Any | None, note: str | None) -> dict[str, Any]:
    """Validate, re-check and store one review. Returns the stored review with its findings."""
    extraction = st.get_extraction(store, extraction_id)
    if extraction is None:
        raise LookupError(f"no extraction {extraction_id}")
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise ReviewInputError("invalid_review", "reviewer is required")
    if decision not in st.DECISIONS:
        raise ReviewInputError("invalid_review", f"decision must be one of {', '.join(st.DECISIONS)}")
    findings: list[dict[str, Any]] | None = None
    clean: dict[str, Any] | None = None
    if record is None:
        if decision != "reject":
            raise ReviewInputError("invalid_review", f"decision {decision!r} needs the reviewed record")
    else:
        clean = validate_record(record)
        findings = check(clean)
        broken = failing_rules(findings)
        if decision == "accept" and broken:
            raise ReviewInputError(
                "checks_failed",
                f"the record breaks {', '.join(broken)}: correct the numbers, or if the report itself "
                "prints them so, use decision source_inconsistent", {"findings": findings})
        if decision == "source_inconsistent" and not broken:
            raise ReviewInputError("checks_pass", "no consistency rule fails on this record: use decision accept",
                                   {"findings": findings})
        # The report's own inconsistencies are a fact the checks establish, not a reviewer's opinion.
        clean["source_inconsistencies"] = broken
    review_id = st.add_review(store, extraction_id, reviewer=reviewer, decision=decision, record=clean,
                              findings=findings, note=note)
    return {"id": extraction_id, "review_id": review_id, "decision": decision, "reviewer": reviewer,
            "record": clean, "findings": findings or [], "review_state": decision}


def history(store: st.Store, extraction: dict[str, Any]) -> list[dict[str, Any]]:
    """The extraction then every review, oldest first, each with the cells it changed."""
    events: list[dict[str, Any]] = [{
        "event": "extracted", "created_at": extraction["created_at"], "status": extraction["status"],
        "engine_version": extraction.get("engine_version"), "record": extraction.get("record"),
    }]
    previous = extraction.get("record")
    for r in st.review_history(store, int(extraction["id"])):
        changes = diff_records(previous, r["record"]) if r["record"] is not None else None
        events.append({"event": "review", "review_id": r["id"], "created_at": r["created_at"],
                       "reviewer": r["reviewer"], "decision": r["decision"], "note": r["note"],
                       "record": r["record"], "findings": r["findings"], "changes": changes})
        if r["record"] is not None:
            previous = r["record"]
    return events


def diff_records(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    old = dict(_flatten(before or {}))
    new = dict(_flatten(after))
    return [{"field": k, "from": old.get(k), "to": v} for k, v in new.items() if old.get(k) != v] + \
           [{"field": k, "from": v, "to": None} for k, v in old.items() if k not in new]


def _flatten(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "source_inconsistencies":
                yield (f"{prefix}{k}", v)
            else:
                yield from _flatten(v, f"{prefix}{k}.")
    elif isinstance(obj, list) and prefix:
        for i, v in enumerate(obj):
            yield (f"{prefix[:-1]}[{i}]", v)
    else:
        yield (prefix[:-1], obj)


def latest_review(store: st.Store, extraction_id: int) -> dict[str, Any] | None:
    reviews = st.review_history(store, extraction_id)
    return reviews[-1] if reviews else None


def gold(store: st.Store, extraction_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(gold record in FORMAT.md label format, the review it comes from)."""
    if st.get_extraction(store, extraction_id) is None:
        raise LookupError(f"no extraction {extraction_id}")
    review = latest_review(store, extraction_id)
    if review is None:
        raise NoGoldError(f"extraction {extraction_id} has not been reviewed yet")
    if review["decision"] not in GOLD_DECISIONS or review["record"] is None:
        raise NoGoldError(f"extraction {extraction_id} was last reviewed with decision {review['decision']!r}: "
                          "no gold record")
    return record_to_dict(parse_record(review["record"])), review


def gold_ids(store: st.Store) -> list[int]:
    return st.reviewed_ids(store, GOLD_DECISIONS)


def export_gold(store: st.Store, out_dir: Path) -> list[tuple[int, Path]]:
    """Write every reviewed report as out_dir/NNN/{gold.json, source.json, input file}.

    A report exported before (same sha256 in a folder's source.json) is rewritten in its folder;
    new ones take the next free numbers, so existing eval folders are never overwritten by others.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    by_sha: dict[str, Path] = {}
    used: set[int] = set()
    for sj in out_dir.glob("*/source.json"):
        if sj.parent.name.isdigit():
            used.add(int(sj.parent.name))
        try:
            sha = json.loads(sj.read_text("utf-8")).get("sha256")
        except (OSError, ValueError):
            continue
        if sha:
            by_sha[sha] = sj.parent
    used.update(int(p.name) for p in out_dir.iterdir() if p.is_dir() and p.name.isdigit())
    written: list[tuple[int, Path]] = []
    next_no = 0
    for eid in gold_ids(store):
        extraction = st.get_extraction(store, eid)
        assert extraction is not None
        record, review = gold(store, eid)
        sha = extraction.get("sha256") or ""
        folder = by_sha.get(sha) if sha else None
        if folder is None:
            while next_no in used:
                next_no += 1
            used.add(next_no)
            folder = out_dir / f"{next_no:03d}"
            if sha:
                by_sha[sha] = folder
        folder.mkdir(parents=True, exist_ok=True)
        data = input_bytes(store, extraction)
        path = extraction.get("path") or ""
        input_name = safe_name(path.split("/", 1)[-1] if path.startswith("upload:") else path)
        inputs: list[str] = []
        if data is not None and input_name not in ("gold.json", "source.json"):
            (folder / input_name).write_bytes(data)
            inputs.append(input_name)
        source = {
            "origin": path, "sha256": sha, "size": extraction.get("size"), "format": extraction.get("format"),
            "inputs": inputs, "extraction_id": eid, "engine_version": extraction.get("engine_version"),
            "reviewer": review["reviewer"], "decision": review["decision"], "reviewed_at": review["created_at"],
            "note": review.get("note"), "label_format_version": 1,
        }
        (folder / "gold.json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", "utf-8")
        (folder / "source.json").write_text(json.dumps(source, ensure_ascii=False, indent=1) + "\n", "utf-8")
        written.append((eid, folder))
    return written



# ---------------------------------------------------------------- ranked readings


def ranked_runs(store: st.Store, extraction: dict[str, Any]) -> list[AmbiguousRun]:
    """The extraction's ambiguous runs, readings best first, with the evidence of the same
    agency's other years in the store added to the report's own."""
    runs = runs_of(extraction.get("findings") or [])
    record = extraction.get("record") or {}
    if not runs or not record.get("year"):
        return runs
    others = other_years(store, record.get("organization"), int(record["year"]), exclude=int(extraction["id"]))
    return with_other_years(runs, int(record["year"]), others) if others else runs


def start_record(extraction: dict[str, Any], latest: dict[str, Any] | None,
                 runs: list[AmbiguousRun]) -> dict[str, Any] | None:
    """The record a reviewer starts from: as the last review left it, else as extracted with each
    ambiguous run's best reading in its cells."""
    if latest is not None and latest.get("record") is not None:
        return dict(latest["record"])
    record = extraction.get("record")
    if record is None:
        return None
    for run in runs:
        if run.readings:
            record = apply_reading(record, run, 0)
    return record


def apply_choices(record: dict[str, Any], runs: list[AmbiguousRun], choices: dict[str, int]) -> dict[str, Any]:
    """The record with each chosen reading (run id -> 1-based rank) in its cells."""
    by_id = {r.run: r for r in runs}
    for run_id, rank in choices.items():
        run = by_id.get(run_id)
        if run is None:
            raise ReviewInputError("unknown_run", f"no ambiguous run {run_id!r} in this extraction",
                                   {"runs": sorted(by_id)})
        if not 1 <= rank <= len(run.readings):
            raise ReviewInputError("unknown_reading", f"run {run_id!r} has readings 1 to {len(run.readings)}, "
                                   f"not {rank}", {"readings": len(run.readings)})
        record = apply_reading(record, run, rank - 1)
    return record
