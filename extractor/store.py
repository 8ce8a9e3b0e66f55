"""The results database: SQLite schema, versioned migrations, and the queries built on it.

One SQLite file (WAL mode) holds every source, every extraction (current and history) with its
record and the provenance of every number (once, compressed: `extractions.provenance_z`),
findings, LLM usage ledger, and the human reviews. A report from before the national template
(status `pretemplate`) keeps its legacy record in `legacy_json`; it is never in the review queue. Each report is written in one
transaction, so a run killed at any moment leaves every report either fully stored or absent.
The batch run is the only writer during a run; readers (exports, the review service) can read
at the same time (WAL). A `Store` may be shared between threads (calls are serialised by a lock).

API (all functions take the `Store` returned by `open_store` first):

    open_store(path, *, create=True, readonly=False) -> Store
                                                      open/create + migrate; StoreError on failure.
                                                      readonly: never writes (a read-only file works)
    Store.close(); `with open_store(p) as store: ...`
    schema_version(store) -> int
    save_result(store, result, *, config_key, config=None, llm_setting=None, run_id=None,
                path=None) -> int                     one report in one transaction; returns the
                                                      new extraction id (it becomes current for
                                                      its source path; older ones become history).
                                                      result: an ExtractionResult, or the
                                                      PackedResult pack_result(result) made of it
                                                      elsewhere (a worker), leaving only the inserts
    copy_extraction(store, extraction_id, *, path, size=None, run_id=None) -> int
                                                      store an identical result for another path
                                                      with the same content (no re-extraction)
    current_for_path(store, path) -> dict | None      summary row of the current extraction
    current_for_sha(store, sha256) -> list[dict]      current extractions of that content
    get_extraction(store, extraction_id) -> dict | None
        keys: id, source_id, path, sha256, size, format, status, record, legacy, findings (from the
        findings table, so cross-year findings are included), reasons, provenance, llm_usage,
        error, engine_version, prompt_versions, organization, year, template, config_key,
        created_at, is_current, review_state, risk, cells (every number of the record or legacy
        record: table, row, col, field, value, method, span_start, span_end, label)
    list_queue(store, status="review", review_state="pending", limit=50, offset=0) -> list[dict]
        current extractions ordered by risk (highest first) then id; review_state "pending"
        (never reviewed), "reviewed", any decision name, or None for all. Rows: id, path, status,
        organization, year, template, risk, reasons, review_state, created_at, error, findings
        (the extraction's own findings, for its reasons in either language: messages.reasons_text).
    count_queue(store, status="review", review_state="pending") -> int
    add_review(store, extraction_id, *, reviewer, decision, record=None, findings=None,
               note=None) -> int                      decision: accept | reject | source_inconsistent;
                                                      record is validated as a canonical record;
                                                      sets the extraction's review_state.
                                                      LookupError: unknown id; ValueError: bad input
    review_history(store, extraction_id) -> list[dict]   oldest first
    latest_reviewed_record(store, extraction_id) -> dict | None
        the record of the latest review that carries one, else the extracted record
    counts_by_status(store) -> dict[str, int]         current extractions
    top_reasons(store, *, limit=10, run_id=None, status="review", lang="en") -> list[tuple[str, int]]
    iter_current(store, statuses=None) -> Iterator[dict]  like get_extraction without cells
    start_run(store, *, config_key, settings, roots) -> int;  finish_run(store, run_id, counts)
    claim(store, sha256, config_key, *, run_id, ttl_s) -> bool
                                                      this run extracts that content (parallel runs
                                                      on one database share the work); released by
                                                      save_result(..., run_id) in its transaction
    claim_active(store, sha256, config_key) -> bool   another live run holds the claim
    replace_crosscheck_findings(store, findings) -> None   see crosscheck.py
    analysis_rows(store, org_keys=None) -> list[dict]   current extractions with a record, organization and
        year, for the analysis: id, path, status, review_state, organization, org_key, year, template,
        record (the latest reviewed record when a review carries one), source_findings (severity "source")
    coverage(store) -> list[dict]                      current extractions by year, template, status: n
    count_without_agency(store) -> int                 current records with no organization or year
    legacy_rows(store, org_keys=None) -> list[dict]    current pre-template reports with a legacy record
    organizations(store) -> list[dict]                 distinct org_key with their printed names and counts
    list_aliases(store) -> list[dict];  set_alias(store, name_key, agency, *, origin="user")
    seed_aliases(store, mapping) -> int;  delete_alias(store, name_key) -> bool
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import threading
import time
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .errors import StoreError
from .legacy import legacy_cells
from .messages import CATALOG, Lang, Message, group_key, group_text, reason_findings, render_message
from .record import record_cells
from .result import STATUSES, CellProvenance, ExtractionResult, LLMCall

DECISIONS = ("accept", "reject", "source_inconsistent")


def _rebuild_status_check(conn: sqlite3.Connection) -> None:
    """Let `extractions.status` take every value of result.STATUSES.

    SQLite cannot alter a CHECK constraint: the table is rebuilt from its own current definition
    (so columns other migrations added are kept) with the widened CHECK, its rows copied, its
    indexes made again (SQLite's documented procedure; foreign keys are off during migrations).
    """
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'extractions'").fetchone()
    allowed = ", ".join(f"'{s}'" for s in STATUSES)
    sql, n = re.subn(r"CHECK\s*\(\s*status\s+IN\s*\([^)]*\)\s*\)", f"CHECK (status IN ({allowed}))", row[0])
    sql, m = re.subn(r"^CREATE\s+TABLE\s+\"?extractions\"?", "CREATE TABLE extractions_rebuilt", sql)
    if n != 1 or m != 1:
        raise StoreError("cannot migrate: the extractions table's status constraint has an unexpected form")
    indexes = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                          "AND tbl_name = 'extractions' AND sql IS NOT NULL")]
    conn.execute(sql)
    conn.execute("INSERT INTO extractions_rebuilt SELECT * FROM extractions")
    conn.execute("DROP TABLE extractions")
    conn.execute("ALTER TABLE extractions_rebuilt RENAME TO extractions")
    for index_sql in indexes:
        conn.execute(index_sql)


def _pretemplate(conn: sqlite3.Connection) -> None:
    # reports from before the national template: their own status and their legacy record
    _rebuild_status_check(conn)
    conn.execute("ALTER TABLE extractions ADD COLUMN legacy_json TEXT")


def _provenance_once(conn: sqlite3.Connection) -> None:
    """Provenance stored once, compressed: `provenance_json` becomes `provenance_z`, the `cells`
    table (the same provenance again beside the record's values) and `findings_json` (the findings
    table holds them) go. The freed pages are reused by later results (VACUUM returns them)."""
    conn.execute("ALTER TABLE extractions ADD COLUMN provenance_z BLOB")
    rows = conn.execute("SELECT id, provenance_json FROM extractions")
    conn.executemany("UPDATE extractions SET provenance_z = ? WHERE id = ?",
                     ((pack_provenance(json.loads(raw or "[]")), eid) for eid, raw in rows.fetchall()))
    conn.execute("ALTER TABLE extractions DROP COLUMN provenance_json")
    conn.execute("ALTER TABLE extractions DROP COLUMN findings_json")
    conn.execute("DROP TABLE cells")


# (version, SQL or a function of the connection). Never edit a released entry: append a new one.
MIGRATIONS: list[tuple[int, str | Callable[[sqlite3.Connection], None]]] = [
    (1, """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,              -- file path; zip members as 'a.zip!dir/x.pdf'
        sha256 TEXT NOT NULL,            -- '' when the bytes could not be read
        size INTEGER,
        format TEXT,
        first_seen TEXT NOT NULL,
        UNIQUE (path, sha256)
    );
    CREATE INDEX sources_sha256 ON sources(sha256);
    CREATE INDEX sources_path ON sources(path);

    CREATE TABLE extractions (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        run_id INTEGER,
        config_key TEXT NOT NULL,        -- hash of engine version + config fingerprint + prompts
        config_json TEXT,
        llm_setting TEXT,                -- settings.llm at extraction time (off|auto|on)
        status TEXT NOT NULL CHECK (status IN ('accepted', 'review', 'failed')),
        record_json TEXT,
        findings_json TEXT NOT NULL DEFAULT '[]',
        reasons_json TEXT NOT NULL DEFAULT '[]',
        provenance_json TEXT NOT NULL DEFAULT '[]',
        llm_usage_json TEXT NOT NULL DEFAULT '[]',
        llm_call_count INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        engine_version TEXT,
        prompt_versions TEXT NOT NULL DEFAULT '[]',
        organization TEXT,
        org_key TEXT,                    -- organization normalised for cross-year matching
        year INTEGER,
        template TEXT,
        risk REAL NOT NULL DEFAULT 0,
        seconds REAL,
        reused_from INTEGER,             -- extraction copied for identical content
        created_at TEXT NOT NULL,
        is_current INTEGER NOT NULL DEFAULT 1
    );
    -- the crash-safety invariant: at most one current extraction per source
    CREATE UNIQUE INDEX extractions_one_current ON extractions(source_id) WHERE is_current = 1;
    CREATE INDEX extractions_queue ON extractions(is_current, status, risk);
    CREATE INDEX extractions_org_year ON extractions(org_key, year);

    CREATE TABLE cells (
        extraction_id INTEGER NOT NULL REFERENCES extractions(id),
        "table" TEXT NOT NULL,           -- active_disclosure | applications | review_litigation
        row TEXT NOT NULL,
        col TEXT NOT NULL,               -- column index for lists, key for objects, '' for scalars
        field TEXT NOT NULL,             -- path in the record, e.g. applications.granted[6]
        value NUMERIC,
        method TEXT,
        span_start INTEGER,
        span_end INTEGER,
        label TEXT
    );
    CREATE INDEX cells_extraction ON cells(extraction_id);

    CREATE TABLE findings (
        extraction_id INTEGER NOT NULL REFERENCES extractions(id),
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        cells_json TEXT NOT NULL DEFAULT '[]',
        numbers_json TEXT NOT NULL DEFAULT '{}',
        origin TEXT NOT NULL DEFAULT 'extraction'   -- extraction | crosscheck
    );
    CREATE INDEX findings_extraction ON findings(extraction_id);

    CREATE TABLE llm_calls (
        extraction_id INTEGER NOT NULL REFERENCES extractions(id),
        purpose TEXT, prompt_id TEXT, attempt INTEGER, outcome TEXT,
        prompt_tokens INTEGER, completion_tokens INTEGER, latency_s REAL, model TEXT, error TEXT
    );
    CREATE INDEX llm_calls_extraction ON llm_calls(extraction_id);
    """),
    (2, """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        extraction_id INTEGER NOT NULL REFERENCES extractions(id),
        reviewer TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'source_inconsistent')),
        record_json TEXT,
        findings_json TEXT,
        note TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reviews_extraction ON reviews(extraction_id);
    ALTER TABLE extractions ADD COLUMN review_state TEXT;   -- NULL: not reviewed, else the last decision

    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        config_key TEXT,
        settings_json TEXT,
        roots_json TEXT,
        counts_json TEXT
    );
    """),
    (3, """
    -- the review service's uploads: the bytes and the loaded text, so the review page can show the
    -- source and export-gold can write the input file; keyed by content (identical uploads share).
    -- Databases of earlier versions may have it already, made by the service itself.
    CREATE TABLE IF NOT EXISTS review_documents (
        sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        format TEXT,
        text TEXT,
        data BLOB,
        created_at TEXT NOT NULL
    );
    -- why a failed item failed: 'input' (the file cannot be used) or 'internal' (our bug or a
    -- crashed worker: tried again on the next run); set once for results stored before
    ALTER TABLE extractions ADD COLUMN failure TEXT;
    UPDATE extractions SET failure = CASE WHEN error LIKE '%internal error%' THEN 'internal' ELSE 'input' END
        WHERE status = 'failed';
    """),
    (4, _pretemplate),
    (5, """
    -- content being extracted right now by a run (parallel runs on one database share the work);
    -- a claim ends with the result's transaction, or when its owner process is gone / it expires
    CREATE TABLE claims (
        sha256 TEXT NOT NULL,
        config_key TEXT NOT NULL,
        run_id INTEGER,
        owner TEXT NOT NULL,             -- host:pid of the claiming process
        expires_at REAL NOT NULL,        -- unix time
        PRIMARY KEY (sha256, config_key)
    );
    """),
    (6, """
    -- which agency a name as printed belongs to (上海市科委 and 上海市科学技术委员会 are one agency):
    -- name_key is store.org_key of the printed name; 'auto' rows are seeded by the analysis'
    -- normalisation and never overwrite a 'user' row
    CREATE TABLE agency_aliases (
        name_key TEXT PRIMARY KEY,
        agency TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('auto', 'user')),
        updated_at TEXT NOT NULL
    );
    """),
    (7, """
    -- every finding as a stable code with its parameters (messages.py renders it in zh or en);
    -- findings stored before have code '' and only their message
    ALTER TABLE findings ADD COLUMN code TEXT NOT NULL DEFAULT '';
    ALTER TABLE findings ADD COLUMN params_json TEXT NOT NULL DEFAULT '{}';
    """),
    (8, _provenance_once),
]

LATEST_VERSION = MIGRATIONS[-1][0]


class Store:
    """An open results database. Use `open_store`; close it (or use `with`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def open_store(path: str | Path, *, create: bool = True, readonly: bool = False) -> Store:
    """Open (and create/migrate) the database at `path`. StoreError says what is wrong.

    readonly: open for reading only (exports, listings), so a read-only file or folder works; a
    database of an older schema is migrated first when the file can be written."""
    p = Path(path)
    if (readonly or not create) and not p.exists():
        raise StoreError(f"{p}: no such results database (run `extractor run ... --db {p}` first)")
    if readonly:
        return _open_readonly(p)
    try:
        if create:
            p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")   # WAL + NORMAL survives process crashes
        conn.execute("PRAGMA foreign_keys=ON")
        store = Store(conn, p)
        _migrate(store)
        return store
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{p}: cannot open results database: {e}") from e


def _open_readonly(p: Path) -> Store:
    uri = f"{p.resolve().as_uri()}?mode=ro"
    try:
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("SELECT 1 FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # a WAL database in a folder we cannot write: no -shm file can be made; read it as is
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                                   check_same_thread=False)
        conn.row_factory = sqlite3.Row
        store = Store(conn, p)
        version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{p}: cannot read results database: {e}") from e
    if version > LATEST_VERSION:
        store.close()
        raise StoreError(f"{p}: database schema version {version} is newer than this program "
                         f"({LATEST_VERSION}); upgrade gov-report-extractor")
    if version < LATEST_VERSION:
        store.close()
        if not os.access(p, os.W_OK) or not os.access(p.parent, os.W_OK):
            raise StoreError(f"{p}: database schema version {version} is older than this program's "
                             f"({LATEST_VERSION}) and the file cannot be written; open it once with write "
                             "access (e.g. `extractor run`) to upgrade it")
        open_store(p, create=False).close()
        return _open_readonly(p)
    return store


def _migrate(store: Store) -> None:
    conn = store.conn
    # a migration may rebuild a table others refer to: foreign keys are off meanwhile (they cannot
    # be switched inside a transaction) and checked before the commit
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        with _tx(store):
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
            current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
            if current > LATEST_VERSION:
                raise StoreError(f"{store.path}: database schema version {current} is newer than this "
                                 f"program ({LATEST_VERSION}); upgrade gov-report-extractor")
            for version, migration in MIGRATIONS:
                if version <= current:
                    continue
                if callable(migration):
                    migration(conn)
                else:
                    for statement in _statements(migration):
                        conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (version, _now()))
            if current < LATEST_VERSION and conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise StoreError(f"{store.path}: migration left rows referring to missing rows; not applied")
    finally:
        conn.execute("PRAGMA foreign_keys=ON")


