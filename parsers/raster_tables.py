"""Tables in pixels: scanned pages and raster images (slides, screenshots) that hold a table.

A table is found by its ruling lines: two or more horizontal rules of the same extent (a booktabs
table's top, middle and bottom rules, or the rows of a grid) bound its region, header row
included. Only then is the region read by Tesseract (one uniform block, so a row is read across),
and its words are placed in cells: rows are the rule-separated bands of a grid (vertical rules
present) or the text lines otherwise; columns are the vertical rules, or the gaps that (nearly)
every row leaves free. A region whose words do not fill a table, that Tesseract reads with low
confidence (plot marks, diagrams) or that is mostly not background (a plot panel, a dark
screenshot) is not a table.

A rule is a thin run of pixels darker than the pixels a few rows above and below it, so faint
grey borders count, while filled areas (shaded rows, plot panels) and text strokes do not.

>>> import numpy as np
>>> gray = np.full((60, 200), 255, np.uint8)
>>> gray[10, 20:180] = gray[50, 20:180] = 0
>>> [tuple(int(v) for v in r) for r in RuleMap(gray).rules]
[(20, 10, 180, 11), (20, 50, 180, 51)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pymupdf

from unirag.parsers.lines import BBox
from unirag.parsers.ocr import OcrPage, OcrWord, PageOcr
from unirag.parsers.png import png_bytes
from unirag.parsers.tables import MIN_COLS, MIN_FILL, MIN_FILLED_CELLS, MIN_ROWS

TABLE_DPI = 200  # dots per inch: regions are searched and read at this resolution
TABLE_PSM = 6  # Tesseract's "uniform block of text" mode: a table's row is read across as one line
MAX_PX = 2400  # longest side of a rendered region, in pixels
RULE_REACH = 3  # pixels: a rule is darker than the pixels this far above and below it
RULE_CONTRAST = 3  # gray levels: how much darker than both sides a rule pixel is, at least
RULE_GAP = 4  # pixels: breaks this short in a rule are closed (scan noise, anti-aliasing)
RULE_MIN_SHARE = 0.2  # share of the region's width a horizontal rule spans, at least
FRAME_INSET = 0.02  # share of a frame's width its sides stand out beyond the table's rules, at least
RULE_SAME = 0.9  # share of the longer rule two rules overlap horizontally to bound the same table
VRULE_SHARE = 0.6  # share of a table's height a vertical rule spans, at least
BAND_RULES = 2  # count: the fewest rules that bound a table (two only when no box is drawn between their ends)
BOX_REACH = 8  # pixels: a vertical rule this near a rule's end joins it
BOX_SIDE = 0.8  # share of a box's height its sides run, at least (corners may be rounded)
ERASE = 2  # pixels around a rule that are whitened before its region is read
MIN_HEIGHT = 14.0  # points: a ruled region lower than this holds no two rows of text
OCR_PAD = 4  # points added around a table region when it is read
WORD_MIN_CONF = 20.0  # words read with less confidence are dropped (specks, rule fragments)
ROW_OVERLAP = 0.5  # share of the lower word's height two words overlap vertically to share a row
COL_GAP = 0.8  # median word heights: the narrowest free gap between two columns
MAX_CELL_CHARS = 40  # characters: the median cell of a table is no longer
MIN_TABLE_CONF = 65.0  # mean Tesseract word confidence (0-100) of a region, at least: lower is a picture's marks
PAPER_PERCENTILE = 90  # percentile of a clip's gray levels taken as its background (paper)
PAPER_TOL = 15  # gray levels: a table region's median is at most this much darker than the background
SPAN_SHARE = 0.15  # share of the rows that may cross a column gap (headers spanning columns)
SPAN_MIN_ROWS = 3  # count: in a table of more rows, at least one row may cross a column gap
_RULE_TEXT = re.compile(r"^[|_\-—–=~.,:;'`\"]+$")  # OCR of rule fragments, not words
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])")


PxBox = tuple[float, float, float, float]  # pixels of the rendered region


@dataclass(frozen=True)
class RasterTable:
    bbox: BBox  # points, on the page: the region between the outer rules
    rows: tuple[tuple[str, ...], ...]  # cell text, row by row, the header row first



def _runs(mask: np.ndarray, min_len: int, max_gap: int = 0) -> list[tuple[int, int, int]]:
    """(row, start, end) of every run of True along axis 1 at least `min_len` long, runs of one
    row less than `max_gap` apart joined (breaks in a scanned rule)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    starts, ends = np.argwhere(d == 1), np.argwhere(d == -1)
    if not len(starts):
        return []
    rows, s, e = starts[:, 0], starts[:, 1], ends[:, 1]
    new = np.ones(len(rows), bool)  # a run that starts a new joined run
    new[1:] = (rows[1:] != rows[:-1]) | (s[1:] - e[:-1] > max_gap)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(rows)) - 1
    keep = e[last] - s[first] >= min_len
    return [(int(r), int(a), int(b)) for r, a, b in zip(rows[first][keep], s[first][keep], e[last][keep])]


