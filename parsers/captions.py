"""Captions: text blocks that start with "Figure 3", "Fig. 3", "Table 2", "图3", "表 2"..."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from unirag.parsers.layout import join_lines, union
from unirag.parsers.lines import BBox, Line

MAX_CAPTION_LINES = 12  # count: a caption block takes at most this many lines
NUMERIC_SHARE = 0.3  # share of non-space characters that are digits: from this on a line is numbers
MIN_LINE_HEIGHT = 4.0  # points: line heights and font sizes below this count as this much
SAME_ROW = 0.5  # line heights: centres closer vertically are on the same row
SPAN_GAP = 3  # font sizes: the widest gap to a caption's next part on the same row
CENTRE_TOL = 3.0  # points: centres this close horizontally are centred on each other
SIZE_TOL = 0.5  # points: font sizes this close are the same type size
CAPTION_GAP = 60.0  # points: the farthest a caption sits from its figure or table
CAPTION_OVERLAP = 10  # points: the most a caption may reach into its figure or table
WRONG_SIDE = 20  # points added to the distance of a caption on the less likely side
FIGURE_RE = re.compile(r"^(Figure|Fig\.?|FIGURE|FIG\.?)\s*[A-Z]?\d+|^图\s*[\d一二三四五六七八九十]")
TABLE_RE = re.compile(r"^(Table|TABLE|Tab\.)\s*[A-Z]?[\dIVX]+|^表\s*[\d一二三四五六七八九十]")
# a second label inside a line: side-by-side captions that the text layer joined into one line
_NEXT_LABEL = re.compile(r"(?<=[\s.。:：)）\u3400-\u9fff])(?=(?:Figure|Fig\.|FIGURE|Table|TABLE|图|表)\s*\d+(?:[.\-]\d+)*\s*[:：.])")


@dataclass(frozen=True)
class Caption:
    kind: str  # "figure" | "table"
    text: str
    bbox: BBox
    lines: tuple[Line, ...]


def split_joined(line: Line) -> list[Line]:
    """A caption line holding a second caption ("图 5-11: ...  图 5-12: ...") cut in two,
    each part with its share of the line's width (by characters).

    >>> [ln.text for ln in split_joined(Line("Figure 3: Left. Figure 4: Right.", (0, 0, 320, 10), 9, False, 0, 0))]
    ['Figure 3: Left.', 'Figure 4: Right.']
    """
    if not (FIGURE_RE.match(line.text) or TABLE_RE.match(line.text)):
        return [line]
    cuts = [m.start() for m in _NEXT_LABEL.finditer(line.text) if m.start() > 0]
    if not cuts:
        return [line]
    out, n = [], len(line.text)
    x0, y0, x1, y1 = line.bbox
    for a, b in zip([0] + cuts, cuts + [n]):
        part = line.text[a:b].strip()
        if part:
            out.append(replace(line, text=part, bbox=(x0 + (x1 - x0) * a / n, y0, x0 + (x1 - x0) * b / n, y1)))
    return out


def find_captions(lines: list[Line]) -> list[Caption]:
    """Caption blocks: a line starting with a figure/table label plus the lines after it in
    the same block (or centred under it). Side-by-side captions joined into one line are split
    (`split_joined`)."""
    lines = [part for ln in lines for part in split_joined(ln)]
    out: list[Caption] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        kind = _label(ln.text)
        if not kind:
            i += 1
            continue
        group = [ln]
        j = i + 1
        while j < len(lines) and len(group) < MAX_CAPTION_LINES and _continues(group[-1], lines[j]) and (
                lines[j].block == ln.block or _centred_under(group[-1], lines[j])):
            group.append(lines[j])
            j += 1
        out.append(Caption(kind, join_lines([g.text for g in group]), union(g.bbox for g in group), tuple(group)))
        i = j
    return out


def _continues(prev: Line, ln: Line) -> bool:
    """Whether `ln` goes on with the caption ending in `prev`: right below it (not after a gap),
    or just after it on the same row ("Figure 6." and its text set as two spans), not a new
    label, and not a row of numbers after a finished sentence (OCR puts a table's rows in the
    caption's paragraph)."""
    numbers = digit_share(ln.text) >= NUMERIC_SHARE
    below = prev.yc <= ln.bbox[1] <= prev.bbox[3] + max(prev.height, MIN_LINE_HEIGHT)
    after = (abs(ln.yc - prev.yc) < SAME_ROW * max(prev.height, MIN_LINE_HEIGHT)
             and 0 <= ln.bbox[0] - prev.bbox[2] <= SPAN_GAP * max(prev.size, MIN_LINE_HEIGHT))
    return ((below or after) and not _label(ln.text)
            and not (numbers and prev.text.rstrip().endswith((".", "。"))))


def _centred_under(prev: Line, ln: Line) -> bool:
    """`ln` is set centred under `prev` in the same type size: a caption whose centred lines
    the text layer puts in blocks of their own ("Table V" / "MAXIMUM ..." / "USING ...")."""
    return abs(ln.xc - prev.xc) < CENTRE_TOL and abs(ln.size - prev.size) < SIZE_TOL and ln.bbox[1] >= prev.bbox[1]


def digit_share(text: str) -> float:
    """Share of the non-space characters that are digits (rows of a table score high).

    >>> round(digit_share("64 1.0047 9.7"), 2), round(digit_share("Table 2"), 2)
    (0.82, 0.17)
    """
    chars = [ch for ch in text if not ch.isspace()]
    return sum(ch.isdigit() for ch in chars) / len(chars) if chars else 0.0


def _label(text: str) -> str:
    return "figure" if FIGURE_RE.match(text) else "table" if TABLE_RE.match(text) else ""


def nearest_caption(box: BBox, captions: list[Caption], kind: str, taken: set[int],
                    below_first: bool = True, max_gap: float = CAPTION_GAP) -> Caption | None:
    """The caption of `kind` closest to `box` (below or above it), overlapping it
    horizontally, not yet taken."""
    best, best_cost = None, None
    for i, cap in enumerate(captions):
        if cap.kind != kind or i in taken:
            continue
        if cap.bbox[0] > box[2] or cap.bbox[2] < box[0]:
            continue
        below, above = cap.bbox[1] - box[3], box[1] - cap.bbox[3]
        if -CAPTION_OVERLAP <= below <= max_gap:
            cost = max(below, 0) + (0 if below_first else WRONG_SIDE)
        elif -CAPTION_OVERLAP <= above <= max_gap:
            cost = max(above, 0) + (WRONG_SIDE if below_first else 0)
        else:
            continue
        if best_cost is None or cost < best_cost:
            best, best_cost = i, cost
    if best is None:
        return None
    taken.add(best)
    return captions[best]
