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
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pymupdf

from unirag.parsers.layout import join_lines
from unirag.parsers.lines import BBox, Line
from unirag.parsers.png import png_bytes

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
class OcrWord:
    text: str
    bbox: BBox  # points
    confidence: float  # 0-100


@dataclass(frozen=True)
class OcrPage:
    lines: list[Line]
    languages: str  # the language set that produced `lines`
    confidence: float  # mean word confidence, 0-100
    words: tuple[OcrWord, ...] = ()  # every word read, in reading order (table cells are built from them)


class PageOcr:
    """`lines(pages)` OCRs pages at `dpi`, up to `jobs` Tesseract processes at a time.

    >>> PageOcr("eng+chi_sim").languages
    'eng+chi_sim'
    """

    def __init__(self, languages: str = "eng+chi_sim", dpi: int = 150, jobs: int = 2, retry: bool = True,
                 min_word_conf: float = 0.0, psm: int | None = None) -> None:
        self.languages = languages
        self.dpi = dpi
        self.jobs = jobs
        self.retry = retry  # False: all languages at once, no second pass
        self.min_word_conf = min_word_conf  # words read with less confidence are dropped
        self.psm = psm  # Tesseract's page segmentation mode (None: its default, 3); 6 reads a table's rows across

    def lines(self, pages: list[pymupdf.Page]) -> list[OcrPage]:
        """One `OcrPage` per page, in order; raises `OcrUnavailable` if Tesseract fails."""
        out: list[OcrPage] = []
        step = 8 * max(1, self.jobs)  # render a slice at a time: bounded memory on long scans
        for i in range(0, len(pages), step):
            out += self.images([_render(page, self.dpi) for page in pages[i:i + step]])
        return out

    def images(self, images: list[tuple[bytes, int]]) -> list[OcrPage]:
        """OCR of (PNG, dpi) pairs, in order: split over `jobs` Tesseract processes that read
        several images each (a process start and model load cost ~0.15 s of CPU apiece)."""
        if not self.retry:
            return self._batches(images, self.languages)
        first, *rest = self.languages.split("+")
        out = self._batches(images, first)
        low = [i for i, page in enumerate(out) if rest and page.confidence < RETRY_BELOW_CONF]
        if low:  # another script: read again with the other languages leading
            again = self._batches([images[i] for i in low], "+".join(rest + [first]))
            for i, page in zip(low, again):
                out[i] = page
        return out

    def read(self, png: bytes, dpi: int | None = None) -> OcrPage:
        """OCR one PNG image (a rendered page or a query picture) rendered at `dpi` (default: ours)."""
        return self.images([(png, dpi or self.dpi)])[0]

    def _batches(self, images: list[tuple[bytes, int]], languages: str) -> list[OcrPage]:
        if not images:
            return []
        jobs = max(1, min(self.jobs, len(images)))
        groups = [list(range(len(images)))[k::jobs] for k in range(jobs)]  # round robin: similar sizes
        out: dict[int, OcrPage] = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for idx, pages in zip(groups, pool.map(lambda g: self._run([images[i] for i in g], languages), groups)):
                for i, page in zip(idx, pages):
                    out[i] = page
        return [out[i] for i in range(len(images))]

    def _run(self, images: list[tuple[bytes, int]], languages: str) -> list[OcrPage]:
        """One Tesseract process over `images` (several through a list file)."""
        env = dict(os.environ, OMP_THREAD_LIMIT="1")  # ~7x faster on few cores
        psm = ["--psm", str(self.psm)] if self.psm is not None else []
        with tempfile.TemporaryDirectory(prefix="unirag-ocr-") as tmp:
            if len(images) == 1:
                cmd = ["tesseract", "stdin", "stdout", "-l", languages, "--dpi", str(images[0][1]), *psm, "hocr"]
                data = images[0][0]
            else:  # each PNG carries its dpi (pHYs), which Tesseract reads
                names = []
                for i, (png, _) in enumerate(images):
                    names.append(os.path.join(tmp, f"{i}.png"))
                    with open(names[-1], "wb") as f:
                        f.write(png)
                listing = os.path.join(tmp, "images.txt")
                with open(listing, "w") as f:
                    f.write("\n".join(names) + "\n")
                cmd, data = ["tesseract", listing, "stdout", "-l", languages, *psm, "hocr"], None
            try:
                done = subprocess.run(cmd, input=data, capture_output=True, env=env,
                                      timeout=TIMEOUT_S * len(images))
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise OcrUnavailable(f"OCR failed ({type(exc).__name__}: {exc}); "
                                     "install tesseract-ocr and its language data") from exc
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise OcrUnavailable(f"OCR failed (tesseract -l {languages}: {err[0]}); "
                                 "install tesseract-ocr and its language data")
        pages = [div for div in ET.fromstring(done.stdout).iter(f"{_NS}div") if div.get("class") == "ocr_page"]
        if len(pages) != len(images):
            raise OcrUnavailable(f"OCR failed (tesseract -l {languages}: {len(pages)} pages read "
                                 f"of {len(images)} images)")
        out = []
        for div, (_, dpi) in zip(pages, images):
            lines, confidence = parse_hocr(div, 72.0 / dpi, self.min_word_conf)
            out.append(OcrPage(lines, languages, confidence, hocr_words(div, 72.0 / dpi)))
        return out


def _render(page: pymupdf.Page, dpi: int) -> tuple[bytes, int]:
    """The page as a gray PNG and the dpi it was rendered at: `dpi`, or less if the page is so
    large that `dpi` would pass MAX_OCR_PIXELS."""
    inches = abs(page.rect) / 72 / 72 or 1.0
    dpi = max(1, min(dpi, int((MAX_OCR_PIXELS / inches) ** 0.5)))
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    pix.set_dpi(dpi, dpi)  # read by Tesseract when several images go to one process
    return png_bytes(pix), dpi


def parse_hocr(hocr: bytes | ET.Element, scale: float, min_word_conf: float = 0.0) -> tuple[list[Line], float]:
    """Lines (bboxes in points: pixels x `scale`) and the mean word confidence of an hOCR page.

    Each Tesseract paragraph becomes one block; the font size is the line's `x_size`. Words
    read with a confidence under `min_word_conf` are left out of the lines (not of the mean).
    """
    root = ET.fromstring(hocr) if isinstance(hocr, bytes) else hocr
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
            m = _BBOX.search(span.get("title", ""))
            assert m is not None, f"hOCR line without a bbox: {span.get('title')!r}"  # Tesseract always writes one
            x0, y0, x1, y1 = (int(v) * scale for v in m.groups())
            box = (x0, y0, x1, y1)
            size = float(_prop(span, "x_size") or (box[3] - box[1]) / scale) * scale
            out.append(Line(join_lines([(w.text or "").strip() for w in words]), box, round(size, 1), False, 0.0, block))
    return out, sum(confs) / len(confs) if confs else 0.0


def hocr_words(root: ET.Element, scale: float) -> tuple[OcrWord, ...]:
    """Every non-empty word of an hOCR page, bboxes in points (pixels x `scale`)."""
    out = []
    for w in root.iter(f"{_NS}span"):
        text = (w.text or "").strip()
        m = _BBOX.search(w.get("title", ""))
        if w.get("class") == "ocrx_word" and text and m:
            box = tuple(int(v) * scale for v in m.groups())
            out.append(OcrWord(text, (box[0], box[1], box[2], box[3]), float(_prop(w, "x_wconf") or 0)))
    return tuple(out)


def _prop(node: ET.Element, key: str) -> str | None:
    m = re.search(rf"{key} ([\d.]+)", node.get("title", ""))
    return m.group(1) if m else None
