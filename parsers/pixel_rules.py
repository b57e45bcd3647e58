"""Ruling lines in a gray image and the table regions they bound.

A rule is a thin run of pixels darker than the pixels a few rows above and below it, so faint
grey borders count, while filled areas (shaded rows, plot panels) and text strokes do not.

>>> import numpy as np
>>> gray = np.full((60, 200), 255, np.uint8)
>>> gray[10, 20:180] = gray[50, 20:180] = 0
>>> [tuple(int(v) for v in r) for r in RuleMap(gray).rules]
[(20, 10, 180, 11), (20, 50, 180, 51)]
>>> [band_box(b) for b in RuleMap(gray).bands()]
[(20, 10, 180, 51)]
"""
from __future__ import annotations

import numpy as np

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

PxBox = tuple[float, float, float, float]  # pixels of the rendered region


def runs(mask: np.ndarray, min_len: int, max_gap: int = 0) -> list[tuple[int, int, int]]:
    """(row, start, end) of every run of True along axis 1 at least `min_len` long, runs of one
    row at most `max_gap` apart joined (breaks in a scanned rule)."""
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
    for y, x0, x1 in runs(mask, min_len, RULE_GAP):
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
        return bool(runs(np.ascontiguousarray(self.mask[y0:y1, lo:hi].T), need, RULE_GAP))

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
