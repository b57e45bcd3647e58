"""Tables via `page.find_tables()`, run only on pages likely to hold one (it is slow):
line-based on ruled grids, text-based inside the rules next to an unmatched caption."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pymupdf

from unirag.parsers.captions import NUMERIC_SHARE, Caption, digit_share, nearest_caption
from unirag.parsers.figures import is_blank
from unirag.parsers.lines import BBox
from unirag.parsers.table_chars import faster_chars

RULE_MIN_LENGTH = 40  # points: shorter horizontal strokes are not table rules
THIN = 2  # points: a stroke or rectangle at most this thick is a rule, not a box
RULE_REACH = 40.0  # points: the farthest a booktabs table's first rule sits from its caption
RULE_MAX_GAP = 160.0  # points: the widest gap between two rules of one booktabs table
RULE_ALIGN = 4  # points: rules whose ends are closer than this have the same width
BAND_RULES = 2  # count: the fewest rules of a booktabs band
BAND_PAD = 2  # points added around the band between a table's rules
RULE_MAX_ITEMS = 6  # count: paths of more lines and rectangles are drawings, not rules
STRAIGHT = 1  # points: a line rising or leaning at most this much is horizontal or vertical
GRID_CROSSINGS = 9  # count: the fewest rule crossings of a line-based table (a 2 x 2 grid)
GRID_TOL = 3.0  # points: rules this close cross or touch; also the margin around the grid
MIN_RULES = 6  # count: pages with fewer horizontal rules and no table caption are not searched
MIN_FILL = 0.5  # share of a table's cells that must hold text
MIN_FILLED_CELLS = 4  # count: the fewest cells with text a table needs
MIN_ROWS = 2  # count: the fewest rows a table needs
MIN_COLS = 2  # count: the fewest columns a table needs
CHART_MARKS = 12  # count: more drawn marks (curves, markers, bars, images) in a ruled band make it a chart
CAPTION_SLACK = 1  # points: the most a scanned table's first line may reach up into its caption
SCAN_REACH = 150  # points: the farthest a scanned table's lines reach past its caption's sides
SCAN_ROW_GAP = 2.5  # median line heights: a wider gap ends a scanned table
SCAN_FIRST_GAP = 2  # times SCAN_ROW_GAP: the widest gap before a scanned table's first numeric row
SCAN_LINE_HEIGHT = 10.0  # points: the line height assumed when no lines are below a caption
SCAN_PROSE = 50  # characters: longer lines without numbers end a scanned table
SCAN_WORDY = 0.1  # share of non-space characters that are digits: below this a line is text
SCAN_MIN_ROWS = 2  # count: the fewest numeric rows of a scanned table
GROW_REACH = 30.0  # points: the farthest a table's top rule sits above the cells a finder found
RULE_SPAN = 0.5  # share of the narrower of a table and a rule they share horizontally, for the rule to bound it


@dataclass(frozen=True)
class FoundTable:
    bbox: BBox
    markdown: str
    rows: int
    cols: int
    caption: str = ""
    html: str = ""
    extra: str = ""  # words inside the table's box that no cell holds (a header row or column its rules take in)


def horizontal_rules(bboxlog: list) -> list[BBox]:
    """Thin horizontal strokes/rectangles at least RULE_MIN_LENGTH long in a page's `get_bboxlog()`,
    top to bottom."""
    return sorted((tuple(r) for kind, r in bboxlog
                   if kind in ("fill-path", "stroke-path") and r[2] - r[0] >= RULE_MIN_LENGTH and r[3] - r[1] <= THIN),
                  key=lambda r: (r[1], r[0]))


def ruled_region(caption: BBox, rules: list[BBox], page_box: BBox, reach: float = RULE_REACH,
                 max_gap: float = RULE_MAX_GAP) -> BBox | None:
    """The band between the horizontal rules of a booktabs-style table next to `caption`:
    the first rule within `reach` below the caption (or, failing that, above it), extended
    over rules of about the same width no more than `max_gap` apart."""
    def same(a: BBox, b: BBox) -> bool:
        return abs(a[0] - b[0]) < RULE_ALIGN and abs(a[2] - b[2]) < RULE_ALIGN
    def overlaps(r: BBox) -> bool:
        return r[0] < caption[2] and caption[0] < r[2]
    for direction in (1, -1):
        if direction == 1:
            near = [r for r in rules if overlaps(r) and 0 <= r[1] - caption[3] <= reach]
            seq = [r for r in rules if r[1] >= caption[3]]
        else:
            near = [r for r in reversed(rules) if overlaps(r) and 0 <= caption[1] - r[3] <= reach]
            seq = [r for r in reversed(rules) if r[3] <= caption[1]]
        if not near:
            continue
        band = [near[0]]
        for r in seq:
            if (r[1] - band[-1][3]) * direction > max_gap:
                break
            if same(r, near[0]) and r not in band and (r[1] - band[-1][1]) * direction > 0:
                band.append(r)
        if len(band) < BAND_RULES:
            continue
        y0, y1 = min(r[1] for r in band), max(r[3] for r in band)
        return (max(near[0][0] - BAND_PAD, page_box[0]), y0 - BAND_PAD, min(near[0][2] + BAND_PAD, page_box[2]),
                y1 + BAND_PAD)
    return None


def rule_paths(page: pymupdf.Page) -> list[dict]:
    """Vector paths that can be table rules (straight lines and rectangles, few items), in
    `get_drawings()` form. Much cheaper than `get_drawings()` on pages with dense plots,
    whose many-segment curves are dropped here, and so are white fills with no outline (page
    backgrounds: their sides would become cell borders around whole columns of text)."""
    out = []
    for p in page.get_cdrawings():
        items = p["items"]
        if len(items) > RULE_MAX_ITEMS or any(it[0] not in ("l", "re") for it in items) or is_blank(p):
            continue
        conv = [("l", pymupdf.Point(it[1]), pymupdf.Point(it[2])) if it[0] == "l"
                else ("re", pymupdf.Rect(it[1]), it[2]) for it in items]
        p = dict(p, items=conv, rect=pymupdf.Rect(p["rect"]))
        p.setdefault("color", None)
        p.setdefault("fill", None)
        p.setdefault("width", 1.0)
        p.setdefault("closePath", False)
        out.append(p)
    return out


def grid_region(paths: list[dict], need: int = GRID_CROSSINGS, tol: float = GRID_TOL) -> BBox | None:
    """The box around the rules that cross each other, if they cross in at least `need`
    points (a 2 x 2 grid crosses in 9), the least a line-based table needs; booktabs tables
    and lone rules give None. PyMuPDF's finder is clipped to this box: it reads every
    character inside its clip, which on a full page costs ten times the table itself."""
    hs, vs = [], []
    for p in paths:
        for it in p["items"]:
            if it[0] == "l":
                (x0, y0), (x1, y1) = it[1], it[2]
                if abs(y1 - y0) <= STRAIGHT:
                    hs.append((min(x0, x1), y0, max(x0, x1)))
                elif abs(x1 - x0) <= STRAIGHT:
                    vs.append((x0, min(y0, y1), max(y0, y1)))
                continue
            r = it[1]  # a rectangle: its sides, or one stroke when it is thin
            xs = (r.x0, r.x1) if r.width > THIN else ((r.x0 + r.x1) / 2,)
            ys = (r.y0, r.y1) if r.height > THIN else ((r.y0 + r.y1) / 2,)
            if r.height > THIN:
                vs += [(x, r.y0, r.y1) for x in xs]
            if r.width > THIN:
                hs += [(r.x0, y, r.x1) for y in ys]
    n, box = 0, None
    for hx0, hy, hx1 in hs:
        for vx, vy0, vy1 in vs:
            if hx0 - tol <= vx <= hx1 + tol and vy0 - tol <= hy <= vy1 + tol:
                n += 1
                seg = (min(hx0, vx), min(hy, vy0), max(hx1, vx), max(hy, vy1))
                box = seg if box is None else (min(box[0], seg[0]), min(box[1], seg[1]),
                                               max(box[2], seg[2]), max(box[3], seg[3]))
    if n < need or box is None:  # None: no crossing at all (need=0)
        return None
    segs = [(x0, y, x1, y) for x0, y, x1 in hs] + [(x, y0, x, y1) for x, y0, y1 in vs]
    grown = True
    while grown:  # take in the rules that touch the box (a booktabs top rule over a ruled body)
        grown = False
        for s in segs:
            if s[0] - tol <= box[2] and box[0] - tol <= s[2] and s[1] - tol <= box[3] and box[1] - tol <= s[3]:
                wider = (min(box[0], s[0]), min(box[1], s[1]), max(box[2], s[2]), max(box[3], s[3]))
                grown, box = grown or wider != box, wider
    return (box[0] - tol, box[1] - tol, box[2] + tol, box[3] + tol)


def cell_texts(tab, words: list[tuple], by_columns: bool = False) -> list[list[str | None]]:
    """Cell strings from the page's words (assigned by their centre), row by row.

    `by_columns` (tables found by text alignment, whose cell edges are where the body's values
    start): a word that crosses a cell edge or sticks out of the table ("Kimi Linear" centred
    over a column of numbers, its second word past the table's right edge) goes to the column
    whose words, elsewhere wholly inside their cells, lie nearest its centre."""
    bx0, by0, bx1, by1 = tab.bbox
    if by_columns:
        words = [w for w in words if w[0] < bx1 and w[2] > bx0 and by0 <= (w[1] + w[3]) / 2 <= by1]
    else:
        words = [w for w in words if bx0 <= (w[0] + w[2]) / 2 <= bx1 and by0 <= (w[1] + w[3]) / 2 <= by1]
    spans = _column_spans(tab, words) if by_columns else {}
    rows = []
    for row in tab.rows:
        texts: list[str | None] = []
        for j, cell in enumerate(row.cells):
            if cell is None:
                texts.append(None)
                continue
            x0, y0, x1, y1 = cell
            level = [w for w in words if y0 <= (w[1] + w[3]) / 2 < y1]
            inside = [w for w in level if _column(w, row.cells, spans) == j] if spans else \
                [w for w in level if x0 <= (w[0] + w[2]) / 2 < x1]
            inside.sort(key=lambda w: (w[5], w[6], w[7]))  # block, line, word number
            texts.append(" ".join(w[4] for w in inside))
        rows.append(texts)
    return rows


def _column_spans(tab, words: list[tuple]) -> dict[int, tuple[float, float]]:
    """Per column, the horizontal extent of the words lying wholly inside its cells."""
    spans: dict[int, tuple[float, float]] = {}
    for row in tab.rows:
        for j, cell in enumerate(row.cells):
            if cell is None:
                continue
            for w in words:
                if cell[0] <= w[0] and w[2] <= cell[2] and cell[1] <= (w[1] + w[3]) / 2 < cell[3]:
                    lo, hi = spans.get(j, (w[0], w[2]))
                    spans[j] = (min(lo, w[0]), max(hi, w[2]))
    return spans


def _column(word: tuple, cells: list, spans: dict[int, tuple[float, float]]) -> int | None:
    """The column of a word: the cell it lies wholly inside, else the column whose span (or,
    for a column without one, whose cell) is nearest its centre (None: the row has no cells)."""
    for j, cell in enumerate(cells):
        if cell is not None and cell[0] <= word[0] and word[2] <= cell[2]:
            return j
    centre = (word[0] + word[2]) / 2
    near = [(max(lo - centre, centre - hi, 0.0), j) for j, (lo, hi) in
            ((j, spans.get(j, (cell[0], cell[2]))) for j, cell in enumerate(cells) if cell is not None)]
    return min(near)[1] if near else None


def compact(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Rows and columns that hold some text (the text strategy leaves empty gap rows)."""
    def full(c) -> bool:
        return bool(c and str(c).strip())
    rows = [r for r in rows if any(full(c) for c in r)]
    keep = [j for j in range(len(rows[0]) if rows else 0) if any(full(r[j]) for r in rows)]
    return [[r[j] for j in keep] for r in rows]


def to_html(rows: list[list]) -> str:
    """An HTML table for extracted cell rows (first row as header cells).

    >>> to_html([["a", "b"], ["1", None]])
    '<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td></td></tr></table>'
    """
    from html import escape

    def row(cells, tag) -> str:
        return "<tr>" + "".join(f"<{tag}>{escape(' '.join(str(c).split())) if c is not None else ''}</{tag}>"
                                for c in cells) + "</tr>"
    return "<table>" + "".join(row(r, "th" if i == 0 else "td") for i, r in enumerate(rows)) + "</table>"


def to_markdown(rows: list[list]) -> str:
    """GitHub markdown for extracted cell rows (first row as header)."""
    def cell(c) -> str:
        return " ".join(str(c).split()).replace("|", "\\|") if c is not None else ""
    lines = ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


class TableFinder:
    """Finds tables on pages with a table caption or enough horizontal rules.

    PyMuPDF's line-based finder runs on pages whose rules can form cells (`grid_region`), clipped to them. A
    table caption still without a table then gets the text-based finder, clipped to the
    band of horizontal rules next to it (booktabs tables have no vertical rules), unless
    that band holds a chart; this replaces PyMuPDF's layout-model finder (~1.5 s a page).
    Tables need at least 2 rows, 2 columns and half of their cells filled (text-based
    ones after dropping their empty rows and columns). `find` attaches
    captions, marking the caption indexes it uses in `taken`. `bboxlog` is the page's
    `get_bboxlog()`, shared with the figure finder.
    """

    def __init__(self, min_rules: int = MIN_RULES, min_fill: float = MIN_FILL) -> None:
        self.min_rules = min_rules
        self.min_fill = min_fill

    def find(self, page: pymupdf.Page, captions: list[Caption], taken: set[int],
             bboxlog: list) -> list[FoundTable]:
        rules = horizontal_rules(bboxlog)
        if not any(c.kind == "table" for c in captions) and len(rules) < self.min_rules:
            return []
        paths, words = rule_paths(page), None  # words: only once the finder has found something
        out: list[FoundTable] = []
        grid = grid_region(paths)
        if grid is not None:
            clip = pymupdf.Rect(grid) & page.rect
            with faster_chars():
                found = page.find_tables(clip=clip, use_layout=False, paths=paths).tables
            if found:
                words = page.get_text("words")
                out += self._collect(found, words, captions, taken, [], bboxlog=bboxlog)
        n_grids = len(out)  # the tables after these are text-based (rules without vertical lines)
        for i, cap in enumerate(captions):
            if cap.kind != "table" or i in taken:
                continue
            band = ruled_region(cap.bbox, rules, tuple(page.rect))
            if band is None or any(_overlaps(band, t.bbox) for t in out) or _chart(band, bboxlog):
                continue
            with faster_chars():
                found = page.find_tables(clip=band, strategy="text", use_layout=False, paths=paths).tables
            if found:
                words = page.get_text("words") if words is None else words
                out += self._collect(found, words, captions, taken, out, text_grid=True)
        return _grown(out, rules, [c.bbox for c in captions], words or [], n_grids)

    def _collect(self, tables, words, captions, taken, have, text_grid=False, bboxlog=None) -> list[FoundTable]:
        """Tables that pass the size and fill checks, with their captions. A `text_grid`
        (text-strategy) table must have a caption; its empty gap rows/columns are dropped.
        With `bboxlog`, grids that hold a chart (plot axes and grid lines read as cells) are dropped."""
        out: list[FoundTable] = []
        for tab in tables:
            box = tuple(tab.bbox)
            if any(_overlaps(box, t.bbox) for t in have + out) or bboxlog is not None and _chart(box, bboxlog):
                continue
            rows = cell_texts(tab, words, by_columns=text_grid)
            rows = compact(rows) if text_grid else rows
            if len(rows) < MIN_ROWS or len(rows[0]) < MIN_COLS:
                continue
            cells = [c for row in rows for c in row]
            if sum(1 for c in cells if c and str(c).strip()) < max(MIN_FILLED_CELLS, self.min_fill * len(cells)):
                continue
            cap = nearest_caption(box, captions, "table", taken, below_first=False)
            if text_grid and cap is None:
                continue
            out.append(FoundTable(box, to_markdown(rows), len(rows), len(rows[0]), cap.text if cap else "",
                                  to_html(rows)))
        return out


def _grown(tables: list[FoundTable], rules, captions: list[BBox], words: list[tuple], n_grids: int) -> list[FoundTable]:
    """The tables with their boxes grown to their bounding rules (`grow_to_rules`; the first
    `n_grids`, whose vertical lines close their header in, only in width), neither over a caption
    nor into another table; words the grown box adds are kept in `extra`."""
    out = []
    for i, t in enumerate(tables):
        others = [o.bbox for j, o in enumerate(tables) if j != i]
        box = grow_to_rules(t.bbox, rules, captions + others, GROW_REACH if i >= n_grids else 0.0)
        if box == t.bbox or any(_overlaps(box, o) for o in others):
            out.append(t)
        else:
            out.append(replace(t, bbox=box, extra=_outside(words, box, t.bbox)))
    return out


def grow_to_rules(box: BBox, rules, barriers: list[BBox], reach: float = GROW_REACH) -> BBox:
    """`box` grown to the horizontal rules that bound its table: a rule at most `reach` above it
    over the same columns, with no barrier (a caption, another table) between them or on it,
    takes in the header rows a finder left out (a booktabs table found from its mid rule); rules
    inside the box widen it to their full length (the first or last column a finder cut through).
    Nothing is taken from below: a page footer's rule is as near as a table's notes.

    >>> grow_to_rules((100, 120, 300, 200), [(80, 100, 320, 101), (80, 150, 320, 151), (80, 230, 320, 231)], [])
    (80, 100, 320, 200)
    """
    x0, y0, x1, y1 = box
    grown = True
    while grown:
        grown = False
        for r in rules:
            if min(x1, r[2]) - max(x0, r[0]) < RULE_SPAN * min(x1 - x0, r[2] - r[0]):
                continue
            if y0 - reach <= r[1] < y0 - THIN and not any(_overlaps((r[0], r[1], r[2], y0), c) for c in barriers):
                y0, grown = r[1], True
            if y0 - THIN <= r[1] and r[3] <= y1 + THIN and (r[0] < x0 or r[2] > x1):
                x0, x1 = min(x0, r[0]), max(x1, r[2])
                grown = True
    return (x0, y0, x1, y1)


def _outside(words: list[tuple], box: BBox, inner: BBox) -> str:
    """The words with their centre in `box` but not in `inner`, in reading order."""
    def centre_in(w, b) -> bool:
        return b[0] <= (w[0] + w[2]) / 2 <= b[2] and b[1] <= (w[1] + w[3]) / 2 <= b[3]
    if box == inner:
        return ""
    out = sorted((w for w in words if centre_in(w, box) and not centre_in(w, inner)), key=lambda w: (w[5], w[6], w[7]))
    return " ".join(w[4] for w in out)


def scanned_table(caption: Caption, lines: list) -> tuple[BBox, list] | None:
    """The rows of a table under `caption` on a page read by OCR (no rules, no text layer):
    the caption's title lines, an optional header line, then lines that are mostly digits,
    until prose or a wide gap. Returns (bbox of the rows, the lines) or None.

    Lines are `unirag.parsers.lines.Line`s in reading order; the caption's own lines are skipped.
    """
    below = sorted((ln for ln in lines if ln.bbox[1] >= caption.bbox[3] - CAPTION_SLACK and ln not in caption.lines
                    and ln.bbox[0] < caption.bbox[2] + SCAN_REACH and ln.bbox[2] > caption.bbox[0] - SCAN_REACH),
                   key=lambda ln: ln.bbox[1])
    heights = sorted(ln.height for ln in below) or [SCAN_LINE_HEIGHT]
    gap_max = SCAN_ROW_GAP * heights[len(heights) // 2]
    rows, last_y, started = [], caption.bbox[3], False
    for ln in below:
        if ln.bbox[1] - last_y > gap_max * (SCAN_FIRST_GAP if not started else 1):
            break
        numeric = digit_share(ln.text) >= NUMERIC_SHARE
        if started and not numeric and (len(ln.text) > SCAN_PROSE or digit_share(ln.text) < SCAN_WORDY):
            break
        if numeric:
            started = True
        rows.append(ln)
        last_y = ln.bbox[3]
    body = [ln for ln in rows if digit_share(ln.text) >= NUMERIC_SHARE]
    if len(body) < SCAN_MIN_ROWS:
        return None
    box = (min(ln.bbox[0] for ln in rows), min(ln.bbox[1] for ln in rows),
           max(ln.bbox[2] for ln in rows), max(ln.bbox[3] for ln in rows))
    return box, rows


def _chart(band: BBox, bboxlog: list, max_other: int = CHART_MARKS) -> bool:
    """More than `max_other` drawn paths that are not thin strokes (curves, markers, bars)
    or images (bitmap markers) inside `band`: a plot with grid lines, not a table."""
    other = 0
    for kind, r in bboxlog:
        if band[0] <= r[0] and r[2] <= band[2] and band[1] <= r[1] and r[3] <= band[3] and (
                kind == "fill-image" or kind in ("fill-path", "stroke-path") and min(r[2] - r[0], r[3] - r[1]) > THIN):
            other += 1
    return other > max_other


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
