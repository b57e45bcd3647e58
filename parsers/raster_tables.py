"""Tables in pixels: scanned pages and raster images (slides, screenshots) that hold a table.

A table is found by its ruling lines: two or more horizontal rules of the same extent (a booktabs
table's top, middle and bottom rules, or the rows of a grid) bound its region, header row
included. Only then is the region read by Tesseract (one uniform block, so a row is read across),
and its words are placed in cells: rows are the rule-separated bands of a grid (vertical rules
present) or the text lines otherwise; columns are the vertical rules, or the gaps that (nearly)
every row leaves free. A region whose words do not fill a table, that Tesseract reads with low
confidence (plot marks, diagrams) or that is mostly not background (a plot panel, a dark
screenshot) or inked more than text is (a drawing) is not a table; the last two are not read.

Rules are found by `unirag.parsers.pixel_rules.RuleMap`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pymupdf

from unirag.parsers.lines import BBox
from unirag.parsers.ocr import OcrPage, OcrWord, PageOcr
from unirag.parsers.pixel_rules import FRAME_INSET, PxBox, RuleMap, band_box, runs
from unirag.parsers.png import png_bytes
from unirag.parsers.tables import MIN_COLS, MIN_FILL, MIN_FILLED_CELLS, MIN_ROWS

TABLE_DPI = 200  # dots per inch: regions are searched and read at this resolution
TABLE_PSM = 6  # Tesseract's "uniform block of text" mode: a table's row is read across as one line
MAX_PX = 2400  # longest side of a rendered region, in pixels
ERASE = 2  # pixels around a rule that are whitened before its region is read
MIN_HEIGHT = 14.0  # points: a ruled region lower than this holds no two rows of text
MIN_WIDTH = 60.0  # points: a ruled region narrower than this holds no two columns of text (a diagram's box)
OCR_PAD = 4  # points added around a table region when it is read
WORD_MIN_CONF = 20.0  # words read with less confidence are dropped (specks, rule fragments)
ROW_OVERLAP = 0.5  # share of the shorter height a word and a line overlap vertically for the word to join it
COL_GAP = 0.8  # median word heights: the narrowest free gap between two columns
MAX_CELL_CHARS = 40  # characters: the median cell of a table is no longer
MIN_TABLE_CONF = 65.0  # mean Tesseract word confidence (0-100) of a region, at least: lower is a picture's marks
PAPER_PERCENTILE = 90  # percentile of a clip's gray levels taken as its background (paper)
PAPER_TOL = 15  # gray levels: a table region's median is at most this much darker than the background
INK_CONTRAST = 60  # gray levels darker than the background that count as ink
MAX_INK = 0.12  # share of a table region's pixels that are ink, at most (more: a drawing, a waveform, a photo)
SPAN_SHARE = 0.15  # share of the rows that may cross a column gap (headers spanning columns)
SPAN_MIN_ROWS = 3  # count: in a table of more rows, at least one row may cross a column gap
_RULE_TEXT = re.compile(r"^[|_\-—–=~.,:;'`\"]+$")  # OCR of rule fragments, not words
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])")


@dataclass(frozen=True)
class RasterTable:
    bbox: BBox  # points, on the page: the region between the outer rules
    rows: tuple[tuple[str, ...], ...]  # cell text, row by row, the header row first


def _rows(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Words grouped into text lines: a word joins a line it overlaps by ROW_OVERLAP of its height."""
    lines: list[list[OcrWord]] = []
    for w in sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2):
        h = w.bbox[3] - w.bbox[1]
        for ln in lines:
            top, bottom = min(v.bbox[1] for v in ln), max(v.bbox[3] for v in ln)
            if min(bottom, w.bbox[3]) - max(top, w.bbox[1]) >= ROW_OVERLAP * min(h, bottom - top):
                ln.append(w)
                break
        else:
            lines.append([w])
    return [sorted(ln, key=lambda v: v.bbox[0]) for ln in sorted(lines, key=lambda ln: min(v.bbox[1] for v in ln))]