def _statements(sql: str) -> list[str]:
    # executescript() would commit our transaction: strip '--' comments, then split on ';'
    # (our migration SQL has no '--' or ';' inside string literals).
    text = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return [s.strip() for s in text.split(";") if s.strip()]


@contextmanager
def _tx(store: Store) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error."""
    with store.lock:
        conn = store.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError(f"{store.path}: cannot write: {e}") from e
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise StoreError(f"{store.path}: cannot commit: {e}") from e


def schema_version(store: Store) -> int:
    with store.lock:
        return int(store.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])


# ---- writing results -------------------------------------------------------------------------

_ORG_PAREN = re.compile(r"[（(][^）)]*[）)]")


def org_key(organization: str | None) -> str | None:
    """The organization as matched across years: no spaces, no parenthesised aside."""
    if not organization:
        return None
    key = _ORG_PAREN.sub("", organization)
    key = re.sub(r"\s+", "", key)
    return key or None


def _risk(result: ExtractionResult) -> float:
    """Higher = look first: review reasons, unsettled cells, model-proposed cells, source issues."""
    if result.status in ("failed", "pretemplate"):
        return 0.0
    review = sum(1 for f in result.findings if f.severity == "review")
    source = sum(1 for f in result.findings if f.severity == "source")
    shaky = sum(1 for p in result.provenance if p.method in ("candidate", "position"))
    llm = sum(1 for p in result.provenance if p.method == "llm")
    return float(10 * review + 3 * len(result.reasons) + 2 * shaky + llm + source)


def _source_id(conn: sqlite3.Connection, path: str, sha: str, size: int | None, fmt: str | None) -> int:
    row = conn.execute("SELECT id FROM sources WHERE path = ? AND sha256 = ?", (path, sha)).fetchone()
    if row:
        if fmt:
            conn.execute("UPDATE sources SET format = COALESCE(format, ?), size = COALESCE(size, ?) WHERE id = ?",
                         (fmt, size, row[0]))
        return int(row[0])
    cur = conn.execute("INSERT INTO sources (path, sha256, size, format, first_seen) VALUES (?, ?, ?, ?, ?)",
                       (path, sha, size, fmt, _now()))
    return int(cur.lastrowid)  # type: ignore[arg-type]


def _retire_path(conn: sqlite3.Connection, path: str) -> None:
    # A path has one current result: new content or a new configuration makes the old one history.
    conn.execute("UPDATE extractions SET is_current = 0 WHERE is_current = 1 AND source_id IN "
                 "(SELECT id FROM sources WHERE path = ?)", (path,))


def _dumps(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        # lone surrogates (a broken PDF text layer): JSON's own escapes keep them, losslessly
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _small_int(value: Any) -> int | None:
    return value if isinstance(value, int) and _INT64[0] <= value <= _INT64[1] else None


def _text(value: str | None) -> str | None:
    """Text SQLite can hold: lone surrogates as visible escapes."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def valid_id(value: int) -> bool:
    """An id SQLite could have given (ids from a request may be anything)."""
    return 0 < value <= _INT64[1]


