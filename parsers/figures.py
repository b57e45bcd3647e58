"""Figure regions on a page: embedded raster images and clusters of vector drawings."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymupdf

from unirag.parsers.lines import BBox, Line

MIN_SIDE = 30.0  # points; smaller images are icons/bullets
BIG_SIDE = 60.0  # points; raster images at least this big on both sides are figures of their own
WIDTH_FACTOR = 1.5  # times the least height: the least width of a figure region
MAX_PAGE_SHARE = 0.85  # share of the page area: larger raster images are scans or slide backgrounds
BACKGROUND_SHARE = 0.5  # share of the page area: larger drawn paths are backgrounds and page frames
MIN_PATHS = 8  # a vector cluster needs this many paths to count as a chart
PATH_JOIN = 6.0  # points: drawn paths closer than this form one vector cluster
CHART_WIDTH = 2  # times MIN_SIDE: the least width of a vector cluster
CHART_HEIGHT = 1.2  # times MIN_SIDE: the least height of a vector cluster
RASTER_MERGE = 0.5  # share of the smaller of two big raster images inside the other: more makes one figure
DRAWN_OVER = 0.3  # share of a vector cluster's area on a raster image: more means drawn over it
FRAME_COVER = 0.5  # share of a raster image's area inside a vector cluster: more (and small) means a frame
FRAME_GROWTH = 2  # times the image's area: the most a frame around a raster image may cover
PIECE_JOIN = 3.0  # points: loose images and clusters closer than this join each other or a figure
PANEL_GAP = 36.0  # points: figure regions closer than this are panels of one figure (subplots, a diagram's parts)
SMALL_PIECE = 0.15  # times the figure's area: smaller pieces touching a figure join it
RASTER_SHARE = 0.3  # share of a region's area: a raster image over this makes it a raster figure
MOSTLY_INSIDE = 0.9  # share of a box's area within another for it to count as lying on it
WHITE = 0.95  # colour component (0..1): fills at least this light in every component are white
BIG_FILL = 0.02  # share of the page area: fills at least this large are checked for being invisible
CLEAR_SHARE = 0.2  # a backdrop over this share of a caption or table is cut back
CLEAR_GAP = 8.0  # points kept between a cut-back backdrop and the caption or table
SAME_BOX = 0.5  # points: boxes whose coordinates differ by at most this are the same path
MAX_LABEL = 40  # characters: longer lines are not a chart's labels (axis titles are shorter)
LINE_INSIDE = 0.6  # share of a line's area within a region for it to be the region's text
LABEL_ROUNDS = 2  # count: times a region grows over the labels next to it
SHORT_LABEL = 30  # characters: longer lines next to a region are not its labels
LABEL_REACH = 8.0  # points: labels at most this far from a region join it
LABEL_THICKNESS = 20  # points: the most height of a label line (OCR: or width, for upright titles)
PROSE_LINE = 60  # characters: longer lines are running text
PROSE_CHARS = 400  # characters: a region with more in running-text lines holds prose, not a figure
TICK_ROW_CHARS = 80  # characters: longer lines are not a row of tick labels
TICK_WORD = 4.0  # characters: the longest mean word of a row of tick labels or legend keys
SCAN_DPI = 36  # dots per inch: a scanned page is rendered this coarsely to find ink
INK_LEVEL = 160  # grey level (0..255): darker pixels are ink
INK_DILATE = 2  # pixels of the coarse rendering: ink this close is one region
BLANK_PAD = 1  # pixels of the coarse rendering blanked around each OCR'd line
SCAN_MIN_SIDE = 40.0  # points: the least height of a figure on a scanned page
SCAN_JOIN = 20.0  # points: ink regions closer than this are one figure (the bars of a chart)
LOGO_MIN_PAGES = 4  # count: an image at the same spot on fewer pages is not a logo
LOGO_MIN_SHARE = 0.3  # share of the document's pages an image must repeat on to be a logo
GLYPH_SIZE = 1.5  # text sizes: the largest drawn path that can be a glyph's outline
GLYPH_JOIN = 0.6  # text sizes: glyph outlines closer than this are one row
MIN_GLYPHS = 8  # count: the fewest glyph outlines in a row of drawn text
ROW_HEIGHT = 2.5  # text sizes: the tallest row of drawn text (a fraction's two levels)
ROW_SHAPE = 4  # times its height: the least width of a row of drawn text
MIN_IMAGE_DPI = 36  # dots per inch an image is stored at: coarser ones are stretched ornaments (bullets, panels)


def _area(b: BBox) -> float:
    return max(b[2] - b[0], 0) * max(b[3] - b[1], 0)


def _near(a: BBox, b: BBox, tol: float) -> bool:
    return a[0] - tol <= b[2] and b[0] - tol <= a[2] and a[1] - tol <= b[3] and b[1] - tol <= a[3]


def _merge(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def overlap_share(a: BBox, b: BBox) -> float:
    """Share of a's area that lies inside b."""
    inter = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return _area(inter) / max(_area(a), 1e-6)


