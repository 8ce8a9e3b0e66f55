#!/usr/bin/env python3
"""Refresh the repository's copy of the hand-labelled reports (evals/reports/) from the folder where
new labelled reports arrive (default: ../shared/reports/dev beside the checkout).

Each NNN/ report folder is mirrored: new and changed files are copied, files gone from the source
are removed, and every change is printed. PDFs are copied with the links to local files that their
producer left in them (a browser printing a saved page resolves its relative links against the
folder it was in: `/URI (file:///<its folder>/...)`) blanked to the same length, so the copy names
no machine path and its byte offsets stay valid; nothing read from a page changes.
Commit evals/reports/ (and re-record evals/baseline.json with `extractor eval --update-baseline`
when the figures change) afterwards.

    scripts/refresh_eval_reports.py [--from DIR] [--dry-run]
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "evals" / "reports"


# a PDF link target naming a local file: file:// then the path, up to the string's end
_LOCAL_URI = re.compile(rb"(?<=\(file://)[^()\\\s]+(?=\))")


def scrub_local_paths(data: bytes) -> bytes:
    """A PDF's bytes with every file:// link target blanked to '/' + dashes of the same length."""
    return _LOCAL_URI.sub(lambda m: b"/" + b"-" * (len(m.group(0)) - 1), data)


def copied_bytes(src: Path) -> bytes:
    data = src.read_bytes()
    return scrub_local_paths(data) if src.suffix.lower() == ".pdf" else data


def is_report(folder: Path) -> bool:
    return folder.is_dir() and (folder / "source.json").is_file() and (folder / "gold.json").is_file()


def refresh(source: Path, target: Path, dry_run: bool) -> list[str]:
    changes: list[str] = []
    wanted = {f.name for f in source.iterdir() if is_report(f)}
    for name in sorted(wanted):
        src, dst = source / name, target / name
        src_files = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
        dst_files = {p.relative_to(dst) for p in dst.rglob("*") if p.is_file()} if dst.is_dir() else set()
        for rel in sorted(src_files):
            data = copied_bytes(src / rel)
            if rel not in dst_files:
                changes.append(f"new      {name}/{rel}")
            elif (dst / rel).read_bytes() != data:
                changes.append(f"changed  {name}/{rel}")
            else:
                continue
            if not dry_run:
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                (dst / rel).write_bytes(data)
                shutil.copystat(src / rel, dst / rel)
        for rel in sorted(dst_files - src_files):
            changes.append(f"removed  {name}/{rel}")
            if not dry_run:
                (dst / rel).unlink()
    for old in sorted(f for f in target.iterdir() if f.is_dir() and f.name not in wanted) if target.is_dir() else []:
        changes.append(f"removed  {old.name}/ (no longer in {source})")
        if not dry_run:
            shutil.rmtree(old)
    return changes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, default=REPO.parent / "shared" / "reports" / "dev",
                    help="folder of NNN/ labelled reports (default: ../shared/reports/dev)")
    ap.add_argument("--dry-run", action="store_true", help="only list what would change")
    args = ap.parse_args()
    if not args.source.is_dir():
        print(f"no such folder: {args.source}", file=sys.stderr)
        return 2
    TARGET.mkdir(parents=True, exist_ok=True)
    changes = refresh(args.source.resolve(), TARGET, args.dry_run)
    label_format = args.source.resolve().parent / "FORMAT.md"   # the label format beside the reports
    if label_format.is_file() and not filecmp.cmp(label_format, REPO / "evals" / "FORMAT.md", shallow=False):
        changes.append("changed  FORMAT.md")
        if not args.dry_run:
            shutil.copy2(label_format, REPO / "evals" / "FORMAT.md")
    for line in changes:
        print(line)
    print(f"{len(changes)} change(s){' (dry run)' if args.dry_run else ''}; {TARGET} now holds "
          f"{sum(1 for f in TARGET.iterdir() if is_report(f))} labelled reports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
