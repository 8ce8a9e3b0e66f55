"""Whether a stored result can stand for a new extraction: the configuration key and the reuse rule
(shared by `extractor run` and the review service)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import Settings
from .version import ENGINE_VERSION


@dataclass(frozen=True)
class ExtractionConfig:
    """What decides whether a stored result is still valid for this run."""

    key: str
    engine_version: str
    llm: str
    detail: dict[str, Any]            # stored with each result; its "limits" are not part of the key


def extraction_config(settings: Settings) -> ExtractionConfig:
    """Hash of the engine version, the result-changing settings and (when the LLM may be used) the prompts."""
    detail: dict[str, Any] = {"engine_version": ENGINE_VERSION, "settings": settings.config_fingerprint()}
    if settings.llm != "off":
        from .llm.prompts import default_prompts_dir
        detail["prompts"] = _prompts_digest(settings.prompts_dir or default_prompts_dir())
    key = hashlib.sha256(json.dumps(detail, sort_keys=True, default=str).encode()).hexdigest()[:32]
    detail["limits"] = {"file_timeout_s": settings.file_timeout_s, "file_memory_mb": settings.file_memory_mb}
    return ExtractionConfig(key=key, engine_version=ENGINE_VERSION, llm=settings.llm, detail=detail)


def _prompts_digest(prompts_dir: Path) -> str:
    # Prompt files carry their versions; hashing their bytes catches any edit.
    h = hashlib.sha256()
    if prompts_dir.is_dir():
        for p in sorted(prompts_dir.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(prompts_dir).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def still_valid(stored: dict[str, Any], config: ExtractionConfig) -> bool:
    """Whether a stored current extraction stands for this configuration (no re-extraction needed).

    Same key: yes. Otherwise a result made by the same engine without any LLM call is still valid
    when the new run would not call the model for it either: the LLM is now off, or it is on
    "auto" and the stored result came from an LLM-enabled run (so the rules settled it alone).
    """
    if stored["status"] == "failed" and stored.get("failure") == "internal":
        return False   # our own bug or a crashed worker: try again on the next run
    if stored["status"] == "failed" and stored.get("failure") in ("timeout", "memory"):
        # over a limit: the same again, unless this run allows more time / memory
        return stored["config_key"] == config.key and not _more_room(stored.get("limits") or {}, config)
    if stored["config_key"] == config.key:
        return True
    if stored["engine_version"] != config.engine_version or stored["status"] == "failed":
        return False
    if stored["llm_call_count"]:
        return False
    if config.llm == "off":
        return True
    return config.llm == "auto" and stored["llm_setting"] in ("auto", "on")


def _more_room(old: dict[str, Any], config: ExtractionConfig) -> bool:
    new = config.detail["limits"]
    unlimited = float("inf")
    before_t = float(old.get("file_timeout_s") or 0)
    before_m = float(old.get("file_memory_mb") or 0) or unlimited
    return float(new["file_timeout_s"]) > before_t or (float(new["file_memory_mb"]) or unlimited) > before_m