def cluster(boxes: list[BBox], tol: float) -> list[tuple[BBox, int]]:
    """Merge boxes closer than `tol` into clusters; returns (bbox, member count)."""
    clusters: list[list] = []  # [bbox, count]
    for b in sorted(boxes, key=lambda b: (b[1], b[0])):
        hits = [c for c in clusters if _near(c[0], b, tol)]
        if not hits:
            clusters.append([b, 1])
            continue
        keep = hits[0]
        keep[0], keep[1] = _merge(keep[0], b), keep[1] + 1
        for c in hits[1:]:
            keep[0], keep[1] = _merge(keep[0], c[0]), keep[1] + c[1]
            clusters.remove(c)
    changed = True
    while changed:  # clusters may have grown into each other
        changed = False
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                if _near(clusters[i][0], clusters[j][0], tol):
                    clusters[i][0] = _merge(clusters[i][0], clusters[j][0])
                    clusters[i][1] += clusters.pop(j)[1]
                    changed = True
                    break
            if changed:
                break
    return [(tuple(c[0]), c[1]) for c in clusters]


def _overlap(a: BBox, b: BBox) -> float:
    """Share of the smaller box that lies inside the other."""
    return min(overlap_share(a, b), overlap_share(b, a))


def group_regions(rasters: list[BBox], vectors: list[BBox]) -> list[BBox]:
    """Figure regions from raster image boxes and vector-path clusters.

    Two big raster images side by side stay two figures (each has its own caption), unless
    one mostly covers the other (tiles, overlays); small images join what they touch. A
    vector cluster joins a raster image it is drawn over (axes and labels on a bitmap) or
    frames; one much larger than the image (rules of a table beside it) stays apart, and
    vector clusters merge with each other when they touch.

    >>> sorted(group_regions([(0, 0, 100, 100), (95, 0, 200, 100)], []))
    [(0, 0, 100, 100), (95, 0, 200, 100)]
    >>> group_regions([(0, 0, 100, 100)], [(10, 10, 50, 50), (300, 0, 400, 80)])
    [(0, 0, 100, 100), (300, 0, 400, 80)]
    """
    big = [r for r in rasters if r[2] - r[0] >= BIG_SIDE and r[3] - r[1] >= BIG_SIDE]
    groups: list[BBox] = []
    for r in sorted(big, key=lambda b: -_area(b)):
        for i, g in enumerate(groups):
            if _overlap(r, g) > RASTER_MERGE:
                groups[i] = _merge(g, r)
                break
        else:
            groups.append(r)
    loose: list[BBox] = [r for r in rasters if r not in big]
    for v in vectors:
        hits = [i for i, g in enumerate(groups) if overlap_share(v, g) > DRAWN_OVER  # drawn over the image
                or (overlap_share(g, v) > FRAME_COVER and _area(v) < FRAME_GROWTH * _area(g))]  # a frame around it
        if hits:
            groups[hits[0]] = _merge(groups[hits[0]], v)
        else:
            loose.append(v)
    for b, _ in cluster(loose, PIECE_JOIN):
        hits = [i for i, g in enumerate(groups) if _near(g, b, PIECE_JOIN)]
        if hits and _area(b) < SMALL_PIECE * _area(groups[hits[0]]):  # a small piece beside an image joins it
            groups[hits[0]] = _merge(groups[hits[0]], b)
        else:
            groups.append(b)
    return [(g[0], g[1], g[2], g[3]) for g in _drop_nested(groups)]