# the fields of CellProvenance that default to null: left out of the stored form when null
_PROVENANCE_NULLS = {name: None for name, f in CellProvenance.model_fields.items()
                     if not f.is_required() and f.default is None}


def pack_provenance(provenance: Sequence[dict[str, Any]]) -> bytes:
    """Provenance entries (CellProvenance as JSON) in their stored form: compact JSON without the
    fields that are null by default, zlib-compressed (about a twelfth of the JSON on the dev reports)."""
    slim = [{k: v for k, v in p.items() if v is not None or k not in _PROVENANCE_NULLS} for p in provenance]
    return zlib.compress(_dumps(slim).encode("utf-8"), 6)


def unpack_provenance(blob: bytes | None) -> list[dict[str, Any]]:
    """The stored provenance as CellProvenance JSON dicts, every field present (null when unset)."""
    if not blob:
        return []
    return [{**_PROVENANCE_NULLS, **p} for p in json.loads(zlib.decompress(blob).decode("utf-8"))]


def _cells(record: dict[str, Any] | None, legacy: dict[str, Any] | None,
           provenance: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every number of the record (or legacy record) with its provenance, one dict per cell."""
    by_field = {p["field"]: p for p in provenance}
    out = []
    for table, row, col, field, value in [*record_cells(record), *legacy_cells(legacy)]:
        p = by_field.get(field)
        span = p.get("span") if p else None
        out.append({"table": table, "row": row, "col": col, "field": field, "value": value,
                    "method": p["method"] if p else None, "span_start": span["start"] if span else None,
                    "span_end": span["end"] if span else None, "label": p.get("label") if p else None})
    return out


@dataclass(frozen=True)
class PackedResult:
    """One result in the form the store writes, made by `pack_result` where the result was made
    (an engine's worker), so the single writer of a large run only inserts rows."""

    source: str
    status: str
    error: str | None
    failure: str | None
    reasons: list[str]
    sha256: str | None
    size: int | None
    format: str | None
    record_json: str | None
    legacy_json: str | None
    provenance_z: bytes
    llm_usage: list[LLMCall]                                        # the ledger (a breaker reads it)
    llm_usage_json: str
    engine_version: str
    prompt_versions: str
    organization: str | None
    year: int | None
    template: str | None
    risk: float
    seconds: float
    findings: list[tuple[str, str, str | None, str, str, str, str]]  # rule, severity, message, cells, numbers,
                                                                     # code, params


def pack_result(result: ExtractionResult) -> PackedResult:
    """`result` as the store writes it: JSON texts, provenance compressed, ledger and findings rows."""
    record = result.record
    legacy = result.legacy.model_dump(mode="json") if result.legacy is not None else None
    who = record or legacy or {}     # organization and year: the record's, or the legacy record's
    return PackedResult(
        source=result.source, status=result.status, error=_text(result.error), failure=result.failure,
        reasons=list(result.reasons), sha256=result.sha256, size=result.size, format=result.format,
        record_json=_dumps(record) if record is not None else None,
        legacy_json=_dumps(legacy) if legacy is not None else None,
        provenance_z=pack_provenance([p.model_dump(mode="json") for p in result.provenance]),
        llm_usage=list(result.llm_usage), llm_usage_json=_dumps([c.model_dump(mode="json") for c in result.llm_usage]),
        engine_version=result.engine_version,
        prompt_versions=_dumps(result.prompt_versions), organization=_text(who.get("organization")),
        year=_small_int(who.get("year")), template=(record or {}).get("template"), risk=_risk(result),
        seconds=result.seconds,
        findings=[(f.rule, f.severity, _text(f.message), _dumps(f.cells), _dumps(f.numbers), f.code, _dumps(f.params))
                  for f in result.findings])


def save_result(store: Store, result: ExtractionResult | PackedResult, *, config_key: str,
                config: dict[str, Any] | None = None, llm_setting: str | None = None,
                run_id: int | None = None, path: str | None = None) -> int:
    """Store one extraction (source, record, provenance, findings, ledger) in one transaction."""
    r = result if isinstance(result, PackedResult) else pack_result(result)
    path = _text(path or r.source) or ""
    with _tx(store) as conn:
        source_id = _source_id(conn, path, r.sha256 or "", r.size, r.format)
        _retire_path(conn, path)
        cur = conn.execute(
            """INSERT INTO extractions (source_id, run_id, config_key, config_json, llm_setting, status,
                 record_json, reasons_json, provenance_z, llm_usage_json, llm_call_count,
                 error, failure, engine_version, prompt_versions, organization, org_key, year, template, risk,
                 seconds, created_at, is_current, legacy_json)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)""",
            (source_id, run_id, config_key, _dumps(config) if config is not None else None, llm_setting,
             r.status, r.record_json, _dumps(r.reasons), r.provenance_z, r.llm_usage_json, len(r.llm_usage),
             r.error, r.failure, r.engine_version, r.prompt_versions, r.organization, org_key(r.organization),
             r.year, r.template, r.risk, r.seconds, _now(), r.legacy_json))
        eid = int(cur.lastrowid)  # type: ignore[arg-type]
        conn.executemany("INSERT INTO findings (extraction_id, rule, severity, message, cells_json, numbers_json, "
                         "code, params_json) VALUES (?,?,?,?,?,?,?,?)", [(eid, *f) for f in r.findings])
        conn.executemany("INSERT INTO llm_calls (extraction_id, purpose, prompt_id, attempt, outcome, prompt_tokens, "
                         "completion_tokens, latency_s, model, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         [(eid, c.purpose, c.prompt_id, c.attempt, c.outcome, c.prompt_tokens, c.completion_tokens,
                           c.latency_s, c.model, _text(c.error)) for c in r.llm_usage])
        if run_id is not None and r.sha256:
            conn.execute("DELETE FROM claims WHERE sha256 = ? AND config_key = ? AND run_id = ?",
                         (r.sha256, config_key, run_id))
    return eid


