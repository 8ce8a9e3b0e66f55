"""Page N of an input (a PDF, or a page image) as a PNG at a given dpi, within a pixel budget.

The review page shows the printed page beside the extracted table and draws the box of a clicked
number on it: `PageBox` corners are in pixels at `PageBox.dpi` (72 = PDF points), so a box scales
to an image served at `dpi` by `dpi / box.dpi`. OCR of page images uses the same rendering.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from .document import PageBox
from .errors import NoSuchPageError, PageImageError

PDF_DPI = 72.0          # PDF user space: one unit is a point, 1/72 inch
IMAGE_DPI = 150.0       # a page image that does not say its resolution
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8", b"RIFF")


@dataclass(frozen=True)
class PageSize:
    """A page as it will be served: its number, the dpi (lowered to fit the pixel budget) and its
    size in pixels at that dpi."""

    page: int
    dpi: float
    width: int
    height: int

    def scale(self, box: PageBox) -> tuple[float, float, float, float]:
        """A box's corners in this page image's pixels."""
        f = self.dpi / box.dpi
        return (round(box.x0 * f, 1), round(box.y0 * f, 1), round(box.x1 * f, 1), round(box.y1 * f, 1))


@dataclass(frozen=True)
class PageImage:
    size: PageSize
    png: bytes


def is_paged(data: bytes) -> bool:
    """True for inputs that have pages to show: PDFs and page images."""
    head = data[:1024].lstrip()
    return head.startswith(b"%PDF") or _is_image(data)


def _is_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC) and not (data.startswith(b"RIFF") and data[8:12] != b"WEBP")


class PageRenderer:
    """Renders pages, one at a time (pdfium is not thread-safe), keeping the last images in an LRU
    cache of at most `cache_bytes` (keyed by the input's sha256, page and dpi)."""

    def __init__(self, *, max_pixels: int, cache_bytes: int):
        self.max_pixels = max_pixels
        self.cache_bytes = cache_bytes
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int, float], PageImage] = OrderedDict()
        self._cached = 0

    def count(self, data: bytes) -> int:
        """How many pages the input has."""
        with self._lock:
            return _with_pages(data, lambda pages: pages.count())

    def size(self, data: bytes, page: int, dpi: float) -> PageSize:
        """The page's size at `dpi`, or at the lower dpi the pixel budget allows."""
        with self._lock:
            return _with_pages(data, lambda pages: pages.size(page, dpi, self.max_pixels))

    def sizes(self, data: bytes, dpi: float) -> list[PageSize]:
        """Every page's size at `dpi` (or lower, within the pixel budget), opening the input once."""
        with self._lock:
            return _with_pages(data, lambda pages: [pages.size(n, dpi, self.max_pixels)
                                                    for n in range(1, pages.count() + 1)])

    def render(self, data: bytes, sha256: str, page: int, dpi: float) -> PageImage:
        """The page as PNG (from the cache when it was rendered before)."""
        key = (sha256, page, round(dpi, 2))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            image = _with_pages(data, lambda pages: pages.render(page, dpi, self.max_pixels))
            if len(image.png) <= self.cache_bytes:
                self._cache[key] = image
                self._cached += len(image.png)
                while self._cached > self.cache_bytes:
                    _, old = self._cache.popitem(last=False)
                    self._cached -= len(old.png)
            return image


def _with_pages(data: bytes, use: Callable[[Any], Any]) -> Any:
    pages: _Pages = _PdfPages(data) if data[:1024].lstrip().startswith(b"%PDF") else _ImagePages(data)
    try:
        return use(pages)
    finally:
        pages.close()


def _fit(width_in: float, height_in: float, dpi: float, max_pixels: int) -> float:
    """The dpi, lowered so the page has at most max_pixels."""
    pixels = width_in * dpi * height_in * dpi
    if pixels > max_pixels:
        dpi = dpi * (max_pixels / pixels) ** 0.5
    return dpi


class _Pages:
    def count(self) -> int:
        raise NotImplementedError

    def size(self, page: int, dpi: float, max_pixels: int) -> PageSize:
        raise NotImplementedError

    def render(self, page: int, dpi: float, max_pixels: int) -> PageImage:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def _check(self, page: int) -> None:
        n = self.count()
        if not 1 <= page <= n:
            raise NoSuchPageError(f"page {page} does not exist: the input has {n} page{'s' if n != 1 else ''}")


class _PdfPages(_Pages):
    def __init__(self, data: bytes):
        import pypdfium2 as pdfium  # local import: only the page view needs it

        try:
            self.pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            raise PageImageError(f"the PDF cannot be opened to show its pages ({e})") from e

    def count(self) -> int:
        return len(self.pdf)

    def size(self, page: int, dpi: float, max_pixels: int) -> PageSize:
        self._check(page)
        w, h = self.pdf[page - 1].get_size()
        dpi = round(_fit(w / PDF_DPI, h / PDF_DPI, dpi, max_pixels), 2)
        # pdfium's own rounding of the bitmap size
        return PageSize(page, dpi, math.ceil(w * (dpi / PDF_DPI)), math.ceil(h * (dpi / PDF_DPI)))

    def render(self, page: int, dpi: float, max_pixels: int) -> PageImage:
        import pypdfium2 as pdfium

        size = self.size(page, dpi, max_pixels)
        try:
            image = self.pdf[page - 1].render(scale=size.dpi / PDF_DPI).to_pil()
        except pdfium.PdfiumError as e:
            raise PageImageError(f"page {page} cannot be rendered ({e})") from e
        return _png(image, size)

    def close(self) -> None:
        self.pdf.close()


class _ImagePages(_Pages):
    def __init__(self, data: bytes):
        from PIL import Image, UnidentifiedImageError

        if not _is_image(data):
            raise PageImageError("the input has no pages to show (it is neither a PDF nor a page image)")
        try:
            self.image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as e:
            raise PageImageError(f"the page image cannot be opened ({e})") from e

    def count(self) -> int:
        return int(getattr(self.image, "n_frames", 1))

    def _native_dpi(self) -> float:
        dpi = self.image.info.get("dpi")
        try:
            value = float(dpi[0]) if dpi else IMAGE_DPI
        except (TypeError, ValueError, IndexError):
            value = IMAGE_DPI
        return value if value >= 10 else IMAGE_DPI

    def size(self, page: int, dpi: float, max_pixels: int) -> PageSize:
        self._check(page)
        self.image.seek(page - 1)
        native = self._native_dpi()
        w, h = self.image.size
        dpi = round(_fit(w / native, h / native, dpi, max_pixels), 2)
        return PageSize(page, dpi, max(1, round(w * dpi / native)), max(1, round(h * dpi / native)))

    def render(self, page: int, dpi: float, max_pixels: int) -> PageImage:
        size = self.size(page, dpi, max_pixels)
        try:
            frame = self.image.convert("RGB") if self.image.mode not in ("RGB", "L") else self.image.copy()
            image = frame.resize((size.width, size.height)) if frame.size != (size.width, size.height) else frame
        except (OSError, ValueError) as e:
            raise PageImageError(f"page {page} of the image cannot be decoded ({e})") from e
        return _png(image, size)

    def close(self) -> None:
        self.image.close()


def _png(image: Any, size: PageSize) -> PageImage:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=6)
    return PageImage(size, buf.getvalue())