def panel_groups(boxes: list[BBox], captioned: list[bool], raster: list[bool],
                 gap: float = PANEL_GAP) -> list[list[int]]:
    """Indexes of figure regions grouped into figures: regions drawn the same way (all raster
    images or all vector drawings) and closer than `gap` to each other (or chained so) are panels
    of one figure, one caption for all; where two of a group have a caption of their own, each
    uncaptioned one joins the captioned one nearest to it. A picture beside a drawing stays apart
    (a raster chart next to a drawn diagram on a slide).

    >>> boxes = [(0, 0, 100, 100), (110, 0, 200, 100), (210, 0, 300, 100)]
    >>> panel_groups(boxes, [True, False, False], [False] * 3), panel_groups(boxes, [True, False, True], [False] * 3)
    ([[0, 1, 2]], [[0, 1], [2]])
    >>> panel_groups(boxes, [True, False, False], [False, False, True])
    [[0, 1], [2]]
    """
    group = list(range(len(boxes)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if raster[i] == raster[j] and _near(boxes[i], boxes[j], gap):
                group[root(j)] = root(i)
    out: list[list[int]] = []
    for r in dict.fromkeys(root(i) for i in range(len(boxes))):
        members = [i for i in range(len(boxes)) if root(i) == r]
        heads = [i for i in members if captioned[i]]
        if len(heads) <= 1:
            out.append(members)
            continue
        parts = {h: [h] for h in heads}
        for i in members:
            if not captioned[i]:
                parts[min(heads, key=lambda h: _gap(boxes[i], boxes[h]))].append(i)
        out.extend(sorted(p) for p in parts.values())
    return out


def _gap(a: BBox, b: BBox) -> float:
    return max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3], 0.0)


def _drop_nested(boxes: list[BBox]) -> list[BBox]:
    """The boxes not lying (almost) wholly on a larger one: an icon on a picture or a
    photo inside a drawn diagram is a part of it, not a figure of its own.

    >>> _drop_nested([(0, 0, 100, 100), (10, 10, 40, 40), (200, 0, 300, 50)])
    [(0, 0, 100, 100), (200, 0, 300, 50)]
    """
    by_size = sorted(boxes, key=_area, reverse=True)
    return [b for i, b in enumerate(by_size) if not any(overlap_share(b, big) > MOSTLY_INSIDE for big in by_size[:i])]


def is_blank(path: dict) -> bool:
    """A `get_drawings()`/`get_cdrawings()` path that is a white (or unpainted) fill with no
    stroke: invisible on the page."""
    fill = path.get("fill")
    return path.get("color") is None and (fill is None or min(fill) >= WHITE)