def line_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels darker by RULE_CONTRAST than those RULE_REACH rows above and below (a thin
    horizontal rule); the image is taken as white beyond its edges."""
    k = RULE_REACH
    g = np.pad(gray.astype(np.int16), ((k, k), (0, 0)), constant_values=255)
    return np.minimum(g[:-2 * k], g[2 * k:]) - g[k:-k] >= RULE_CONTRAST


def horizontal_rules(gray: np.ndarray, min_share: float = RULE_MIN_SHARE,
                     mask: np.ndarray | None = None) -> list[PxBox]:
    """Horizontal rules of a gray image as pixel boxes (x0, y0, x1, y1), top to bottom; runs in
    adjacent rows that overlap are one rule. A vertical rule crossing one does not break it."""
    if mask is None:
        mask = line_mask(gray) | line_mask(gray.T).T
    min_len = max(int(min_share * gray.shape[1]), 1)
    rules: list[list[float]] = []
    for y, x0, x1 in _runs(mask, min_len, RULE_GAP):
        for r in rules:
            if r[3] >= y and x0 < r[2] and r[0] < x1:  # continues a rule from the row above
                r[:] = [min(r[0], x0), r[1], max(r[2], x1), y + 1]
                break
        else:
            rules.append([x0, y, x1, y + 1])
    return sorted(((r[0], r[1], r[2], r[3]) for r in rules), key=lambda r: (r[1], r[0]))


class RuleMap:
    """The ruling lines of a gray image (pixels) and the table regions they bound.

    `bands()`: groups of at least BAND_RULES horizontal rules of about the same extent, top to
    bottom (two that are a drawn box's top and bottom bound no table). A box drawn around a table (a screenshot's frame: outer rules longer than all the
    inner ones at both ends, or two rules around another group) is dropped when the inner rules
    bound a table themselves; a grid (vertical rules cross its rows) is split where no vertical
    rule crosses, so two grid tables under each other are two; any other group inside another
    group's region is dropped (partial rules of one table).
    """

    def __init__(self, gray: np.ndarray) -> None:
        self.gray = gray
        self.hmask = line_mask(gray)
        self.vmask = line_mask(gray.T).T
        self.mask = self.hmask | self.vmask  # a rule stays unbroken where another crosses it
        self.rules = horizontal_rules(gray, mask=self.mask)

    def bands(self) -> list[list[PxBox]]:
        groups: list[list[PxBox]] = []
        for r in self.rules:
            for g in groups:
                a = g[0]
                if min(a[2], r[2]) - max(a[0], r[0]) >= RULE_SAME * max(a[2] - a[0], r[2] - r[0]):
                    g.append(r)
                    break
            else:
                groups.append([r])
        bands = [piece for g in groups for piece in self._split_grid(self._unframe(g))
                 if len(piece) > BAND_RULES or len(piece) == BAND_RULES and not self._boxed(*piece)]
        boxes = [band_box(b) for b in bands]
        frames = {i for i, b in enumerate(bands)  # a box of two rules around another table's rules
                  if len(b) == BAND_RULES and any(j != i and _holds(boxes[i], o) for j, o in enumerate(boxes))}
        return [b for i, b in enumerate(bands) if i not in frames and not any(
            j != i and j not in frames and _holds(o, boxes[i]) for j, o in enumerate(boxes))]

    def _unframe(self, g: list[PxBox]) -> list[PxBox]:
        inner = g[1:-1]
        if len(inner) < BAND_RULES:
            return g
        left, right = min(r[0] for r in inner), max(r[2] for r in inner)
        inset = FRAME_INSET * (g[0][2] - g[0][0])
        if all(r[0] < left - inset and r[2] > right + inset for r in (g[0], g[-1])):
            return inner
        return g

    def _split_grid(self, g: list[PxBox]) -> list[list[PxBox]]:
        crossed = [self._crossed(a, b) for a, b in zip(g, g[1:])]
        if not any(crossed):
            return [g]
        out, cur = [], [g[0]]
        for r, c in zip(g[1:], crossed):
            if not c:
                out.append(cur)
                cur = []
            cur.append(r)
        return out + [cur]

    def _crossed(self, a: PxBox, b: PxBox) -> bool:
        """Whether a vertical rule runs from rule `a` down to rule `b`, away from their ends (a
        frame's sides do not make a grid)."""
        inset = FRAME_INSET * (a[2] - a[0])
        return self._joined(a, b, max(a[0], b[0]) + inset, min(a[2], b[2]) - inset)

    def _boxed(self, a: PxBox, b: PxBox) -> bool:
        """Whether vertical rules join the ends of rules `a` and `b` (a drawn box: a legend, a callout)."""
        return all(self._joined(a, b, x - BOX_REACH, x + BOX_REACH + 1, BOX_SIDE)
                   for x in (min(a[0], b[0]), max(a[2], b[2]) - 1))

    def _joined(self, a: PxBox, b: PxBox, x0: float, x1: float, share: float = 1.0) -> bool:
        """Whether a vertical rule between x0 and x1 runs from rule `a` down to rule `b` (over
        `share` of the way: a box's rounded corners)."""
        lo, hi = max(int(x0), 0), min(int(x1), self.mask.shape[1])
        y0, y1 = int(a[1]), int(b[3])
        if hi <= lo or y1 <= y0:
            return False
        need = int(share * (y1 - y0)) - RULE_GAP
        return bool(_runs(np.ascontiguousarray(self.mask[y0:y1, lo:hi].T), need, RULE_GAP))

    def vertical_rules(self, box: PxBox) -> list[tuple[float, float]]:
        """x ranges (pixels) of the vertical rules inside `box` that span VRULE_SHARE of its height."""
        x0, y0, x1, y1 = (int(v) for v in box)
        crop = self.mask[y0:y1, x0:x1].T
        if crop.size == 0:
            return []
        cols = horizontal_rules(crop, VRULE_SHARE, mask=crop)
        return [(x0 + c[1], x0 + c[3]) for c in cols]


def band_box(band: list[PxBox]) -> PxBox:
    return min(r[0] for r in band), band[0][1], max(r[2] for r in band), band[-1][3]


def _holds(a: PxBox, b: PxBox) -> bool:
    return a != b and a[0] <= b[0] and a[1] <= b[1] and b[2] <= a[2] and b[3] <= a[3]


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
    for _, s, e in _runs(free[None, used[0]:used[-1] + 1], max(int(min_gap), 1)):
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
        regions = [r for r in regions if r.box[3] - r.box[1] >= MIN_HEIGHT]
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
        light = float(np.median(clean[int(px[1]):int(px[3]), int(px[0]):int(px[2])])) >= paper - PAPER_TOL
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
    light: bool  # mostly background (a table), not a filled area (a plot panel, a dark screenshot)
