"""Versioned prompt files (prompts/<id>.v<N>.md): found, loaded and rendered."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_PROMPT_NAME = re.compile(r"^(?P<id>[a-z0-9_]+)\.v(?P<version>\d+)\.md$")
_PROMPT_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)


def default_prompts_dir() -> Path:
    """The prompt files: inside the installed package (the wheel maps the repository's top-level
    prompts/ to extractor/prompts/), else prompts/ of the checkout the package runs from."""
    for candidate in (_PACKAGE_DIR / "prompts", _PACKAGE_DIR.parent / "prompts"):
        if candidate.is_dir() and any(candidate.glob("*.v*.md")):
            return candidate
    raise ConfigError(f"the prompt files are missing: neither {_PACKAGE_DIR / 'prompts'} nor "
                      f"{_PACKAGE_DIR.parent / 'prompts'} holds any; set EXTRACTOR_PROMPTS_DIR")


@dataclass(frozen=True)
class Prompt:
    """One prompt file prompts/<id>.v<N>.md: a '## system' and a '## user' template."""

    id: str
    version: int
    system: str
    user: str

    @property
    def ref(self) -> str:
        """What the ledger records, e.g. 'table3.v1'."""
        return f"{self.id}.v{self.version}"

    def render(self, variables: Mapping[str, object]) -> list[dict[str, str]]:
        """Chat messages with $name / ${name} filled in; a missing variable is a bug (KeyError)."""
        values = {k: str(v) for k, v in variables.items()}
        messages = []
        if self.system:
            messages.append({"role": "system",
                             "content": string.Template(self.system).substitute(values)})
        messages.append({"role": "user", "content": string.Template(self.user).substitute(values)})
        return messages


def load_prompt(prompts_dir: Path | None, ref: str) -> Prompt:
    """Load 'table3.v1' (that version) or 'table3' (the highest version present)."""
    prompts_dir = Path(prompts_dir) if prompts_dir is not None else default_prompts_dir()
    if ".v" in ref:
        m = _PROMPT_NAME.match(ref + ".md")
        path = prompts_dir / f"{ref}.md"
        if not m or not path.is_file():
            raise ConfigError(f"prompt {ref!r} not found in {prompts_dir} (EXTRACTOR_PROMPTS_DIR)")
    else:
        found = [(int(mm["version"]), p) for p in prompts_dir.glob(f"{ref}.v*.md")
                 if (mm := _PROMPT_NAME.match(p.name)) and mm["id"] == ref]
        if not found:
            raise ConfigError(f"no prompt file {ref}.v*.md in {prompts_dir} (EXTRACTOR_PROMPTS_DIR)")
        path = max(found)[1]
        m = _PROMPT_NAME.match(path.name)
        assert m is not None
    parts = _PROMPT_SECTION.split(path.read_text(encoding="utf-8"))
    bodies = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if "user" not in bodies:
        raise ConfigError(f"prompt file {path} has no '## user' section")
    return Prompt(m["id"], int(m["version"]), bodies.get("system", ""), bodies["user"])