def clipped_backdrops(page: pymupdf.Page, bboxlog: list, clear: list[BBox],
                      labels: Sequence[Line] = ()) -> dict[BBox, BBox | None]:
    """Large invisible fills (white, no outline) that reach over one of the `clear` boxes
    (captions, tables), each mapped to its largest part clear of them, shrunk to what is drawn
    on that part and the short `labels` lines on it (None: nothing drawn). Spreadsheet charts
    are drawn on such backdrops, which hold the chart's parts together but often run past it,
    over its caption and the text below or into the next column. The colours come from
    `get_cdrawings()`, called only where `bboxlog` has a large fill over a `clear` box."""
    area = _area(tuple(page.rect))
    big = [r for kind, r in bboxlog if kind == "fill-path" and BIG_FILL * area <= _area(r) <= BACKGROUND_SHARE * area
           and any(overlap_share(c, r) > CLEAR_SHARE for c in clear)]
    if not big:
        return {}
    out: dict[BBox, BBox | None] = {}
    for p in page.get_cdrawings():
        rect = tuple(p["rect"])
        if "f" not in p.get("type", "") or not is_blank(p) or not any(_same(rect, r) for r in big):
            continue
        part = rect
        for c in clear:
            if overlap_share(c, part) > CLEAR_SHARE:
                part = _clear_of(part, c)
        drawn = [r for kind, r in bboxlog if kind in ("fill-path", "stroke-path", "fill-image")
                 and not _same(r, rect) and overlap_share(r, part) > MOSTLY_INSIDE]
        if drawn:  # no wider than what is drawn or labelled on it: the rest reaches over text
            drawn += [ln.bbox for ln in labels
                      if len(ln.text) <= MAX_LABEL and overlap_share(ln.bbox, part) > MOSTLY_INSIDE]
            hull = (min(r[0] for r in drawn), min(r[1] for r in drawn),
                    max(r[2] for r in drawn), max(r[3] for r in drawn))
            out[rect] = (max(hull[0], part[0]), max(hull[1], part[1]), min(hull[2], part[2]), min(hull[3], part[3]))
        else:
            out[rect] = None
    return out


def _clear_of(rect: BBox, box: BBox, gap: float = CLEAR_GAP) -> BBox:
    """The largest of the parts of `rect` above, below, left and right of `box`, `gap` points
    away from it (farther than paths are clustered)."""
    x0, y0, x1, y1 = rect
    bx0, by0, bx1, by1 = box[0] - gap, box[1] - gap, box[2] + gap, box[3] + gap
    parts = [(x0, y0, x1, by0), (x0, by1, x1, y1), (x0, y0, bx0, y1), (bx1, y0, x1, y1)]
    return max(parts, key=lambda r: _area(r) if r[2] > r[0] and r[3] > r[1] else -1.0)


def _same(a: BBox, b: BBox, tol: float = SAME_BOX) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


