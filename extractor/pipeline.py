"""One file in, one result out: load -> normalise -> extract -> check -> decide."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from .errors import ExtractorError, LoadError
from .result import ExtractionResult
from .settings import Settings
from .version import ENGINE_VERSION


def extract_file(path: str | Path, settings: Settings, *, llm: object | None = None) -> ExtractionResult:
    """Extract one report file. Never raises for a bad item: the result says `failed` and why."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > settings.max_file_bytes:
            raise LoadError(str(p), f"file is {size} bytes, over the limit of {settings.max_file_bytes} "
                            "(EXTRACTOR_MAX_FILE_BYTES)")
        data = p.read_bytes()
    except LoadError as e:
        return _failed(str(p), e, None)
    except OSError as e:
        return _failed(str(p), LoadError(str(p), f"cannot read file: {e.strerror or e}"), None)
    return extract_bytes(data, str(p), settings, llm=llm)


def extract_bytes(data: bytes, name: str, settings: Settings, *, llm: object | None = None) -> ExtractionResult:
    """Extract one report given its bytes and a name (path, zip member or upload file name)."""
    from .extract import extract_document  # local import: keeps start-up light
    from .load import load_bytes

    started = time.perf_counter()
    sha = hashlib.sha256(data).hexdigest()
    try:
        doc = load_bytes(data, name, settings)
    except ExtractorError as e:
        return _failed(name, e, sha, size=len(data), started=started)
    try:
        result = extract_document(doc, settings, llm=llm)
    except ExtractorError as e:
        return _failed(name, e, sha, size=len(data), started=started)
    except Exception as e:  # a bug must fail this item, not the batch; the message says so
        err = ExtractorError(f"{name}: internal error while extracting ({type(e).__name__}: {e}); "
                             "please report it with the file")
        return _failed(name, err, sha, size=len(data), started=started)
    result.sha256 = sha
    result.size = len(data)
    result.seconds = round(time.perf_counter() - started, 4)
    return result


def _failed(name: str, error: Exception, sha: str | None, *, size: int | None = None,
            started: float | None = None) -> ExtractionResult:
    return ExtractionResult(
        source=name, status="failed", error=str(error), reasons=[str(error)], sha256=sha, size=size,
        engine_version=ENGINE_VERSION,
        seconds=round(time.perf_counter() - started, 4) if started else 0.0,
    )