def copy_extraction(store: Store, extraction_id: int, *, path: str, size: int | None = None,
                    run_id: int | None = None) -> int:
    """Store, for another path with the same content, a copy of an existing extraction."""
    path = _text(path) or ""
    with _tx(store) as conn:
        src = conn.execute("SELECT e.*, s.sha256, s.size AS ssize, s.format AS sformat FROM extractions e "
                           "JOIN sources s ON s.id = e.source_id WHERE e.id = ?", (extraction_id,)).fetchone()
        if src is None:
            raise LookupError(f"no extraction {extraction_id}")
        source_id = _source_id(conn, path, src["sha256"], size if size is not None else src["ssize"], src["sformat"])
        _retire_path(conn, path)
        cols = [c for c in src.keys() if c not in ("id", "source_id", "run_id", "created_at", "is_current",
                                                   "reused_from", "review_state", "sha256", "ssize", "sformat")]
        cur = conn.execute(
            f"INSERT INTO extractions ({', '.join(cols)}, source_id, run_id, created_at, is_current, reused_from) "
            f"VALUES ({', '.join('?' * len(cols))}, ?, ?, ?, 1, ?)",
            [src[c] for c in cols] + [source_id, run_id, _now(), extraction_id])
        eid = int(cur.lastrowid)  # type: ignore[arg-type]
        conn.execute(f"INSERT INTO findings (extraction_id, {_FINDING_COLS}) SELECT ?, {_FINDING_COLS} "
                     "FROM findings WHERE extraction_id = ? AND origin = 'extraction'", (eid, extraction_id))
    return eid