class FigureFinder:
    """Finds figure regions on one page and the text lines that belong to them.

    `find(page, lines, bboxlog, images, skip, clear)` returns (bbox, lines inside, is_raster)
    triples; `bboxlog` is the page's `get_bboxlog()`, `images` its `get_image_info()`,
    `clear` the boxes of its captions and tables (see `clipped_backdrops`). Raster images
    covering most of the page (scans, slide backgrounds) and images whose `image_key` is in
    `skip` (logos repeated on many pages) or stored too `coarse`ly to hold detail (ornaments) are
    ignored, and a region lying on a larger one is part of it. `find_scanned` does the same for a page
    read by OCR.
    """

    def __init__(self, max_page_share: float = MAX_PAGE_SHARE) -> None:
        self.max_page_share = max_page_share

    def find(self, page: pymupdf.Page, lines: list[Line], bboxlog: list, images: list[dict],
             skip: frozenset[tuple] = frozenset(),
             clear: Sequence[BBox] = ()) -> list[tuple[BBox, list[Line], bool]]:
        page_box = tuple(page.rect)
        page_area = _area(page_box)
        rasters = [b for b in self._raster(images, page_box, skip) if _area(b) < self.max_page_share * page_area]
        out = []
        backdrops = clipped_backdrops(page, bboxlog, list(clear), lines)
        for box in group_regions(rasters, self._vector(bboxlog, page_area, backdrops)):
            raster = any(overlap_share(r, box) > MOSTLY_INSIDE and _area(r) > RASTER_SHARE * _area(box)
                         for r in rasters)
            box, inside = self._absorb_text(box, lines)
            if holds_prose(inside):  # a box or shading behind running text, not a figure
                continue
            if box[2] - box[0] >= MIN_SIDE * WIDTH_FACTOR and box[3] - box[1] >= MIN_SIDE:
                out.append((box, inside, raster))
        return out

    def _raster(self, images: list[dict], page_box: BBox, skip: frozenset[tuple]) -> list[BBox]:
        out = []
        for info in images:
            if image_key(info) in skip or coarse(info):
                continue
            r = pymupdf.Rect(info["bbox"]) & pymupdf.Rect(page_box)
            if r.width >= MIN_SIDE and r.height >= MIN_SIDE:
                out.append(tuple(r))
        return out

    def _vector(self, bboxlog: list, page_area: float, backdrops: dict[BBox, BBox | None]) -> list[BBox]:
        paths = []
        for kind, rect in bboxlog:
            if kind not in ("fill-path", "stroke-path"):
                continue
            if _area(rect) > BACKGROUND_SHARE * page_area:  # backgrounds, page frames
                continue
            if kind == "fill-path" and backdrops:
                rect = next((part for whole, part in backdrops.items() if _same(rect, whole)), rect)
                if rect is None:
                    continue
            paths.append(tuple(rect))
        if len(paths) < MIN_PATHS:
            return []
        return [b for b, n in cluster(paths, PATH_JOIN) if n >= MIN_PATHS
                and b[2] - b[0] >= CHART_WIDTH * MIN_SIDE and b[3] - b[1] >= CHART_HEIGHT * MIN_SIDE]

    def find_scanned(self, page: pymupdf.Page, lines: list[Line],
                     free: list[Line]) -> list[tuple[BBox, list[Line]]]:
        """Figure candidates on a page read by OCR: (bbox, lines inside) of the `ink_regions`
        left once all text `lines` are blanked out (plots, drawings, photos), grown over the
        short labels among `free` lines next to them; regions holding running text are dropped."""
        out: list[tuple[BBox, list[Line]]] = []
        for box in ink_regions(page, lines):
            box, inside = self._absorb_text(box, free, ocr=True)
            for other in [o for o in out if _near(o[0], box, 0.0)]:  # parts of one plot that grew together
                out.remove(other)
                box = _merge(box, other[0])
                inside = other[1] + [ln for ln in inside if all(ln is not x for x in other[1])]
            out.append((box, inside))
        return [(box, inside) for box, inside in out if not holds_prose(inside)]

    def _absorb_text(self, box: BBox, lines: list[Line], ocr: bool = False) -> tuple[BBox, list[Line]]:
        """Lines inside the region, plus short labels just outside it (axis ticks, titles).
        `ocr`: also tick rows ("Jan Feb Mar ...") and vertical axis titles, which OCR reads as
        longer or upright lines."""
        inside = [ln for ln in lines if overlap_share(ln.bbox, box) > LINE_INSIDE]
        for _ in range(LABEL_ROUNDS):
            grown = box
            for ln in lines:
                if any(ln is x for x in inside) or not (len(ln.text) <= SHORT_LABEL or ocr and _tick_row(ln.text)):
                    continue
                w, h = ln.bbox[2] - ln.bbox[0], ln.bbox[3] - ln.bbox[1]
                if _near(ln.bbox, box, LABEL_REACH) and (h < LABEL_THICKNESS or ocr and w < LABEL_THICKNESS):
                    inside.append(ln)
                    grown = _merge(grown, ln.bbox)
            if grown == box:
                break
            box = grown
        return box, inside


def drawn_rows(bboxlog: list, lines: list[Line]) -> list[BBox]:
    """Rows of text drawn as glyph outlines, not set as text (equations pasted from an editor
    that exports them as paths): at least MIN_GLYPHS small filled paths in a short, wide row
    with no text-layer line on it. Sizes are relative to the page's median text size."""
    if not lines:
        return []
    size = float(np.median([ln.size for ln in lines]))
    glyphs = [tuple(r) for kind, r in bboxlog if kind == "fill-path"
              and 0 < r[3] - r[1] <= GLYPH_SIZE * size and 0 < r[2] - r[0] <= GLYPH_SIZE * size]
    if len(glyphs) < MIN_GLYPHS:
        return []
    out = []
    for b, n in cluster(glyphs, GLYPH_JOIN * size):
        h = b[3] - b[1]
        if n >= MIN_GLYPHS and h <= ROW_HEIGHT * size and b[2] - b[0] >= ROW_SHAPE * h \
                and not any(overlap_share(ln.bbox, b) > LINE_INSIDE for ln in lines):
            out.append(b)
    return out


