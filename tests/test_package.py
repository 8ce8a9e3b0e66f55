"""The package as others get it: the public API, `python -m extractor`, a wheel installed outside the
checkout (prompts included), and a repository with no machine paths in it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import extractor
from tests.dev_reports import REPO
from tests.fault_server import FaultServer, Reply, completion

PUBLIC = [
    "CellProvenance", "ConfigError", "Document", "ENGINE_VERSION", "EncodingError", "ExtractionError",
    "ExtractionResult", "ExtractorError", "Finding", "InputLimitError", "LLMError", "LLMOutputError",
    "LLMTransportError", "LegacyRecord", "LoadError", "LocalModelError", "Record2019", "Record2021", "Settings",
    "StoreError", "UnsupportedFormatError", "extract_bytes", "extract_file", "load_document",
    "open_llm", "parse_record", "record_to_dict",
]


def test_public_api_is_pinned_and_documented() -> None:
    assert sorted(extractor.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(extractor, name) is not None
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    for name in ("extract_file", "extract_bytes", "Settings", "open_llm", "ExtractionResult"):
        assert name in section, f"README's Python section does not mention {name}"


def test_every_error_class_is_in_the_tree() -> None:
    import extractor.errors as errors

    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception)]
    assert all(issubclass(c, errors.ExtractorError) for c in classes)
    tree = errors.__doc__ or ""
    for c in classes:
        assert c.__name__ in tree, f"{c.__name__} is not drawn in errors.py's tree"


def test_python_dash_m_extractor() -> None:
    res = subprocess.run([sys.executable, "-m", "extractor", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0 and "extract" in res.stdout and "run" in res.stdout


_MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|home|Users|mnt)/[\w.-]+")


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
        return [REPO / p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in REPO.rglob("*") if p.is_file() and ".git" not in p.parts and ".venv" not in p.parts]


def test_no_machine_paths_in_the_repository() -> None:
    # binary files too, byte by byte: a browser's PDF keeps the folder it printed from in its links
    hits = []
    for path in _tracked_files():
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        for m in _MACHINE_PATH.finditer(text):
            hits.append(f"{path.relative_to(REPO)}: {m.group(0)}")
    assert hits == []


def test_the_copy_of_a_pdf_names_no_local_folder_and_keeps_its_offsets() -> None:
    spec = importlib.util.spec_from_file_location("refresh", REPO / "scripts" / "refresh_eval_reports.py")
    assert spec and spec.loader
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    pdf = (b"<</Type/Annot/A<</S/URI/URI (file:///data/someone/reports/dev/)>>>>\n"
           b"<</A<</URI (https://www.gov.cn/)>>>>\n<</A<</URI (file:///)>>>>")
    scrubbed = refresh.scrub_local_paths(pdf)
    assert len(scrubbed) == len(pdf)
    assert b"someone" not in scrubbed and b"/URI (file:///-" in scrubbed
    assert b"/URI (https://www.gov.cn/)" in scrubbed and b"/URI (file:///)" in scrubbed


def test_the_labelled_reports_are_in_the_repository() -> None:
    from extractor.evaluation.dataset import default_reports_dir, load_cases

    reports = default_reports_dir()
    assert reports.is_relative_to(REPO) or os.environ.get("EXTRACTOR_EVAL_REPORTS_DIR")
    assert len({c.report for c in load_cases(reports)}) >= 20


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel and installed into a new virtualenv outside the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, timeout=600)
    wheel = next(dist.glob("gov_report_extractor-*.whl"))
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=900)
    return env_dir


def _run_installed(env_dir: Path, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EXTRACTOR_", "PYTHON"))}
    return subprocess.run([str(env_dir / "bin" / "extractor"), *args], env={**clean, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_wheel_extracts_an_example_outside_the_checkout(installed_wheel: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_bytes((REPO / "examples" / "000" / "report.txt").read_bytes())
    res = _run_installed(installed_wheel, ["extract", "--no-provenance", str(report)],
                         {"EXTRACTOR_LLM": "off"}, tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["status"] == "accepted"
    assert out["record"] == json.loads((REPO / "examples" / "000" / "gold.json").read_text("utf-8"))


def test_wheel_ships_its_prompts(installed_wheel: Path, tmp_path: Path) -> None:
    """One model call from the installed package: the request carries the packaged prompt file."""
    prompt = (REPO / "prompts" / "prose_figures.v1.md").read_text(encoding="utf-8")
    system_line = prompt.split("## system", 1)[1].strip().splitlines()[0]
    report = tmp_path / "report.pdf"
    report.write_bytes((REPO / "examples" / "003" / "szfgs2024.pdf").read_bytes())
    # a server that answers with something that is not the asked-for JSON: a fault, not a model
    with FaultServer([Reply(body=completion("not json"))]) as fs:
        res = _run_installed(installed_wheel, ["extract", "--no-provenance", str(report)],
                             {"EXTRACTOR_LLM": "on", "EXTRACTOR_LLM_BASE_URL": fs.base_url,
                              "EXTRACTOR_LLM_MODEL": "fault", "EXTRACTOR_LLM_TRANSPORT_ATTEMPTS": "1"}, tmp_path)
        requests = list(fs.requests)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert requests, "no model call reached the server"
    assert any(system_line in m["content"] for m in requests[0]["messages"])
    assert any(c["prompt_id"].startswith("prose_figures.v1") for c in out["llm_usage"])
    assert out["status"] == "accepted"  # the prose cross-check never changes the tables