# ---- reading ---------------------------------------------------------------------------------

_FINDING_COLS = "rule, severity, message, cells_json, numbers_json, origin, code, params_json"


def _finding(r: sqlite3.Row) -> dict[str, Any]:
    """A stored finding as Finding JSON (with its origin: extraction or crosscheck)."""
    return {"rule": r["rule"], "severity": r["severity"], "message": r["message"], "code": r["code"],
            "params": json.loads(r["params_json"]), "cells": json.loads(r["cells_json"]),
            "numbers": json.loads(r["numbers_json"]), "origin": r["origin"]}


def _findings_of(store: Store, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The extraction findings (not the cross-year ones) of each extraction id."""
    out: dict[int, list[dict[str, Any]]] = {int(i): [] for i in ids}
    for chunk in (list(ids)[k:k + 500] for k in range(0, len(ids), 500)):
        rows = store.conn.execute(
            f"SELECT extraction_id, {_FINDING_COLS} FROM findings WHERE origin = 'extraction' AND extraction_id IN "
            f"({', '.join('?' * len(chunk))}) ORDER BY rowid", chunk).fetchall()
        for r in rows:
            out[int(r["extraction_id"])].append(_finding(r))
    return out

_SUMMARY_COLS = ("e.id, e.source_id, s.path, s.sha256, s.size, s.format, e.status, e.config_key, e.llm_setting, "
                 "e.llm_call_count, e.engine_version, e.error, e.failure, e.organization, e.year, e.template, e.risk, "
                 "e.reasons_json, e.review_state, e.created_at, e.is_current, e.seconds, "
                 "CASE WHEN e.failure IN ('timeout', 'memory') THEN e.config_json END AS limits_json")


def _summary(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["reasons"] = json.loads(d.pop("reasons_json") or "[]")
    limits = d.pop("limits_json", None)
    d["limits"] = json.loads(limits).get("limits") if limits else None
    return d


def current_for_path(store: Store, path: str) -> dict[str, Any] | None:
    with store.lock:
        row = store.conn.execute(f"SELECT {_SUMMARY_COLS} FROM extractions e JOIN sources s ON s.id = e.source_id "
                                 "WHERE s.path = ? AND e.is_current = 1 ORDER BY e.id DESC LIMIT 1",
                                 (_text(path),)).fetchone()
    return _summary(row) if row else None


def current_for_sha(store: Store, sha256: str) -> list[dict[str, Any]]:
    with store.lock:
        rows = store.conn.execute(f"SELECT {_SUMMARY_COLS} FROM extractions e JOIN sources s ON s.id = e.source_id "
                                  "WHERE s.sha256 = ? AND e.is_current = 1 ORDER BY e.id DESC", (sha256,)).fetchall()
    return [_summary(r) for r in rows]


def _full(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    for key in ("record", "legacy", "reasons", "llm_usage", "prompt_versions"):
        raw = d.pop(f"{key}_json" if key != "prompt_versions" else key)
        d[key] = json.loads(raw) if raw is not None else None
    d["provenance"] = unpack_provenance(d.pop("provenance_z"))
    d.pop("config_json", None)
    d.pop("org_key", None)
    rows = store.conn.execute(f"SELECT {_FINDING_COLS} FROM findings WHERE extraction_id = ? ORDER BY rowid",
                              (d["id"],)).fetchall()
    d["findings"] = [_finding(r) for r in rows]
    return d


_FULL_SELECT = ("SELECT e.*, s.path, s.sha256, s.size, s.format FROM extractions e "
                "JOIN sources s ON s.id = e.source_id")


def get_extraction(store: Store, extraction_id: int) -> dict[str, Any] | None:
    if not valid_id(extraction_id):
        return None
    with store.lock:
        row = store.conn.execute(f"{_FULL_SELECT} WHERE e.id = ?", (extraction_id,)).fetchone()
        if row is None:
            return None
        d = _full(store, row)
    d["cells"] = _cells(d["record"], d["legacy"], d["provenance"])
    return d


def iter_current(store: Store, statuses: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every current extraction (full, without cells), ordered by path."""
    where, params = "e.is_current = 1", []
    if statuses:
        where += f" AND e.status IN ({', '.join('?' * len(statuses))})"
        params = list(statuses)
    with store.lock:
        ids = [r[0] for r in store.conn.execute(
            f"SELECT e.id FROM extractions e JOIN sources s ON s.id = e.source_id WHERE {where} ORDER BY s.path, e.id",
            params)]
    for eid in ids:
        with store.lock:
            row = store.conn.execute(f"{_FULL_SELECT} WHERE e.id = ?", (eid,)).fetchone()
            if row is not None:
                yield _full(store, row)


def _queue_where(status: str | None, review_state: str | None) -> tuple[str, list[Any]]:
    where, params = ["e.is_current = 1"], []
    if status:
        where.append("e.status = ?")
        params.append(status)
    if review_state == "pending":
        where.append("e.review_state IS NULL")
    elif review_state == "reviewed":
        where.append("e.review_state IS NOT NULL")
    elif review_state is not None:
        where.append("e.review_state = ?")
        params.append(review_state)
    return " AND ".join(where), params


def list_queue(store: Store, status: str | None = "review", review_state: str | None = "pending",
               limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """The review queue: current extractions, riskiest first."""
    where, params = _queue_where(status, review_state)
    limit, offset = min(max(limit, 0), _INT64[1]), min(max(offset, 0), _INT64[1])
    with store.lock:
        rows = store.conn.execute(
            f"SELECT {_SUMMARY_COLS} FROM extractions e JOIN sources s ON s.id = e.source_id WHERE {where} "
            "ORDER BY e.risk DESC, e.id LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
        findings = _findings_of(store, [r["id"] for r in rows])
    return [{**_summary(r), "findings": findings[r["id"]]} for r in rows]


def queue_neighbours(store: Store, extraction_id: int) -> tuple[int | None, int | None]:
    """The items waiting for review just before and just after this one, in queue order (riskiest
    first, then oldest); the one itself need not be waiting any more."""
    where, params = _queue_where("review", "pending")
    with store.lock:
        me = store.conn.execute("SELECT risk FROM extractions WHERE id = ?", (extraction_id,)).fetchone()
        if me is None:
            return None, None
        risk = me[0]
        before = store.conn.execute(
            f"SELECT e.id FROM extractions e WHERE {where} AND e.id != ? AND (e.risk > ? OR (e.risk = ? AND e.id < ?)) "
            "ORDER BY e.risk ASC, e.id DESC LIMIT 1", [*params, extraction_id, risk, risk, extraction_id]).fetchone()
        after = store.conn.execute(
            f"SELECT e.id FROM extractions e WHERE {where} AND e.id != ? AND (e.risk < ? OR (e.risk = ? AND e.id > ?)) "
            "ORDER BY e.risk DESC, e.id ASC LIMIT 1", [*params, extraction_id, risk, risk, extraction_id]).fetchone()
    return (int(before[0]) if before else None), (int(after[0]) if after else None)


def count_queue(store: Store, status: str | None = "review", review_state: str | None = "pending") -> int:
    where, params = _queue_where(status, review_state)
    with store.lock:
        return int(store.conn.execute(f"SELECT COUNT(*) FROM extractions e WHERE {where}", params).fetchone()[0])


def counts_by_status(store: Store) -> dict[str, int]:
    with store.lock:
        rows = store.conn.execute("SELECT status, COUNT(*) FROM extractions WHERE is_current = 1 GROUP BY status")
        return {r[0]: int(r[1]) for r in rows}


def top_reasons(store: Store, *, limit: int = 10, run_id: int | None = None,
                status: str = "review", lang: Lang = "en") -> list[tuple[str, int]]:
    """The most frequent reasons among current extractions with `status`, each counted once per
    report, in `lang`: reasons with a code are grouped by their code and parameters with figures
    folded to N (messages.group_key); others (failures, results stored before codes) by their text,
    the report's own path shown as <file>."""
    sql = "SELECT e.id, e.reasons_json, s.path FROM extractions e JOIN sources s ON s.id = e.source_id " \
          "WHERE e.is_current = 1 AND e.status = ?"
    params: list[Any] = [status]
    if run_id is not None:
        sql += " AND e.run_id = ?"
        params.append(run_id)
    counter: Counter[tuple[str, str]] = Counter()
    with store.lock:
        rows = store.conn.execute(sql, params).fetchall()
        findings = _findings_of(store, [r[0] for r in rows]) if status != "failed" else {}
    for eid, reasons_json, path in rows:
        chosen = reason_findings(status, findings.get(eid, []))
        if chosen and all(f["code"] in CATALOG for f in chosen):
            keys = {("code", group_key(f["code"], f["params"])) for f in chosen}
        else:
            keys = {("text", reason.replace(path, "<file>")) for reason in json.loads(reasons_json or "[]")}
        counter.update(keys)
    return [(group_text(key, lang) if kind == "code" else key, n) for (kind, key), n in counter.most_common(limit)]


# ---- reviews ---------------------------------------------------------------------------------

def add_review(store: Store, extraction_id: int, *, reviewer: str, decision: str,
               record: dict[str, Any] | None = None, findings: list[dict[str, Any]] | None = None,
               note: str | None = None) -> int:
    """Record one human decision on an extraction and set its review_state."""
    from .record import parse_record, record_to_dict

    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not reviewer:
        raise ValueError("reviewer is required")
    if record is not None:
        record = record_to_dict(parse_record(record))   # ValidationError (a ValueError) if malformed
    if not valid_id(extraction_id):
        raise LookupError(f"no extraction {extraction_id}")
    with _tx(store) as conn:
        if conn.execute("SELECT 1 FROM extractions WHERE id = ?", (extraction_id,)).fetchone() is None:
            raise LookupError(f"no extraction {extraction_id}")
        cur = conn.execute(
            "INSERT INTO reviews (extraction_id, reviewer, decision, record_json, findings_json, note, created_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (extraction_id, reviewer, decision, _dumps(record) if record is not None else None,
             _dumps(findings) if findings is not None else None, note, _now()))
        conn.execute("UPDATE extractions SET review_state = ? WHERE id = ?", (decision, extraction_id))
    return int(cur.lastrowid)  # type: ignore[arg-type]


def review_history(store: Store, extraction_id: int) -> list[dict[str, Any]]:
    if not valid_id(extraction_id):
        return []
    with store.lock:
        rows = store.conn.execute("SELECT * FROM reviews WHERE extraction_id = ? ORDER BY id",
                                  (extraction_id,)).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["record"] = json.loads(d.pop("record_json")) if d["record_json"] is not None else None
        d["findings"] = json.loads(d.pop("findings_json")) if d["findings_json"] is not None else None
        out.append(d)
    return out


def latest_reviewed_record(store: Store, extraction_id: int) -> dict[str, Any] | None:
    """The record as a human last left it (latest review carrying a record), else as extracted."""
    if not valid_id(extraction_id):
        return None
    with store.lock:
        row = store.conn.execute("SELECT record_json FROM reviews WHERE extraction_id = ? AND record_json IS NOT NULL "
                                 "ORDER BY id DESC LIMIT 1", (extraction_id,)).fetchone()
        if row is None:
            row = store.conn.execute("SELECT record_json FROM extractions WHERE id = ?", (extraction_id,)).fetchone()
    if row is None or row[0] is None:
        return None
    return json.loads(row[0])


# ---- runs and cross-report findings ------------------------------------------------------------

def start_run(store: Store, *, config_key: str, settings: dict[str, Any], roots: Sequence[str]) -> int:
    with _tx(store) as conn:
        cur = conn.execute("INSERT INTO runs (started_at, config_key, settings_json, roots_json) VALUES (?,?,?,?)",
                           (_now(), config_key, _dumps(settings), _dumps(list(roots))))
    return int(cur.lastrowid)  # type: ignore[arg-type]


def finish_run(store: Store, run_id: int, counts: dict[str, int]) -> None:
    with _tx(store) as conn:
        conn.execute("UPDATE runs SET finished_at = ?, counts_json = ? WHERE id = ?", (_now(), _dumps(counts), run_id))


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True          # another machine's run: only its expiry ends the claim
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim(store: Store, sha256: str, config_key: str, *, run_id: int, ttl_s: float) -> bool:
    """Claim one content for extraction by this run (True), unless another live run holds it.

    The claim lasts `ttl_s` (renewed by claiming again) and ends with save_result of the same
    run, content and configuration. A claim whose process is gone is taken over."""
    now = time.time()
    with _tx(store) as conn:
        row = conn.execute("SELECT run_id, owner, expires_at FROM claims WHERE sha256 = ? AND config_key = ?",
                           (sha256, config_key)).fetchone()
        if row is not None and row["run_id"] != run_id and row["expires_at"] > now and _owner_alive(row["owner"]):
            return False
        conn.execute("INSERT OR REPLACE INTO claims (sha256, config_key, run_id, owner, expires_at) "
                     "VALUES (?, ?, ?, ?, ?)", (sha256, config_key, run_id, _owner(), now + ttl_s))
    return True


def claim_active(store: Store, sha256: str, config_key: str) -> bool:
    """Whether a live run holds a claim on this content (it will store a result for it)."""
    with store.lock:
        row = store.conn.execute("SELECT owner, expires_at FROM claims WHERE sha256 = ? AND config_key = ?",
                                 (sha256, config_key)).fetchone()
    return row is not None and row["expires_at"] > time.time() and _owner_alive(row["owner"])


def release_claims(store: Store, run_id: int) -> None:
    """Drop what is left of a run's claims (at its end)."""
    with _tx(store) as conn:
        conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))


