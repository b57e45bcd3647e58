"""OCR of scanned pages: the Tesseract command line on a rendered page, hOCR back to `Line`s.

The first configured language runs alone; only when its words come back with low
confidence (the page is in another script) is the page read again with the other languages
leading ("eng+chi_sim" retries as "chi_sim+eng": the leading model decides doubtful
lines). On English scans this is 2-3x faster than "eng+chi_sim" at once, and cleaner
(the combined model sprinkles CJK characters into formulas). Calling the binary directly
is also ~1.6x faster than PyMuPDF's built-in OCR and lets several pages run at once.
"""
from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pymupdf

from parsers.layout import join_lines
from parsers.lines import Line

MIN_TEXT_CHARS = 30  # fewer characters than this counts as "no text layer"
RETRY_BELOW_CONF = 60.0  # mean word confidence (0-100) under which other languages are tried
TIMEOUT_S = 120
MAX_OCR_PIXELS = 40_000_000  # a page bigger than this at the OCR dpi is rendered coarser (huge page sizes)
_LINE_CLASSES = {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}
_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_NS = "{http://www.w3.org/1999/xhtml}"


class OcrUnavailable(RuntimeError):
    """Tesseract (or the requested language data) is not installed or failed."""


def looks_scanned(page: pymupdf.Page, text_chars: int) -> bool:
    """No real text layer, and images cover at least half of the page."""
    if text_chars >= MIN_TEXT_CHARS:
        return False
    page_area = abs(page.rect) or 1.0
    covered = 0.0
    for info in page.get_image_info():
        covered = max(covered, abs(pymupdf.Rect(info["bbox"]) & page.rect))
    return covered >= 0.5 * page_area


@dataclass(frozen=True)
class OcrPage:
    lines: list[Line]
    languages: str  # the language set that produced `lines`
    confidence: float  # mean word confidence, 0-100


class PageOcr:
    """`lines(pages)` OCRs pages at `dpi`, up to `jobs` Tesseract processes at a time.

    >>> PageOcr("eng+chi_sim").languages
    'eng+chi_sim'
    """

    def __init__(self, languages: str = "eng+chi_sim", dpi: int = 150, jobs: int = 2, retry: bool = True,
                 min_word_conf: float = 0.0) -> None:
        self.languages = languages
        self.dpi = dpi
        self.jobs = jobs
        self.retry = retry  # False: all languages at once, no second pass
        self.min_word_conf = min_word_conf  # words read with less confidence are dropped

    def lines(self, pages: list[pymupdf.Page]) -> list[OcrPage]:
        """One `OcrPage` per page, in order; raises `OcrUnavailable` if Tesseract fails."""
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            # render in this thread (PyMuPDF is not thread-safe); Tesseract runs in the pool
            futures = [pool.submit(self.read, *_render(page, self.dpi)) for page in pages]
            return [f.result() for f in futures]

    def images(self, images: list[tuple[bytes, int]]) -> list[OcrPage]:
        """OCR of (PNG, dpi) pairs, up to `jobs` at a time, in order."""
        if len(images) <= 1 or self.jobs <= 1:
            return [self.read(png, dpi) for png, dpi in images]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            return list(pool.map(lambda im: self.read(*im), images))

    def read(self, png: bytes, dpi: int | None = None) -> OcrPage:
        """OCR one PNG image (a rendered page or a query picture) rendered at `dpi` (default: ours)."""
        dpi = dpi or self.dpi
        if not self.retry:
            return self._run(png, self.languages, dpi)
        first, *rest = self.languages.split("+")
        page = self._run(png, first, dpi)
        if rest and page.confidence < RETRY_BELOW_CONF:  # other script: lead with the others
            page = self._run(png, "+".join(rest + [first]), dpi)
        return page

    def _run(self, png: bytes, languages: str, dpi: int) -> OcrPage:
        cmd = ["tesseract", "stdin", "stdout", "-l", languages, "--dpi", str(dpi), "hocr"]
        env = dict(os.environ, OMP_THREAD_LIMIT="1")  # ~7x faster on few cores
        try:
            done = subprocess.run(cmd, input=png, capture_output=True, env=env, timeout=TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OcrUnavailable(f"OCR failed ({type(exc).__name__}: {exc}); "
                                 "install tesseract-ocr and its language data") from exc
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise OcrUnavailable(f"OCR failed (tesseract -l {languages}: {err[0]}); "
                                 "install tesseract-ocr and its language data")
        lines, confidence = parse_hocr(done.stdout, 72.0 / dpi, self.min_word_conf)
        return OcrPage(lines, languages, confidence)


def _render(page: pymupdf.Page, dpi: int) -> tuple[bytes, int]:
    """The page as a gray PNG and the dpi it was rendered at: `dpi`, or less if the page is so
    large that `dpi` would pass MAX_OCR_PIXELS."""
    inches = abs(page.rect) / 72 / 72 or 1.0
    dpi = max(1, min(dpi, int((MAX_OCR_PIXELS / inches) ** 0.5)))
    return page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).tobytes("png"), dpi


def parse_hocr(hocr: bytes, scale: float, min_word_conf: float = 0.0) -> tuple[list[Line], float]:
    """Lines (bboxes in points: pixels x `scale`) and the mean word confidence of an hOCR page.

    Each Tesseract paragraph becomes one block; the font size is the line's `x_size`. Words
    read with a confidence under `min_word_conf` are left out of the lines (not of the mean).
    """
    root = ET.fromstring(hocr)
    out: list[Line] = []
    confs: list[float] = []
    for block, par in enumerate(root.iter(f"{_NS}p")):
        for span in par.iter(f"{_NS}span"):
            if span.get("class") not in _LINE_CLASSES:
                continue
            words = [w for w in span.iter(f"{_NS}span")
                     if w.get("class") == "ocrx_word" and (w.text or "").strip()]
            if not words:
                continue
            conf = [float(_prop(w, "x_wconf") or 0) for w in words]
            confs += conf
            words = [w for w, c in zip(words, conf) if c >= min_word_conf]
            if not words:
                continue
            box = tuple(int(v) * scale for v in _BBOX.search(span.get("title", "")).groups())
            size = float(_prop(span, "x_size") or (box[3] - box[1]) / scale) * scale
            out.append(Line(join_lines([w.text.strip() for w in words]), box, round(size, 1), False, 0.0, block))
    return out, sum(confs) / len(confs) if confs else 0.0


def _prop(node: ET.Element, key: str) -> str | None:
    m = re.search(rf"{key} ([\d.]+)", node.get("title", ""))
    return m.group(1) if m else None
