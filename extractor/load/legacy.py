"""Legacy word-processor files (Word 97 .doc, WPS .wps, RTF): converted to DOCX by LibreOffice
headless, then read by the DOCX loader."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..document import Document
from ..errors import LoadError
from .docx import load_docx

PACKAGE = "libreoffice-writer-nogui"


def soffice_binary() -> str | None:
    """The LibreOffice program on PATH (soffice, or libreoffice), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, name: str, suffix: str, timeout_s: float) -> bytes:
    """The DOCX bytes LibreOffice makes of `data` (a file ending in `suffix`).

    Each conversion gets its own temporary profile and folder (LibreOffice locks its profile, so
    two conversions sharing one collide) and its own process group, killed whole at the timeout.
    """
    binary = soffice_binary()
    if binary is None:
        raise LoadError(name, f"legacy {_kind(suffix)} file: converting it needs LibreOffice, which is not "
                        f"installed (Debian/Ubuntu: apt-get install {PACKAGE})")
    with tempfile.TemporaryDirectory(prefix="extractor-soffice-") as tmp:
        work = Path(tmp)
        src = work / f"input{suffix}"
        src.write_bytes(data)
        out = work / "out"
        out.mkdir()
        cmd = [binary, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--invisible",
               "--norestore", "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "docx",
               "--outdir", str(out), str(src)]
        env = dict(os.environ, HOME=str(work), TMPDIR=str(work))
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=work, env=env, start_new_session=True)
        except OSError as e:
            raise LoadError(name, f"cannot start LibreOffice ({binary}): {e.strerror or e}") from e
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired as e:
            _kill_group(proc)
            raise LoadError(name, f"converting this legacy {_kind(suffix)} file with LibreOffice took longer "
                            f"than {timeout_s:g} s and was stopped; the file may be damaged (raise "
                            "EXTRACTOR_CONVERT_TIMEOUT_S if it is genuine and large)") from e
        finally:
            _kill_group(proc)  # soffice may leave helpers behind in its group
        result = out / "input.docx"
        if proc.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            said = " ".join(ln.strip() for ln in output.decode("utf-8", "replace").splitlines()
                            if ln.strip() and "javaldx" not in ln)[-300:]
            raise LoadError(name, f"LibreOffice could not convert this legacy {_kind(suffix)} file (exit "
                            f"{proc.returncode}{': ' + said if said else ''}); the file may be damaged")
        return result.read_bytes()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _kind(suffix: str) -> str:
    return {".doc": "Word .doc", ".wps": "WPS .wps", ".rtf": "RTF"}.get(suffix, "word-processor")


def load_legacy(data: bytes, name: str, suffix: str, timeout_s: float) -> Document:
    """Convert a legacy document and read it as DOCX; the Document keeps the original's name."""
    converted = convert_to_docx(data, name, suffix, timeout_s)
    doc = load_docx(converted, name)
    doc.format = "doc" if suffix != ".rtf" else "rtf"
    return doc