def _gap_columns(rows: list[list[OcrWord]], x0: float, x1: float) -> list[float]:
    """Column boundaries (x) at the gaps that all but SPAN_SHARE of the rows leave free."""
    heights = sorted(w.bbox[3] - w.bbox[1] for r in rows for w in r)
    step = 0.5  # points per bin
    n = max(int((x1 - x0) / step) + 1, 1)
    cover = np.zeros(n, np.int32)
    for r in rows:
        hit = np.zeros(n, bool)
        for w in r:
            hit[max(int((w.bbox[0] - x0) / step), 0):max(int((w.bbox[2] - x0) / step) + 1, 0)] = True
        cover += hit
    free = cover <= max(int(SPAN_SHARE * len(rows)), 1 if len(rows) > SPAN_MIN_ROWS else 0)
    used = np.flatnonzero(~free)
    if used.size == 0:
        return []
    min_gap = COL_GAP * heights[len(heights) // 2] / step
    out = []
    for _, s, e in runs(free[None, used[0]:used[-1] + 1], max(int(min_gap), 1)):
        out.append(x0 + (used[0] + (s + e) / 2) * step)
    return out


def _join(words: list[OcrWord]) -> str:
    return _CJK_SPACE.sub("", " ".join(w.text for w in words))


def _centre_in(b: BBox, box: BBox) -> bool:
    return box[0] <= (b[0] + b[2]) / 2 <= box[2] and box[1] <= (b[1] + b[3]) / 2 <= box[3]


def cell_rows(words: list[OcrWord], box: BBox, hrules: list[float], vrules: list[float]) -> list[list[str]]:
    """Cells of the table in `box` (points) from its words; `hrules`/`vrules`: y/x of its inner
    rules. With vertical rules (a grid), rows are the bands between the horizontal rules."""
    inside = [w for w in words if _centre_in(w.bbox, box)]
    lines = _rows(inside)
    if not lines:
        return []
    if vrules and hrules:
        edges = [box[1], *hrules, box[3]]
        bands: list[list[OcrWord]] = [[] for _ in edges[1:]]
        for ln in lines:
            yc = sum((w.bbox[1] + w.bbox[3]) / 2 for w in ln) / len(ln)
            bands[max(i for i, e in enumerate(edges[:-1]) if yc >= e or i == 0)] += ln
        lines = [b for b in bands if b]
    cols = sorted(vrules) if vrules else _gap_columns(lines, box[0], box[2])
    out = []
    for ln in lines:
        cells: list[list[OcrWord]] = [[] for _ in range(len(cols) + 1)]
        for w in ln:  # line by line, left to right
            xc = (w.bbox[0] + w.bbox[2]) / 2
            cells[sum(1 for c in cols if xc > c)].append(w)
        out.append([_join(c) for c in cells])
    keep = [j for j in range(len(cols) + 1) if any(r[j] for r in out)]
    return [[r[j] for j in keep] for r in out if any(r[j] for j in keep)]


def is_table(rows: list[list[str]]) -> bool:
    """At least MIN_ROWS rows, MIN_COLS columns and MIN_FILL of the cells with text, most of them
    short (lines of prose or of a log in a box are not cells)."""
    if len(rows) < MIN_ROWS or len(rows[0]) < MIN_COLS:
        return False
    filled = sorted(len(c) for r in rows for c in r if c)
    return len(filled) >= max(MIN_FILLED_CELLS, MIN_FILL * len(rows) * len(rows[0])) \
        and filled[len(filled) // 2] <= MAX_CELL_CHARS


class RasterTableFinder:
    """`find(page, clip)` -> the tables drawn in pixels inside `clip` (a scanned page, an image).

    Ruled regions are read by Tesseract in `language`, as one uniform block of text (each row read
    across), `jobs` processes at a time. The clip is rendered once at TABLE_DPI (less for large ones);
    nothing is read where no rules bound a region.

    >>> RasterTableFinder("eng").reader.psm
    6
    """

    def __init__(self, language: str = "eng", jobs: int = 1) -> None:
        self.reader = PageOcr(language, TABLE_DPI, jobs, retry=False, psm=TABLE_PSM)

    def find(self, page: pymupdf.Page, clip: BBox, display: pymupdf.DisplayList | None = None) -> list[RasterTable]:
        """Tables inside `clip` (points); `display`: the page's display list, when the caller has one."""
        rect = pymupdf.Rect(clip) & page.rect
        if rect.is_empty:
            return []
        dpi = max(1, min(TABLE_DPI, int(MAX_PX * 72 / max(rect.width, rect.height))))
        pix = (display or page).get_pixmap(matrix=pymupdf.Matrix(dpi / 72, dpi / 72), clip=rect,
                                           colorspace=pymupdf.csGRAY, alpha=False)
        gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
        rules = RuleMap(gray)
        bands = rules.bands()
        if not bands:
            return []
        page_px = _PagePixels(rect.x0, rect.y0, 72 / dpi)
        clean = gray.copy()  # rules erased: Tesseract reads the cells of a grid, not its lines
        paper = float(np.percentile(gray, PAPER_PERCENTILE))
        regions = [self._region(g, rules, page_px, clean, paper) for g in bands]
        regions = [r for r in regions if r.box[3] - r.box[1] >= MIN_HEIGHT and r.box[2] - r.box[0] >= MIN_WIDTH]
        regions = [r for r in regions if r.light]
        if not regions:
            return []
        crops = [self._crop(r.box, rect, page_px, clean, dpi) for r in regions]
        found = []
        for region, read, (_, origin) in zip(regions, self.reader.images([c for c, _ in crops]), crops):
            rows = cell_rows(self._words(read, origin), region.box, region.hrules, region.vrules)
            if read.confidence >= MIN_TABLE_CONF and is_table(rows):
                found.append(RasterTable(region.box, tuple(tuple(r) for r in rows)))
        return found

    @staticmethod
    def _words(read: OcrPage, origin: tuple[float, float]) -> list[OcrWord]:
        """The words read in a crop whose top-left corner is at `origin` (points), placed on the page."""
        return [OcrWord(w.text, (w.bbox[0] + origin[0], w.bbox[1] + origin[1], w.bbox[2] + origin[0],
                                 w.bbox[3] + origin[1]), w.confidence)
                for w in read.words if w.confidence >= WORD_MIN_CONF and not _RULE_TEXT.match(w.text)]

    @staticmethod
    def _region(band: list[PxBox], rules: RuleMap, at: _PagePixels, clean: np.ndarray, paper: float) -> _Region:
        """The band's region in points, with its inner rules; its rules are whitened in `clean`.
        `paper`: the gray level of the clip's background."""
        px = band_box(band)
        area = clean[int(px[1]):int(px[3]), int(px[0]):int(px[2])]
        light = area.size > 0 and float(np.median(area)) >= paper - PAPER_TOL \
            and float((area < paper - INK_CONTRAST).mean()) <= MAX_INK
        vrules = rules.vertical_rules(px)
        for r in band:
            clean[max(int(r[1]) - ERASE, 0):int(r[3]) + ERASE, int(r[0]):int(r[2])] = 255
        for a, b in vrules:
            clean[int(px[1]):int(px[3]), max(int(a) - ERASE, 0):int(b) + ERASE] = 255
        pad = FRAME_INSET * (px[2] - px[0])  # rules nearer the sides are the sides (a frame, its shadow)
        inner_x = [at.x((a + b) / 2) for a, b in vrules if px[0] + pad < (a + b) / 2 < px[2] - pad]
        return _Region((at.x(px[0]), at.y(px[1]), at.x(px[2]), at.y(px[3])),
                       [at.y((r[1] + r[3]) / 2) for r in band[1:-1]], inner_x, light)

    @staticmethod
    def _crop(box: BBox, rect: pymupdf.Rect, at: _PagePixels, clean: np.ndarray,
              dpi: int) -> tuple[tuple[bytes, int], tuple[float, float]]:
        """A PNG of `box` (padded by OCR_PAD) cut from `clean`, and its top-left corner in points."""
        area = (pymupdf.Rect(box) + (-OCR_PAD, -OCR_PAD, OCR_PAD, OCR_PAD)) & rect
        x0, y0 = int((area.x0 - at.x0) / at.scale), int((area.y0 - at.y0) / at.scale)
        x1, y1 = int((area.x1 - at.x0) / at.scale), int((area.y1 - at.y0) / at.scale)
        part = np.ascontiguousarray(clean[y0:y1, x0:x1])
        pix = pymupdf.Pixmap(pymupdf.csGRAY, part.shape[1], part.shape[0], part.tobytes(), 0)
        pix.set_dpi(dpi, dpi)
        return (png_bytes(pix), dpi), (at.x(x0), at.y(y0))


@dataclass(frozen=True)
class _PagePixels:
    """Pixels of a rendered clip to page points."""
    x0: float
    y0: float
    scale: float  # points per pixel

    def x(self, px: float) -> float:
        return self.x0 + px * self.scale

    def y(self, py: float) -> float:
        return self.y0 + py * self.scale


@dataclass(frozen=True)
class _Region:
    box: BBox  # points
    hrules: list[float]  # y of the inner horizontal rules, points
    vrules: list[float]  # x of the inner vertical rules, points
    light: bool  # mostly background with some ink (text), not a filled or drawn area (a plot, a screenshot)