def save_document(store: Store, sha: str, name: str, fmt: str | None, text: str | None,
                  data: bytes | None) -> None:
    """Keep an input's bytes and/or loaded text by content (values already stored are kept)."""
    with _tx(store) as conn:
        conn.execute(
            "INSERT INTO review_documents (sha256, name, format, text, data, created_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(sha256) DO UPDATE SET text = COALESCE(review_documents.text, excluded.text), "
            "data = COALESCE(review_documents.data, excluded.data), "
            "format = COALESCE(review_documents.format, excluded.format)",
            (sha, name, fmt, text, data, _now()))


def get_document(store: Store, sha: str) -> dict[str, Any] | None:
    """The stored bytes/text of an input by content: sha256, name, format, text, data."""
    with store.lock:
        row = store.conn.execute("SELECT sha256, name, format, text, data FROM review_documents WHERE sha256 = ?",
                                 (sha,)).fetchone()
    return dict(row) if row else None


def reviewed_ids(store: Store, decisions: Sequence[str]) -> list[int]:
    """Extractions whose latest review decision is one of `decisions`, oldest first."""
    marks = ",".join("?" * len(decisions))
    with store.lock:
        rows = store.conn.execute(
            f"SELECT id FROM extractions WHERE review_state IN ({marks}) ORDER BY id", tuple(decisions)).fetchall()
    return [int(r[0]) for r in rows]


