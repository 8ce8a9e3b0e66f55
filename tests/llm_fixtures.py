"""Report texts and gold records of the dev reports, for the LLM tests."""

from __future__ import annotations

from tests.dev_reports import DEV


def report_text(number: str, name: str | None = None) -> str:
    """The text of a dev report's input `name` (default: the first that is PDF or plain text;
    PDF via pdfplumber, text files as UTF-8)."""
    import json

    folder = DEV / number
    inputs = json.loads((folder / "source.json").read_text(encoding="utf-8"))["inputs"]
    name = name or next(n for n in inputs if n.endswith((".pdf", ".txt", ".md")))
    path = folder / name
    if path.suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    return path.read_text(encoding="utf-8")


def gold(number: str) -> dict:
    import json

    return json.loads((DEV / number / "gold.json").read_text(encoding="utf-8"))
