"""Hostile inputs the tests make themselves (never committed): PDFs that take minutes or
gigabytes to read, and a writer of small PDF files for them."""

from __future__ import annotations

import io
import zlib


def pdf_file(objs: list[bytes], trailer_extra: str = "") -> bytes:
    """A PDF file of the given numbered objects (object 1 is the catalog) with a valid xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R {trailer_extra}>>\n"
              f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _one_page(content: bytes, filter_: str = "/FlateDecode") -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} /Filter {filter_} >>\nstream\n".encode() + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objs)


def operator_bomb_pdf(megabytes: int = 200) -> bytes:
    """One page whose compressed content stream holds `megabytes` MB of drawing operators:
    a few hundred KB on disk that take a PDF reader minutes."""
    line = b"0 0 m 1 1 l S\n"
    block = line * (1 << 16)
    z = zlib.compressobj(9)
    parts = [z.compress(b"BT /F1 12 Tf 72 760 Td (Annual report) Tj ET\n")]
    for _ in range(megabytes * (1 << 20) // len(block)):
        parts.append(z.compress(block))
    parts.append(z.flush())
    return _one_page(b"".join(parts))


def flate_bomb_pdf(megabytes: int = 1024) -> bytes:
    """One page whose content stream inflates from about 1/1000 of its size to `megabytes` MB of
    blanks (a reader that inflates it whole needs that much memory, and more)."""
    head = b"BT /F1 12 Tf 72 760 Td (Annual report) Tj ET\n"
    block = b" " * (1 << 20)
    # each full-flushed block compresses alone: compress it once, repeat the bytes
    z = zlib.compressobj(9)
    first = z.compress(head) + z.flush(zlib.Z_FULL_FLUSH)
    again = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    tail = z.flush()   # final empty block; its checksum is for `head` + one block only
    check = zlib.adler32(head)
    for _ in range(megabytes):
        check = zlib.adler32(block, check)
    stream = first + again * megabytes + tail[:-4] + check.to_bytes(4, "big")
    return _one_page(stream)