def current_keys_for_crosscheck(store: Store) -> list[dict[str, Any]]:
    """id, path, status, org_key, year of current extractions that have a record (no records: cheap)."""
    with store.lock:
        rows = store.conn.execute(
            "SELECT e.id, s.path, e.status, e.org_key, e.year FROM extractions e "
            "JOIN sources s ON s.id = e.source_id WHERE e.is_current = 1 AND e.record_json IS NOT NULL "
            "AND e.org_key IS NOT NULL AND e.year IS NOT NULL").fetchall()
    return [dict(r) for r in rows]


def review_finding_cells(store: Store, extraction_id: int) -> set[str]:
    """The cells the extraction's review findings name (not settled by the rules)."""
    with store.lock:
        rows = store.conn.execute("SELECT cells_json FROM findings WHERE extraction_id = ? AND severity = 'review'",
                                  (extraction_id,)).fetchall()
    return {c for (cells,) in rows for c in json.loads(cells)}


def get_record(store: Store, extraction_id: int) -> dict[str, Any] | None:
    """The extracted record of one extraction (None when it has none)."""
    if not valid_id(extraction_id):
        return None
    with store.lock:
        row = store.conn.execute("SELECT record_json FROM extractions WHERE id = ?", (extraction_id,)).fetchone()
    return json.loads(row[0]) if row and row[0] is not None else None


def replace_crosscheck_findings(store: Store,
                                findings: Sequence[tuple[int, str, Message, dict[str, Any], list[str]]]) -> None:
    """Replace every cross-report finding with `findings` (extraction_id, rule, message as code and
    parameters, numbers, cells); the stored text is the Chinese one (the analysis' language)."""
    with _tx(store) as conn:
        conn.execute("DELETE FROM findings WHERE origin = 'crosscheck'")
        conn.executemany("INSERT INTO findings (extraction_id, rule, severity, message, cells_json, numbers_json, "
                         "origin, code, params_json) VALUES (?, ?, 'info', ?, ?, ?, 'crosscheck', ?, ?)",
                         [(eid, rule, render_message(said, "zh"), _dumps(cells), _dumps(nums), said["code"],
                           _dumps(said["params"])) for eid, rule, said, nums, cells in findings])


