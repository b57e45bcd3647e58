"""Display equations: indented/centred lines rich in math symbols or math fonts, or
carrying an equation number such as "(3)". Nearby fragments (fraction parts, a separate
"(3)" at the right margin) are merged into one formula."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from unirag.parsers.layout import MIDDLE_TOL, union
from unirag.parsers.lines import BBox, Line

_EQNO = re.compile(r"[(（]\s*([A-Z]?\d{1,3}(?:[.\-]\d{1,3})?[a-z]?)\s*[)）]$")
_MATH_CHARS = set("=+−-×÷·∑∏∫∮√≤≥≠≈≡∝∞∂∇∈∉⊂⊆∪∩∀∃→←↔⇒⇔|^_~‖⟨⟩αβγδεζηθικλμνξπρσςτυφχψωΓΔΘΛΞΠΣΦΨΩ")
_WORD = re.compile(r"[A-Za-z]{4,}|[\u4e00-\u9fff]{3,}")
_LEAD_EQNO = re.compile(r"[(（]\s*\d{1,3}[a-z]?\s*[)）]\s")  # "(47) 2cos θ" read number first
_RELATION = set("=<>+−-×÷·/∑∏∫∮√≤≥≠≈≡∼∝∂∇∈∉⊂⊆∪∩→⇒⇔⊤^")  # a display equation relates or operates

COLUMN_TOL = 5  # points: the most a line may stick out of its text column
MIN_CHARS = 2  # characters: the shortest line that can start a formula
MAX_CHARS = 250  # characters: the longest line that can start a formula
INDENT = 0.06  # share of the column width: a line starting farther in is indented
NARROW = 0.9  # share of the column width: a line narrower than this does not fill the column
MATH_SHARE = 0.2  # share of characters that are math symbols or in a math font: a line this mathy is math
NUMBERED_MATH = 0.08  # share of math characters enough for a line with an equation number
NUMBERED_WORDY = 0.5  # share of characters in ordinary words: a numbered line with this many is prose
WORDY = 0.35  # share of characters in ordinary words: an unnumbered line with this many is prose
MATH_FONT = 0.5  # share of characters in a math font: a line with this many is math
ROW_TOL = 0.6  # font sizes: centres closer vertically are on the same row
ATTACH_GAP = 0.5  # font sizes: the widest vertical gap between parts of one formula
ATTACH_MATH = 0.3  # share of math-symbol characters: a line with this many can join a formula
FRAGMENT = 3  # characters: lines this short (fraction parts, subscripts) can join a formula
ATTACH_WORDY = 0.3  # share of characters in ordinary words: a line with this many does not join a formula
MIN_COLUMN_LINES = 5  # count: the fewest lines on each side of the middle for a page to have two columns
OUTLIER_PARTS = 10  # count: one line in this many at each edge is ignored when measuring a column
JOIN_GAP = 1.0  # font sizes: formulas closer than this above or below each other are one
PROSE_WORDS = 2  # count: a line with this many ordinary words (and WORDY) beside math makes it inline math


@dataclass(frozen=True)
class Formula:
    lines: tuple[Line, ...]
    bbox: BBox
    text: str
    number: str


def _math_share(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c in _MATH_CHARS or 0x1D400 <= ord(c) <= 0x1D7FF for c in chars) / len(chars)


def _wordy(text: str) -> float:
    """Share of characters in ordinary words (long Latin words, runs of CJK)."""
    return sum(len(m) for m in _WORD.findall(text)) / max(len(text), 1)


def _prose_share(ln: Line) -> float:
    """`_wordy` of a line, 0 for a line set mostly in a math font (its long names, such as
    filesize(F), are symbols)."""
    return 0.0 if ln.math_font >= MATH_FONT else _wordy(ln.text)


class FormulaFinder:
    """Finds display formulas among the lines of one page.

    `columns` are the (x0, x1) text ranges of the page's columns.
    """

    def __init__(self, columns: list[tuple[float, float]]) -> None:
        self.columns = columns

    def find(self, lines: list[Line]) -> list[Formula]:
        inline = _inline(lines, self._column)
        lines = [ln for ln in lines if id(ln) not in inline and not ln.mono]  # code is not math
        seeds = [ln for ln in lines if self._is_seed(ln)] + self._numbered_rows(lines)
        used: set[int] = set()
        out: list[Formula] = []
        for seed in seeds:
            if id(seed) in used:
                continue
            group = self._grow(seed, lines, used)
            used.update(id(ln) for ln in group)
            formula = self._make(group)
            if formula.number or _LEAD_EQNO.match(formula.text) or _RELATION & set(formula.text):
                out.append(formula)  # bare symbols with neither are diagram labels
        return self._join_overlapping(out)

    def _join_overlapping(self, found: list[Formula]) -> list[Formula]:
        """Formulas whose boxes overlap, or lie within JOIN_GAP font sizes above or below each
        other, are pieces of one (a sum's bounds, a fraction's parts set apart from the rest),
        unless both carry an equation number."""
        groups: list[list[Line]] = []
        boxes: list[BBox] = []
        numbered: list[bool] = []
        for f in sorted(found, key=lambda f: f.bbox[1]):
            gap = JOIN_GAP * max(ln.size for ln in f.lines)
            hit = next((i for i, b in enumerate(boxes) if not (numbered[i] and f.number)
                        and _overlaps(b, (f.bbox[0], f.bbox[1] - gap, f.bbox[2], f.bbox[3] + gap))), None)
            if hit is None:
                groups.append(list(f.lines))
                boxes.append(f.bbox)
                numbered.append(bool(f.number))
            else:
                groups[hit] += f.lines
                boxes[hit] = union([boxes[hit], f.bbox])
                numbered[hit] = numbered[hit] or bool(f.number)
        if len(groups) == len(found):
            return found
        return [self._make(sorted(g, key=lambda ln: (round(ln.yc), ln.bbox[0]))) for g in groups]

    def _column(self, ln: Line) -> tuple[float, float]:
        for x0, x1 in self.columns:
            if ln.bbox[0] >= x0 - COLUMN_TOL and ln.bbox[2] <= x1 + COLUMN_TOL:
                return x0, x1
        return min(c[0] for c in self.columns), max(c[1] for c in self.columns)

    def _apart(self, a: Line, b: Line) -> bool:
        """Whether the lines sit in two different text columns."""
        fits = [[x0 - COLUMN_TOL <= ln.bbox[0] and ln.bbox[2] <= x1 + COLUMN_TOL for x0, x1 in self.columns]
                for ln in (a, b)]
        return len(self.columns) > 1 and all(any(f) for f in fits) and fits[0] != fits[1]

    def _is_seed(self, ln: Line) -> bool:
        text = ln.text
        if len(text) > MAX_CHARS or len(text) < MIN_CHARS:
            return False
        x0, x1 = self._column(ln)
        width = max(x1 - x0, 1)
        indented = ln.bbox[0] - x0 > INDENT * width
        narrow = ln.width < NARROW * width
        math = max(_math_share(text), ln.math_font)
        if _EQNO.search(text) and (math >= NUMBERED_MATH or "=" in text) and _prose_share(ln) < NUMBERED_WORDY:
            return indented or math >= MATH_SHARE
        isolated = indented and narrow
        return isolated and _prose_share(ln) < WORDY and (ln.math_font >= MATH_FONT
                                                      or (math >= MATH_SHARE and "=" in text))

    def _numbered_rows(self, lines: list[Line]) -> list[Line]:
        """Indented, non-prose lines sharing a row with a bare equation number "(3)"."""
        out = []
        for num in lines:
            if not _EQNO.fullmatch(num.text.strip()):
                continue
            for ln in lines:
                if ln is num or ln.bbox[2] > num.bbox[0] or abs(ln.yc - num.yc) > ROW_TOL * num.size:
                    continue
                x0, x1 = self._column(ln)
                if ln.bbox[0] - x0 > INDENT * (x1 - x0) and _prose_share(ln) < NUMBERED_WORDY:
                    out.append(ln)
        return out

    def _grow(self, seed: Line, lines: list[Line], used: set[int]) -> list[Line]:
        group = [seed]
        changed = True
        while changed:
            changed = False
            box = union(ln.bbox for ln in group)
            for ln in lines:
                if id(ln) in used or any(ln is g for g in group) or self._apart(ln, seed) \
                        or not self._attaches(ln, box, seed.size):
                    continue
                group.append(ln)
                changed = True
        return sorted(group, key=lambda ln: (round(ln.yc), ln.bbox[0]))

    def _attaches(self, ln: Line, box: BBox, size: float) -> bool:
        same_row = abs(ln.yc - (box[1] + box[3]) / 2) < ROW_TOL * size
        if same_row and _EQNO.fullmatch(ln.text.strip()):
            return True
        near = ln.bbox[1] < box[3] + ATTACH_GAP * size and ln.bbox[3] > box[1] - ATTACH_GAP * size
        overlap = ln.bbox[0] < box[2] and ln.bbox[2] > box[0]
        mathy = ln.math_font >= MATH_FONT or _math_share(ln.text) >= ATTACH_MATH or len(ln.text) <= FRAGMENT
        return near and (overlap or same_row) and (mathy or same_row) and _prose_share(ln) < ATTACH_WORDY

    def _make(self, group: list[Line]) -> Formula:
        """One formula of the `group`'s lines; its number is the one ending the rightmost
        line that ends in one, moved to the end of the text."""
        text = " ".join(ln.text for ln in group)
        numbered = [(ln, m) for ln in group if (m := _EQNO.search(ln.text))]
        if not numbered:
            return Formula(tuple(group), union(ln.bbox for ln in group), text, "")
        ln, m = max(numbered, key=lambda p: p[0].bbox[2])
        text = " ".join(t for t in (x.text if x is not ln else x.text[:m.start()].strip() for x in group) if t)
        return Formula(tuple(group), union(x.bbox for x in group), f"{text} {m.group(0)}", m.group(1))


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _prose(ln: Line) -> bool:
    return _prose_share(ln) >= WORDY and len(_WORD.findall(ln.text)) >= PROSE_WORDS


def _inline(lines: list[Line], column: Callable[[Line], tuple[float, float]]) -> set[int]:
    """Ids of the lines that share their row in their `column` with running text: math set
    inside a sentence ("such that S = T, i.e. ..."), which a display equation never is. They
    stay text.

    >>> mk = lambda t, x0, mf=1.0: Line(t, (x0, 100, x0 + 6 * len(t), 110), 10.0, False, mf, 0)
    >>> words, math = mk("such that the state", 72, 0.0), mk("S[t] = S(tC + i)", 200)
    >>> page = lambda ln: (72.0, 540.0)
    >>> _inline([words, math], page) == {id(math)}, _inline([math, mk("(3)", 500)], page)
    (True, set())
    """
    prose = [ln for ln in lines if _prose(ln)]
    out = set()
    for ln in lines:
        if any(p is not ln and abs(p.yc - ln.yc) < ROW_TOL * min(p.size, ln.size) and column(p) == column(ln)
               and not ln.bbox[0] <= p.xc <= ln.bbox[2] for p in prose):
            out.add(id(ln))
    return out


def text_columns(lines: list[Line], page_width: float) -> list[tuple[float, float]]:
    """(x0, x1) ranges of one or two text columns, from where the lines sit. Whether there
    are two is judged on the prose lines (when there are enough): pieces of equations sit
    on either side of the middle of one-column pages too."""
    mid = page_width / 2
    tol = MIDDLE_TOL * page_width
    left = [ln for ln in lines if ln.bbox[2] <= mid + tol]
    right = [ln for ln in lines if ln.bbox[0] >= mid - tol]
    prose = [ln for ln in lines if _prose(ln)]
    judged = prose if len(prose) >= 2 * MIN_COLUMN_LINES else lines
    sides = ([ln for ln in judged if ln.bbox[2] <= mid + tol], [ln for ln in judged if ln.bbox[0] >= mid - tol])
    wide = [ln for ln in judged if ln.bbox[2] > mid + tol and ln.bbox[0] < mid - tol]
    if min(map(len, sides)) >= MIN_COLUMN_LINES and len(wide) < min(map(len, sides)):
        return [_range(left), _range(right)]
    return [_range(lines)] if lines else [(0.0, page_width)]


def _range(lines: list[Line]) -> tuple[float, float]:
    x0s = sorted(ln.bbox[0] for ln in lines)
    x1s = sorted(ln.bbox[2] for ln in lines)
    return x0s[len(x0s) // OUTLIER_PARTS], x1s[-1 - len(x1s) // OUTLIER_PARTS]  # robust to a few outliers
