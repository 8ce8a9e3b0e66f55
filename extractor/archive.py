"""Walk folders and .zip archives (nested ones too) into input items, enforcing the input limits."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Iterator, Sequence

from .errors import LoadError
from .load.read import read_input, too_big
from .names import as_text
from .settings import Settings

DEFAULT_INCLUDE: tuple[str, ...] = ("*.html", "*.htm", "*.pdf", "*.docx", "*.doc", "*.txt", "*.md", "*.zip")
ZIP_SEP = "!"   # 'outer.zip!dir/inner.zip!x.pdf'
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Item:
    """One input: its name (path, or zip path with '!'), and its bytes or why it cannot be read.

    Names are text (`names.as_text`: file names that are not UTF-8 keep their bytes as escapes).
    A zip member whose name occurs twice in its archive is named with its position as well
    ('a.zip!x.pdf#3', `duplicate_name`), so the two never stand for each other."""

    name: str
    data: bytes | None = None
    error: str | None = None          # set: this item failed before extraction (limit, bad zip ...)
    size: int | None = None
    duplicate_name: bool = False


@dataclass(frozen=True)
class Filters:
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    skip_paths: frozenset[str] = frozenset()   # resolved paths never read (our own database)

    def wanted(self, rel: str) -> bool:
        """rel: the path below the walked root (or inside the zip). Matched on name and on path."""
        base = PurePosixPath(rel).name
        if any(part.startswith(".") for part in PurePosixPath(rel).parts):
            return False
        if not any(_match(base, rel, p) for p in self.include):
            return False
        return not any(_match(base, rel, p) for p in self.exclude)


def _match(base: str, rel: str, pattern: str) -> bool:
    p = pattern.lower()
    return fnmatch.fnmatchcase(base.lower(), p) or fnmatch.fnmatchcase(rel.lower(), p)


def make_filters(include: Sequence[str] | None, exclude: Sequence[str] | None,
                 db_path: Path | None = None) -> Filters:
    skip: set[str] = set()
    if db_path is not None:
        base = os.path.realpath(db_path)
        skip = {base, base + "-wal", base + "-shm", base + "-journal"}
    return Filters(tuple(include) if include else DEFAULT_INCLUDE, tuple(exclude or ()), frozenset(skip))


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def iter_items(roots: Sequence[str | Path], settings: Settings, filters: Filters) -> Iterator[Item]:
    """Every input under `roots` (files, folders recursively, zip members), lazily, in a stable order.

    Every entry that is meant as an input ends as exactly one item: its bytes, or why not (a
    FIFO or device inside a folder, a symbolic link loop, an unreadable folder, a bad zip member)."""
    for root in roots:
        rp = Path(root)
        if rp.is_dir():
            for path, rel, error in _walk(rp):
                if error is not None:
                    yield Item(name=as_text(str(path)), error=error)
                    continue
                if os.path.realpath(path) in filters.skip_paths or not filters.wanted(rel):
                    continue
                yield from _file_items(path, settings, filters, walked=True)
        elif not os.path.lexists(rp):
            yield Item(name=as_text(str(rp)), error=f"{as_text(str(rp))}: no such file or folder")
        elif os.path.realpath(rp) not in filters.skip_paths:
            yield from _file_items(rp, settings, filters, walked=False)   # named explicitly: no include filter


def _walk(root: Path) -> Iterator[tuple[Path, str, str | None]]:
    """(path, path below root, None) for each file; (folder, '', why) for a folder that cannot be read."""
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        while errors:
            e = errors.pop(0)
            where = as_text(str(e.filename or dirpath))
            yield Path(e.filename or dirpath), "", f"{where}: cannot read folder: {e.strerror or e}"
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            p = Path(dirpath) / f
            yield p, p.relative_to(root).as_posix(), None
    for e in errors:
        yield Path(e.filename or root), "", f"{as_text(str(e.filename or root))}: cannot read folder: {e.strerror or e}"


def _file_items(path: Path, settings: Settings, filters: Filters, *, walked: bool) -> Iterator[Item]:
    """One file as items: a folder's FIFOs and devices are refused unopened; anything else is read
    with the size cap (read.read_input), a zip archive opened into its members."""
    name = as_text(str(path))
    try:
        data = read_input(path, settings, regular_only=walked)
    except LoadError as e:
        size = _size(path)
        yield Item(name=name, size=size, error=str(e))
        return
    if _is_zip_name(name) and zipfile.is_zipfile(io.BytesIO(data)):
        yield from _zip_items(name, data, 1, settings, filters)
    else:
        yield Item(name=name, data=data, size=len(data))


def _size(path: Path) -> int | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _member_name(info: zipfile.ZipInfo) -> str:
    # Zips made on Chinese Windows store GBK names without the UTF-8 flag; zipfile decodes them as cp437.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _zip_items(name: str, data: bytes, depth: int, settings: Settings, filters: Filters) -> Iterator[Item]:
    if depth > settings.max_zip_depth:
        yield Item(name=name, size=len(data), error=f"{name}: zip nested deeper than {settings.max_zip_depth} "
                   "levels (EXTRACTOR_MAX_ZIP_DEPTH)")
        return
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        yield Item(name=name, size=len(data), error=f"{name}: not a readable zip archive: {e}")
        return
    if len(infos) > settings.max_zip_members:
        yield Item(name=name, size=len(data), error=f"{name}: zip has {len(infos)} members, over the limit of "
                   f"{settings.max_zip_members} (EXTRACTOR_MAX_ZIP_MEMBERS)")
        return
    declared = sum(i.file_size for i in infos)
    if declared > settings.max_zip_total_bytes:
        yield Item(name=name, size=len(data), error=f"{name}: zip declares {declared} bytes uncompressed, over the "
                   f"limit of {settings.max_zip_total_bytes} (EXTRACTOR_MAX_ZIP_TOTAL_BYTES)")
        return
    total = 0
    names = Counter(_member_name(i) for i in infos)
    with zf:
        for index, info in sorted(enumerate(infos, 1), key=lambda x: (x[1].filename, x[0])):
            rel = _member_name(info)
            duplicate = names[rel] > 1
            member = f"{name}{ZIP_SEP}{rel}" + (f"#{index}" if duplicate else "")
            if _escapes(rel):
                yield Item(name=member, size=info.file_size, duplicate_name=duplicate,
                           error=f"{member}: zip member name points outside the archive ('..' or an "
                                 "absolute path); refused")
                continue
            if not filters.wanted(rel):
                continue
            item = _read_member(zf, info, member, settings, settings.max_zip_total_bytes - total)
            total += len(item.data) if item.data is not None else 0
            if item.data is not None and _is_zip_name(rel) and zipfile.is_zipfile(io.BytesIO(item.data)):
                yield from _zip_items(member, item.data, depth + 1, settings, filters)
            else:
                yield replace(item, duplicate_name=duplicate)


def _escapes(rel: str) -> bool:
    """A member name that would leave the folder it is extracted into: '..' parts or an absolute path."""
    parts = re.split(r"[\\/]", rel)
    return rel.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", rel)) or ".." in parts


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, settings: Settings,
                 budget: int) -> Item:
    if info.flag_bits & 0x1:
        return Item(name=member, size=info.file_size, error=f"{member}: encrypted zip member, cannot be read")
    if info.file_size > settings.max_file_bytes:
        return Item(name=member, size=info.file_size, error=str(too_big(member, info.file_size, settings)))
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _CHUNK and ratio > settings.max_zip_ratio:
        return Item(name=member, size=info.file_size, error=f"{member}: compression ratio {ratio:.0f}:1 is over the "
                    f"limit of {settings.max_zip_ratio:g} (EXTRACTOR_MAX_ZIP_RATIO): possible zip bomb")
    # Declared sizes can lie: count what actually comes out and stop at the limits.
    limit = min(settings.max_file_bytes, budget)
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                out += chunk
                if len(out) > limit:
                    if limit == settings.max_file_bytes:
                        return Item(name=member, size=info.file_size, error=str(too_big(member, None, settings)))
                    return Item(name=member, size=info.file_size, error=f"{member}: decompresses past {limit} bytes "
                                f"(declared {info.file_size}), over the limit (EXTRACTOR_MAX_ZIP_TOTAL_BYTES): "
                                "possible zip bomb")
                if len(out) > _CHUNK and len(out) / max(info.compress_size, 1) > settings.max_zip_ratio:
                    return Item(name=member, size=info.file_size, error=f"{member}: decompresses at a ratio over "
                                f"{settings.max_zip_ratio:g}:1 (EXTRACTOR_MAX_ZIP_RATIO): possible zip bomb")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        return Item(name=member, size=info.file_size, error=f"{member}: cannot decompress zip member: {e}")
    return Item(name=member, data=bytes(out), size=len(out))


def estimate_count(roots: Sequence[str | Path], filters: Filters) -> int:
    """A cheap count of the inputs for the progress bar (zip members counted from the top zip's index)."""
    n = 0
    for root in roots:
        rp = Path(root)
        paths = [p for p, rel, err in _walk(rp) if err or filters.wanted(rel)] if rp.is_dir() else [rp]
        for p in paths:
            n += _zip_count(p, filters) if _is_zip_name(p.name) else 1
    return n


def _zip_count(path: Path, filters: Filters) -> int:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return 1      # never open a FIFO or a device to count it
        with zipfile.ZipFile(path) as zf:
            return sum(1 for i in zf.infolist() if not i.is_dir() and (
                _escapes(_member_name(i)) or filters.wanted(_member_name(i))))
    except (zipfile.BadZipFile, OSError, ValueError):
        return 1