# ---- the analysis: agencies and their records across years ----------------------------------

def _current_of_agencies(column: str, org_keys: Sequence[str] | None) -> tuple[str, list[str]]:
    """WHERE clause and parameters: current extractions with `column` set, an organization and a
    year (of the organizations `org_keys`, when given)."""
    where = f"e.is_current = 1 AND e.{column} IS NOT NULL AND e.org_key IS NOT NULL AND e.year IS NOT NULL"
    if org_keys is None:
        return where, []
    return where + f" AND e.org_key IN ({', '.join('?' * len(org_keys))})", list(org_keys)


def analysis_rows(store: Store, org_keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Current extractions that have a record, an organization and a year (no provenance: cheap).

    `record` is the latest reviewed record when a review carries one, else the extracted record;
    `source_findings` the extraction's findings of severity "source" (the report's own
    inconsistencies). `org_keys` limits the rows to those organizations."""
    if org_keys is not None and not org_keys:
        return []
    where, params = _current_of_agencies("record_json", org_keys)
    with store.lock:
        rows = store.conn.execute(
            "SELECT e.id, s.path, e.status, e.review_state, e.organization, e.org_key, e.year, e.template, "
            "COALESCE((SELECT r.record_json FROM reviews r WHERE r.extraction_id = e.id AND r.record_json IS NOT NULL "
            "ORDER BY r.id DESC LIMIT 1), e.record_json) AS record_json "
            f"FROM extractions e JOIN sources s ON s.id = e.source_id WHERE {where} ORDER BY e.org_key, e.year, e.id",
            params).fetchall()
        found: dict[int, list[dict[str, Any]]] = {}
        for f in store.conn.execute(
                "SELECT f.extraction_id, f.rule, f.message, f.cells_json, f.code, f.params_json FROM findings f "
                f"JOIN extractions e ON e.id = f.extraction_id WHERE f.severity = 'source' AND {where} ORDER BY f.rowid",
                params):
            found.setdefault(int(f[0]), []).append({"rule": f[1], "message": f[2], "cells": json.loads(f[3]),
                                                    "code": f[4], "params": json.loads(f[5])})
    out = []
    for r in rows:
        d = dict(r)
        d["record"] = json.loads(d.pop("record_json"))
        d["source_findings"] = found.get(int(d["id"]), [])
        out.append(d)
    return out


def legacy_rows(store: Store, org_keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Current reports from before the national template that have a legacy record, an organization
    and a year: id, path, status, organization, org_key, year, legacy (the stored JSON)."""
    if org_keys is not None and not org_keys:
        return []
    where, params = _current_of_agencies("legacy_json", org_keys)
    with store.lock:
        rows = store.conn.execute(
            "SELECT e.id, s.path, e.status, e.organization, e.org_key, e.year, e.legacy_json FROM extractions e "
            f"JOIN sources s ON s.id = e.source_id WHERE {where} ORDER BY e.org_key, e.year, e.id", params).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["legacy"] = json.loads(d.pop("legacy_json"))
        out.append(d)
    return out


def count_without_agency(store: Store) -> int:
    """Current extractions that have a record but no organization or no year."""
    with store.lock:
        return int(store.conn.execute(
            "SELECT COUNT(*) FROM extractions WHERE is_current = 1 AND record_json IS NOT NULL "
            "AND (org_key IS NULL OR year IS NULL)").fetchone()[0])


def coverage(store: Store) -> list[dict[str, Any]]:
    """Current extractions counted by year, template and status (year/template None when unknown)."""
    with store.lock:
        rows = store.conn.execute("SELECT year, template, status, COUNT(*) AS n FROM extractions WHERE is_current = 1 "
                                  "GROUP BY year, template, status ORDER BY year, template, status").fetchall()
    return [dict(r) for r in rows]


def organizations(store: Store) -> list[dict[str, Any]]:
    """Each organization key of current extractions with the names printed for it and how many reports."""
    with store.lock:
        rows = store.conn.execute(
            "SELECT org_key, organization, COUNT(*) AS n FROM extractions WHERE is_current = 1 AND org_key IS NOT NULL "
            "GROUP BY org_key, organization ORDER BY org_key, n DESC").fetchall()
    out: dict[str, dict[str, Any]] = {}
    for key, name, n in rows:
        entry = out.setdefault(key, {"org_key": key, "names": [], "reports": 0})
        entry["names"].append(name)
        entry["reports"] += int(n)
    return list(out.values())


def list_aliases(store: Store) -> list[dict[str, Any]]:
    """Every alias row: name_key, agency, origin (auto | user), updated_at."""
    with store.lock:
        rows = store.conn.execute("SELECT name_key, agency, origin, updated_at FROM agency_aliases "
                                  "ORDER BY agency, name_key").fetchall()
    return [dict(r) for r in rows]


def set_alias(store: Store, name_key: str, agency: str, *, origin: str = "user") -> None:
    """Say that the name `name_key` (an org_key) belongs to `agency`. ValueError on empty input."""
    if not name_key.strip() or not agency.strip():
        raise ValueError("both the name and the agency are required")
    with _tx(store) as conn:
        conn.execute("INSERT INTO agency_aliases (name_key, agency, origin, updated_at) VALUES (?,?,?,?) "
                     "ON CONFLICT(name_key) DO UPDATE SET agency = excluded.agency, origin = excluded.origin, "
                     "updated_at = excluded.updated_at", (name_key.strip(), agency.strip(), origin, _now()))


def seed_aliases(store: Store, mapping: dict[str, str]) -> int:
    """Add 'auto' rows for names not in the table yet (never touches existing rows); returns how many."""
    now = _now()
    with _tx(store) as conn:
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO agency_aliases (name_key, agency, origin, updated_at) "
                         "VALUES (?, ?, 'auto', ?)", [(k, v, now) for k, v in mapping.items()])
        return conn.total_changes - before


def delete_alias(store: Store, name_key: str) -> bool:
    """Remove one alias row (the name falls back to the normalisation); False when there was none."""
    with _tx(store) as conn:
        return conn.execute("DELETE FROM agency_aliases WHERE name_key = ?", (name_key,)).rowcount > 0
