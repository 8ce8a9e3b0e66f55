"""Read an input's bytes with a cap: the one size check, the one message, and no trust in st_size.

A device (/dev/zero) reports size 0 and never ends; a FIFO blocks until someone writes to it.
So the bytes are counted as they arrive, reading stops one byte past the limit, and anything that
is not a regular file is read with a deadline.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import time
from pathlib import Path

from ..errors import InputLimitError, LoadError
from ..names import as_text
from ..settings import Settings

_CHUNK = 1 << 20
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def too_big(name: str, size: int | None, settings: Settings) -> InputLimitError:
    """The error for an input over EXTRACTOR_MAX_FILE_BYTES (`size` None: it kept coming past it)."""
    limit = settings.max_file_bytes
    what = f"is {size:,} bytes" if size is not None else f"goes on past {limit:,} bytes"
    return InputLimitError(name, f"{what}, over the limit of {limit:,} bytes (EXTRACTOR_MAX_FILE_BYTES); "
                           "raise it if this file is genuine")


def check_size(name: str, size: int, settings: Settings) -> None:
    """Raise InputLimitError when `size` bytes are over the limit."""
    if size > settings.max_file_bytes:
        raise too_big(name, size, settings)


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ('a FIFO (named pipe)' ...), None for a regular file."""
    return None if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_input(path: str | Path, settings: Settings, *, regular_only: bool = False,
               wait_s: float | None = None) -> bytes:
    """The bytes of one input file, at most settings.max_file_bytes of them.

    regular_only: refuse FIFOs, devices and sockets without opening them (a folder walk: such
    entries are never meant as reports). Otherwise they are read until EOF, the limit, or
    `wait_s` seconds without the input ending (default: settings.file_timeout_s).
    Raises LoadError (InputLimitError when over the limit); the message names the input.
    """
    name = as_text(str(path))
    try:
        info = os.stat(path)
    except OSError as e:
        raise _cannot(name, e) from e
    mode = info.st_mode
    kind = kind_of(mode)
    if kind is not None and (regular_only or stat.S_ISDIR(mode) or stat.S_ISSOCK(mode)):
        raise LoadError(name, f"{kind}, not a file that can be read as a report")
    if kind is None:
        check_size(name, info.st_size, settings)
    try:
        # O_NONBLOCK: opening a FIFO without a writer must not block; O_NOCTTY: never adopt a terminal
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as e:
        raise _cannot(name, e) from e
    try:
        if kind_of(os.fstat(fd).st_mode) is None:
            os.set_blocking(fd, True)        # a regular file (still one after open)
            return _read_capped(fd, name, settings, None)
        deadline = time.monotonic() + (settings.file_timeout_s if wait_s is None else wait_s)
        return _read_capped(fd, name, settings, deadline)
    finally:
        os.close(fd)


def _read_capped(fd: int, name: str, settings: Settings, deadline: float | None) -> bytes:
    limit = settings.max_file_bytes
    out = bytearray()
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise LoadError(name, f"the input did not end within {settings.file_timeout_s:g} s "
                                f"({len(out):,} bytes read; EXTRACTOR_FILE_TIMEOUT_S)")
        try:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - len(out)))
        except BlockingIOError:
            continue
        except OSError as e:
            if e.errno == errno.EINTR:
                continue
            raise _cannot(name, e) from e
        if not chunk:
            return bytes(out)
        out += chunk
        if len(out) > limit:
            raise too_big(name, None, settings)


def _cannot(name: str, e: OSError) -> LoadError:
    if e.errno == errno.ELOOP:
        return LoadError(name, "symbolic link loop: the link never reaches a file")
    return LoadError(name, f"cannot read file: {e.strerror or e}")
