"""Legacy word-processor files through real LibreOffice: the dev .doc files, an RTF, and the ways a
conversion goes wrong (damaged file, a converter that hangs, no converter at all)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from extractor.errors import LoadError
from extractor.load import load_bytes
from extractor.pipeline import extract_file
from extractor.settings import Settings
from tests.dev_reports import DEV

SETTINGS = Settings(llm="off")
DOCS = sorted(DEV.glob("*/*.doc"))

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None,
                                reason="LibreOffice (soffice) is not installed: run scripts/setup.sh")


@pytest.mark.parametrize("path", DOCS, ids=[f"{p.parent.name}-{p.name}" for p in DOCS])
def test_legacy_doc_is_exact_and_accepted(path: Path) -> None:
    r = extract_file(path, SETTINGS)
    gold = json.loads((path.parent / "gold.json").read_text(encoding="utf-8"))
    assert r.format == "doc"
    assert r.record == gold
    assert r.status == "accepted", r.reasons


def test_rtf_is_converted(tmp_path: Path) -> None:
    """An RTF saved by LibreOffice from the report's Word file reads like the Word file."""
    src = DEV / "015" / "derived-word.docx"
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}", "--headless",
                    "--convert-to", "rtf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=120)
    rtf = tmp_path / "derived-word.rtf"
    assert rtf.read_bytes().startswith(b"{\\rtf")
    renamed = tmp_path / "report.txt"   # the content decides, not the name
    rtf.rename(renamed)
    r = extract_file(renamed, SETTINGS)
    assert r.format == "rtf"
    assert r.record == json.loads((DEV / "015" / "gold.json").read_text(encoding="utf-8"))
    assert r.status == "accepted", r.reasons


def test_concurrent_conversions_do_not_collide() -> None:
    """Each conversion has its own LibreOffice profile: four at once all succeed."""
    data = [p.read_bytes() for p in DOCS] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(lambda d: load_bytes(d, "report.doc", SETTINGS), data))
    assert [d.text for d in docs[:len(DOCS)]] == [d.text for d in docs[len(DOCS):]]
    assert all("本年新收政府信息公开申请数量" in d.text for d in docs)


def test_damaged_doc_fails_with_a_clear_error(tmp_path: Path) -> None:
    data = DOCS[0].read_bytes()
    p = tmp_path / "damaged.doc"
    p.write_bytes(data[:4096] + bytes(range(256)) * 40)
    r = extract_file(p, SETTINGS)
    assert r.status == "failed" and r.failure == "input"
    assert "LibreOffice could not convert this legacy Word .doc file" in (r.error or "")
    assert "damaged" in (r.error or "")


def _fake_soffice(folder: Path, body: str) -> dict[str, str]:
    folder.mkdir()
    exe = folder / "soffice"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_hanging_conversion_is_stopped_inside_the_timeout(tmp_path: Path, monkeypatch) -> None:
    """A converter that never finishes (and leaves a child behind) is killed with its whole
    process group at the timeout; the item fails with a clear error and nothing is left running."""
    marker = tmp_path / "child.pid"
    env = _fake_soffice(tmp_path / "bin", f"sleep 300 &\necho $! > {marker}\nsleep 300\n")
    monkeypatch.setenv("PATH", env["PATH"])
    started = time.monotonic()
    r = extract_file(DOCS[0], Settings(llm="off", convert_timeout_s=2))
    took = time.monotonic() - started
    assert r.status == "failed"
    assert "took longer than 2 s and was stopped" in (r.error or "")
    assert took < 10
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"   # a zombie has ended; only its exit status is left to collect


def test_crashing_converter_fails_with_its_message(tmp_path: Path, monkeypatch) -> None:
    env = _fake_soffice(tmp_path / "bin", "echo 'soffice.bin: segmentation fault' >&2\nkill -SEGV $$\n")
    monkeypatch.setenv("PATH", env["PATH"])
    r = extract_file(DOCS[0], SETTINGS)
    assert r.status == "failed"
    assert "LibreOffice could not convert" in (r.error or "") and "segmentation fault" in (r.error or "")


def test_no_libreoffice_names_the_package(tmp_path: Path, monkeypatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(LoadError) as e:
        load_bytes(DOCS[0].read_bytes(), "old.doc", SETTINGS)
    assert "apt-get install libreoffice-writer-nogui" in str(e.value)
    assert str(e.value).startswith("old.doc: ")


def test_uploaded_doc_is_converted_and_accepted(tmp_path: Path) -> None:
    import httpx

    from extractor.service.app import create_app
    from tests.test_api import live_server

    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off")
    path = DOCS[-1]
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as api:
        made = api.post("/v1/extractions", files={"file": ("report.doc", path.read_bytes(),
                                                           "application/msword")}).json()
    assert made["format"] == "doc" and made["status"] == "accepted", made["reasons"]
    assert made["record"]["applications"] == json.loads((path.parent / "gold.json").read_text("utf-8"))["applications"]