def holds_prose(lines: list[Line]) -> bool:
    """More than PROSE_CHARS characters in lines longer than PROSE_LINE: running text, not a figure's labels."""
    return sum(len(ln.text) for ln in lines if len(ln.text) > PROSE_LINE) > PROSE_CHARS


def inner_text(lines: list[Line]) -> str:
    """The text inside a figure, row by row, left to right."""
    return " ".join(ln.text for ln in sorted(lines, key=lambda ln: (round(ln.yc), ln.bbox[0])))


def _tick_row(text: str) -> bool:
    """A line of short tokens (tick labels, legend keys), not prose: words of at most TICK_WORD letters on average."""
    words = text.split()
    return len(text) <= TICK_ROW_CHARS and bool(words) and sum(len(w) for w in words) / len(words) <= TICK_WORD


def ink_regions(page: pymupdf.Page, lines: list[Line], dpi: int = SCAN_DPI, min_side: float = SCAN_MIN_SIDE,
                join: float = SCAN_JOIN) -> list[BBox]:
    """Regions of a scanned page where ink is left after blanking out the OCR'd `lines`:
    connected dark areas of a coarse rendering, not touching the page edge (scan borders),
    clustered when closer than `join` points (the bars of a chart), at least `min_side`
    points high and WIDTH_FACTOR x that wide."""
    from scipy import ndimage  # here: only scanned pages need it, and it takes a while to import

    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    ink = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width] < INK_LEVEL
    scale = dpi / 72
    for ln in lines:
        x0, y0, x1, y1 = (int(v * scale) for v in ln.bbox)
        ink[max(y0 - BLANK_PAD, 0):y1 + 1 + BLANK_PAD, max(x0 - BLANK_PAD, 0):x1 + 1 + BLANK_PAD] = False
    labels, _ = ndimage.label(ndimage.binary_dilation(ink, iterations=INK_DILATE))
    parts = []
    for rows, cols in ndimage.find_objects(labels):
        if rows.start == 0 or cols.start == 0 or rows.stop == pix.height or cols.stop == pix.width:
            continue
        parts.append((cols.start / scale, rows.start / scale, cols.stop / scale, rows.stop / scale))
    return [b for b, _ in cluster(parts, join) if b[3] - b[1] >= min_side and b[2] - b[0] >= WIDTH_FACTOR * min_side]


def coarse(info: dict) -> bool:
    """An image stored at under MIN_IMAGE_DPI for the size it is shown at: too coarse to hold a
    legible chart, photo or label, so a stretched ornament (bullet, panel, corner shape).

    >>> box = (0, 0, 96, 96)
    >>> coarse({"bbox": box, "width": 39, "height": 39}), coarse({"bbox": box, "width": 200, "height": 200})
    (True, False)
    """
    x0, y0, x1, y1 = info["bbox"]
    shown = max((x1 - x0) * (y1 - y0), 1e-6) / (72 * 72)  # square inches
    return (info["width"] * info["height"] / shown) ** 0.5 < MIN_IMAGE_DPI


def image_key(info: dict) -> tuple:
    """An image placement as (rounded bbox, pixel size): the same logo at the same place
    has the same key on every page (cheaper than image xrefs, which PyMuPDF finds by hashing)."""
    return (*(round(v) for v in info["bbox"]), info["width"], info["height"])


def repeated_images(images: list[list[dict]], min_pages: int = LOGO_MIN_PAGES,
                    min_share: float = LOGO_MIN_SHARE) -> frozenset[tuple]:
    """Keys (`image_key`) of images placed at the same spot on at least `min_pages` pages
    and `min_share` of all pages: logos and decorations of slide templates and letterheads,
    not figures. `images` holds each page's `get_image_info()`."""
    if len(images) < min_pages:
        return frozenset()
    seen: dict[tuple, int] = {}
    for page in images:
        for key in {image_key(info) for info in page}:
            seen[key] = seen.get(key, 0) + 1
    need = max(min_pages, min_share * len(images))
    return frozenset(k for k, n in seen.items() if n >= need)
