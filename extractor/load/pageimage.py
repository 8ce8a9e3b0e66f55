"""Page images: decode, straighten, and find ruled tables (their cells) from the ruling lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# numpy arrays: grey pages are uint8 H x W (0 = black ink, 255 = paper)
Image = Any


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in the straightened page's pixels."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass
class RuledCell:
    box: Box
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class RuledTable:
    """A table found from its ruling lines: its frame and its cells in reading order."""

    box: Box
    cells: list[RuledCell] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)


@dataclass
class Page:
    """One page image, straightened: `grey` is the page turned by -`angle` degrees about its
    centre; `to_original` maps a point of `grey` back to the image as given."""

    grey: Image
    angle: float
    ink: Image                 # bool mask of dark pixels (after straightening)
    lines: Image               # bool mask of the ruling lines

    def to_original(self, x: float, y: float) -> tuple[float, float]:
        h, w = self.grey.shape
        cx, cy = w / 2, h / 2
        a = math.radians(self.angle)
        dx, dy = x - cx, y - cy
        # straightening turned the page by -angle: turn back by +angle
        return (cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a))


def ink_mask(grey: Image) -> Image:
    """Dark pixels: Otsu's threshold, but never above 170 (a grey-shaded header cell is paper)."""
    import cv2

    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    t, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return blur < min(float(t), 170.0)


def _line_masks(ink: Image) -> tuple[Image, Image]:
    """Horizontal and vertical ruling lines: long thin runs of ink (opening with long kernels)."""
    import cv2

    h, w = ink.shape
    m = ink.astype(np.uint8) * 255
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 25), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(30, h // 60)))
    horiz = cv2.morphologyEx(m, cv2.MORPH_OPEN, hk)
    vert = cv2.morphologyEx(m, cv2.MORPH_OPEN, vk)
    return horiz > 0, vert > 0


def skew_angle(ink: Image) -> float:
    """The page's turn in degrees (positive: counter-clockwise... as cv2 measures), from its long
    horizontal rules, else from its text lines; 0.0 when nothing tells."""
    import cv2

    h, w = ink.shape
    # short horizontal kernel: a turned rule stays straight over ~w/25 pixels
    m = ink.astype(np.uint8) * 255
    horiz = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(30, w // 40), 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(horiz, connectivity=8)
    angles: list[tuple[float, float]] = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if bw < w // 4 or bh > 40:
            continue
        ys, xs = np.nonzero(labels[y:y + bh, x:x + bw] == i)
        if len(xs) < 50:
            continue
        slope = np.polyfit(xs.astype(float), ys.astype(float), 1)[0]
        angles.append((math.degrees(math.atan(slope)), float(bw)))
    if not angles:
        return 0.0
    angles.sort()
    # weighted median: long rules count more
    total = sum(wt for _, wt in angles)
    acc = 0.0
    for a, wt in angles:
        acc += wt
        if acc >= total / 2:
            return a if abs(a) <= 5 else 0.0
    return 0.0


def straighten(grey: Image) -> Page:
    """Turn the page so that its rules are level, and find its ink and ruling lines."""
    import cv2

    ink = ink_mask(grey)
    angle = skew_angle(ink)
    if abs(angle) >= 0.05:
        h, w = grey.shape
        rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        grey = cv2.warpAffine(grey, rot, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        ink = ink_mask(grey)
    else:
        angle = 0.0
    horiz, vert = _line_masks(ink)
    return Page(grey=grey, angle=angle, ink=ink, lines=horiz | vert)


def _bounds(values: list[int], tol: int) -> list[int]:
    out: list[int] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(bounds: list[int], v: int, tol: int) -> int:
    return min(range(len(bounds)), key=lambda i: abs(bounds[i] - v)) if bounds else 0


def find_tables(page: Page) -> list[RuledTable]:
    """Ruled tables: regions framed by horizontal and vertical lines, split into cells.

    A cell is a connected region of paper enclosed by rules; merged cells come out as one larger
    region and get row/column spans from the table's row and column boundaries.
    """
    import cv2

    h, w = page.grey.shape
    lines = page.lines.astype(np.uint8) * 255
    # close small breaks in the rules (noise, JPEG)
    lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    tables: list[RuledTable] = []
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        if bw < w // 5 or bh < 20:
            continue
        frame = labels[y:y + bh, x:x + bw] == i
        # close the frame: a table cut by a page break (or printed without outer rules) leaves its
        # first or last row open, and that row would be lost
        frame[0, :] = frame[-1, :] = True
        frame[:, 0] = frame[:, -1] = True
        paper = (~frame).astype(np.uint8)
        m, cl, cstats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
        boxes: list[Box] = []
        for j in range(1, m):
            cx, cy, cw, ch, carea = cstats[j]
            if cw < 8 or ch < 8:
                continue
            if carea < 0.5 * cw * ch:
                continue  # not a rectangle: a gap in a rule joined two cells oddly
            boxes.append(Box(int(x + cx), int(y + cy), int(x + cx + cw), int(y + cy + ch)))
        if len(boxes) < 2:
            continue
        tables.append(_grid(Box(int(x), int(y), int(x + bw), int(y + bh)), boxes))
    tables.sort(key=lambda t: t.box.y0)
    return tables


def _grid(frame: Box, boxes: list[Box], tol: int = 10) -> RuledTable:
    xs = _bounds([b.x0 for b in boxes] + [b.x1 for b in boxes], tol)
    ys = _bounds([b.y0 for b in boxes] + [b.y1 for b in boxes], tol)
    cells: list[RuledCell] = []
    for b in boxes:
        r0, r1 = _index(ys, b.y0, tol), _index(ys, b.y1, tol)
        c0, c1 = _index(xs, b.x0, tol), _index(xs, b.x1, tol)
        cells.append(RuledCell(b, r0, c0, max(1, r1 - r0), max(1, c1 - c0)))
    cells.sort(key=lambda c: (c.row, c.col))
    return RuledTable(frame, cells)
