"""Tables via `page.find_tables()`, run only on pages likely to hold one (it is slow)."""
from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from parsers.captions import Caption, nearest_caption
from parsers.lines import BBox



@dataclass(frozen=True)
class FoundTable:
    bbox: BBox
    markdown: str
    rows: int
    cols: int
    caption: str = ""


def horizontal_rules(page: pymupdf.Page) -> int:
    """Number of thin horizontal strokes/rectangles at least 40 pt long."""
    n = 0
    for kind, r in page.get_bboxlog():
        if kind in ("fill-path", "stroke-path") and r[2] - r[0] >= 40 and r[3] - r[1] <= 2:
            n += 1
    return n


def rule_paths(page: pymupdf.Page) -> list[dict]:
    """Vector paths that can be table rules (straight lines and rectangles, few items), in
    `get_drawings()` form. Much cheaper than `get_drawings()` on pages with dense plots,
    whose many-segment curves are dropped here."""
    out = []
    for p in page.get_cdrawings():
        items = p["items"]
        if len(items) > 6 or any(it[0] not in ("l", "re") for it in items):
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


def cell_texts(tab, words: list[tuple]) -> list[list[str | None]]:
    """Cell strings from the page's words (assigned by their centre), row by row."""
    rows = []
    for row in tab.rows:
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            x0, y0, x1, y1 = cell
            inside = [w for w in words if x0 <= (w[0] + w[2]) / 2 < x1 and y0 <= (w[1] + w[3]) / 2 < y1]
            inside.sort(key=lambda w: (w[5], w[6], w[7]))  # block, line, word number
            texts.append(" ".join(w[4] for w in inside))
        rows.append(texts)
    return rows


def to_markdown(rows: list[list]) -> str:
    """GitHub markdown for extracted cell rows (first row as header)."""
    def cell(c) -> str:
        return " ".join(str(c).split()).replace("|", "\\|") if c is not None else ""
    lines = ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


class TableFinder:
    """Finds tables on pages with a table caption or enough horizontal rules.

    The fast line-based finder runs first; only when a table caption is left without a
    table does the slower layout-model finder run on that page. Tables need at least 2
    rows, 2 columns and half of their cells filled. `find` attaches captions, marking the
    caption indexes it uses in `taken`.
    """

    def __init__(self, min_rules: int = 6, min_fill: float = 0.5) -> None:
        self.min_rules = min_rules
        self.min_fill = min_fill

    def likely(self, page: pymupdf.Page, page_text: str, captions: list[Caption]) -> bool:
        if any(c.kind == "table" for c in captions):
            return True
        return horizontal_rules(page) >= self.min_rules

    def find(self, page: pymupdf.Page, page_text: str, captions: list[Caption],
             taken: set[int]) -> list[FoundTable]:
        if not self.likely(page, page_text, captions):
            return []
        paths, words = rule_paths(page), page.get_text("words")
        out = self._collect(page.find_tables(use_layout=False, paths=paths).tables, words, captions, taken, [])
        n_captions = sum(c.kind == "table" for c in captions)
        if n_captions > sum(1 for t in out if t.caption):
            out += self._collect(page.find_tables(paths=paths).tables, words, captions, taken, out, need_caption=True)
        return out

    def _collect(self, tables, words, captions, taken, have, need_caption=False) -> list[FoundTable]:
        out: list[FoundTable] = []
        for tab in tables:
            box = tuple(tab.bbox)
            if tab.row_count < 2 or tab.col_count < 2 or any(_overlaps(box, t.bbox) for t in have + out):
                continue
            rows = cell_texts(tab, words)
            cells = [c for row in rows for c in row]
            if sum(1 for c in cells if c and str(c).strip()) < max(4, self.min_fill * len(cells)):
                continue
            cap = nearest_caption(box, captions, "table", taken, below_first=False)
            if need_caption and cap is None:
                continue
            out.append(FoundTable(box, to_markdown(rows), tab.row_count, tab.col_count, cap.text if cap else ""))
        return out


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
