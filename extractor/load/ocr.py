"""The OCR engine (rapidocr-onnxruntime: PP-OCRv4 Chinese models shipped inside its wheel, run by
onnxruntime on the CPU): text detection on a page, recognition of crops with per-character scores."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .pageimage import Box, Image

EXTRA = "pip install 'gov-report-extractor[ocr]'"


class OcrUnavailable(Exception):
    """rapidocr-onnxruntime is not installed (the loaders turn this into a LoadError)."""


@dataclass(frozen=True)
class Read:
    """One recognition of one crop: its text and each character's score (0..1)."""

    text: str
    scores: tuple[float, ...]

    def lowest(self, digits_only: bool = False) -> float:
        """The lowest character score (of the digits only, when asked and there are some)."""
        pairs = list(zip(self.text, self.scores))
        if digits_only and any(ch.isdigit() for ch, _ in pairs):
            pairs = [(ch, s) for ch, s in pairs if ch.isdigit()]
        return min((s for _, s in pairs), default=1.0 if not self.text else 0.0)


class Engine:
    """Detection and recognition models, loaded once per process (about 0.2 s)."""

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as e:
            raise OcrUnavailable(f"OCR is not installed ({EXTRA})") from e
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._ocr = RapidOCR()
        # detect on the page scaled to at most 1024 pixels a side (the default scales a page up to
        # 736 on its short side): as many lines found on 150 dpi pages, in a third of the time
        self._ocr.text_det.limit_type = "max"
        self._ocr.text_det.limit_side_len = 1024

    def detect(self, grey: Image) -> list[Box]:
        """Text lines on a page, as boxes (quadrilaterals' bounding rectangles), top to bottom."""
        import cv2

        quads, _ = self._ocr.text_det(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
        if quads is None:
            return []
        out = []
        for q in quads:
            xs = [float(p[0]) for p in q]
            ys = [float(p[1]) for p in q]
            out.append(Box(int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1))
        out.sort(key=lambda b: (b.y0, b.x0))
        return out

    def recognise(self, crops: list[Image]) -> list[Read]:
        """One line of text per crop (grey images), with per-character scores."""
        import cv2

        if not crops:
            return []
        colour = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops]
        results: list[Any]
        results, _ = self._ocr.text_rec(colour, True)
        out: list[Read] = []
        for r in results:
            text = str(r[0])
            scores: tuple[float, ...] = ()
            if len(r) > 2 and r[2] and len(r[2]) > 4:
                scores = tuple(float(s) for s in r[2][4])
            if len(scores) != len(text):
                scores = (float(r[1]),) * len(text)
            out.append(Read(text, scores))
        return out


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The process's OCR engine (models are read once; onnxruntime sessions are thread-safe)."""
    return Engine()
