"""Page layout: text blocks, reading order (two columns), headings and paragraph merging."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from unirag.parsers.lines import BBox, Line

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+\S")
_ROMAN = re.compile(r"^([IVX]{1,5})\.\s+[A-Z]")
_LETTER = re.compile(r"^([A-H])\.\s+[A-Z][a-z]")
_ZH_CHAPTER = re.compile(r"^(第[一二三四五六七八九十\d]+[章节部分]|[一二三四五六七八九十]+[、.．])\s*\S")
_BULLET = re.compile(r"^[•‣▸▪◦●○■□➢►✓*\-–—]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_CLAUSE_END = ("，", "：", "；", ",", ":", ";")
_KEYWORD = re.compile(r"^(abstract|introduction|references|bibliography|conclusions?|appendix|acknowledge?ments?|"
                      r"related work|摘要|参考文献|附录|致谢|目录)\b", re.I)

MIDDLE_TOL = 0.03  # share of the page width: items reaching less far past the middle sit in one column
MIN_SIDE_UNITS = 2  # count: the fewest items in each column for a page to be read as two columns
DEFAULT_BODY_SIZE = 10.0  # points: the body font size of a page without text
MAX_HEADING_LINES = 2  # count: blocks of more lines are not headings
MIN_HEADING_CHARS = 2  # characters: the shortest heading
MAX_HEADING_CHARS = 90  # characters: the longest heading
SENTENCE_CHARS = 40  # characters: a longer block ending in "." is a sentence, not a heading
MIN_HEADING_LETTERS = 2  # count: the fewest letters in a heading
BIGGER = 1.12  # times the body font size: text this big is set bigger than the body
MUCH_BIGGER = 1.2  # times the body font size: unbold text this big can be a heading on its own
MIN_SCHEME_SIZE = 0.85  # times the body font size: numbered headings set smaller are not headings
LIST_ITEM_CHARS = 60  # characters: a longer numbered line, neither bold nor capitals, is a list item
SHORT_HEADING = 70  # characters: the longest unnumbered heading
MAX_LEVEL = 4  # the deepest heading level a numbering gives
STYLE_DOC_PAGES = 3  # count: in documents of this many pages, a style used on one page only is no heading
STYLE_PAGES = 2  # count: the fewest pages an unnumbered heading's type style appears on
CAPS_MIN_LETTERS = 4  # count: the fewest letters of an all-capitals title
CAPS_SHARE = 0.7  # share of letters that are capitals in an all-capitals title
MAX_TITLE_CHARS = 80  # characters of a heading kept in the section path


@dataclass
class Unit:
    """One item placed on a page: a text block, heading, or a figure/table/formula region."""

    kind: str  # "text" | "heading" | "figure" | "table" | "formula"
    bbox: BBox
    text: str = ""
    level: int = 0  # heading level
    payload: dict = field(default_factory=dict)


def union(boxes) -> BBox:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def join_lines(texts: list[str]) -> str:
    """Join line texts into prose: no space between CJK characters, hyphens healed."""
    out = ""
    for t in texts:
        if not out:
            out = t
        elif out.endswith("-") and t[:1].islower():
            out = out[:-1] + t
        elif _CJK.match(out[-1]) and _CJK.match(t[0]):
            out += t
        else:
            out += " " + t
    return out


def group_blocks(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by their PyMuPDF block, blocks in extraction order."""
    groups: dict[int, list[Line]] = {}
    for ln in lines:
        groups.setdefault(ln.block, []).append(ln)
    return list(groups.values())


def reading_order(units: list[Unit], page_width: float) -> list[Unit]:
    """Top-to-bottom order; on two-column pages, bands between full-width items are read
    left column first, then right column."""
    mid, tol = page_width / 2, MIDDLE_TOL * page_width
    def side(u: Unit) -> str:
        left, right = u.bbox[2] <= mid + tol, u.bbox[0] >= mid - tol
        return "L" if left and not right else "R" if right and not left else "S"
    sides = [side(u) for u in units]
    if sides.count("L") < MIN_SIDE_UNITS or sides.count("R") < MIN_SIDE_UNITS:
        return sorted(units, key=lambda u: (round(u.bbox[1]), u.bbox[0]))
    out: list[Unit] = []
    band: list[tuple[str, Unit]] = []
    for s, u in sorted(zip(sides, units), key=lambda p: (p[1].bbox[1], p[1].bbox[0])):
        if s == "S":
            out += _flush_band(band)
            band = []
            out.append(u)
        else:
            band.append((s, u))
    return out + _flush_band(band)


def _flush_band(band: list[tuple[str, Unit]]) -> list[Unit]:
    return [u for s, u in band if s == "L"] + [u for s, u in band if s == "R"]


def body_size(lines: list[Line]) -> float:
    """The most common font size, weighted by characters (a CJK character counts twice: it is
    set about as wide as two Latin letters, and Chinese body text must outweigh the Latin
    of formulas and tables set smaller)."""
    c: Counter = Counter()
    for ln in lines:
        c[ln.size] += len(ln.text) + len(_CJK.findall(ln.text))
    return c.most_common(1)[0][0] if c else DEFAULT_BODY_SIZE


class HeadingDetector:
    """Decides whether a short text block is a heading, and its level.

    A heading is set bold or bigger than the body text, or follows a numbering scheme on a
    line of its own ("I. INTRODUCTION", "2. RELATED WORK", an italic "B. Rate-Distortion").
    Never headings: bullets, sentences (Chinese "。", a trailing comma or colon), algorithm
    lines ("12 return x"), vertical margin text (arXiv stamps), and, in documents of three or
    more pages, unnumbered text in a type style used on one page only (the title and author
    lines of a paper's first page). On OCR'd pages sizes come from box heights and there is
    no bold, so only numbered or Roman all-capitals titles count.

    >>> h = HeadingDetector(body=10.0)
    >>> h.level([Line("3.1 Data", (0, 0, 50, 12), 11.0, True, 0.0, 0)])
    2
    >>> h.level([Line("II. RELATED WORK", (0, 0, 90, 10), 10.0, False, 0.0, 0)])
    1
    >>> h.level([Line("12 return x", (0, 0, 50, 10), 10.0, True, 0.0, 0)]) is None
    True
    """

    def __init__(self, body: float, style_pages: dict | None = None, n_pages: int = 0) -> None:
        self.body = body
        self.style_pages = style_pages or {}  # (size, bold) of short emphasised lines -> pages using it
        self.n_pages = n_pages

    @classmethod
    def for_pages(cls, pages: list[list[Line]]) -> HeadingDetector:
        """A detector for a document whose lines are given page by page."""
        body = body_size([ln for lines in pages for ln in lines])
        style_pages: dict = {}
        for number, lines in enumerate(pages):
            for ln in lines:
                if len(ln.text) <= MAX_HEADING_CHARS and (ln.bold or ln.size >= body * BIGGER):
                    style_pages.setdefault(_style(ln.size, ln.bold), set()).add(number)
        return cls(body, style_pages, len(pages))

    def level(self, block: list[Line], scanned: bool = False) -> int | None:
        if not block or len(block) > MAX_HEADING_LINES:
            return None
        text = " ".join(ln.text for ln in block).strip()
        if not MIN_HEADING_CHARS <= len(text) <= MAX_HEADING_CHARS \
                or text.endswith(".") and len(text) > SENTENCE_CHARS:
            return None
        if _BULLET.match(text) or "。" in text or text.endswith(_CLAUSE_END) \
                or sum(ch.isalpha() for ch in text) < MIN_HEADING_LETTERS:
            return None
        box = union(ln.bbox for ln in block)
        if box[3] - box[1] > box[2] - box[0]:  # vertical text: a margin stamp, an axis title
            return None
        numbered, roman = _NUMBERED.match(text), _ROMAN.match(text)
        title = text[len(numbered.group(1)):].strip(" .") if numbered else text
        if numbered and (title[:1].isdigit() or title[:1].islower()):  # "2 3 4" ticks, "12 return x"
            return None
        size = max(ln.size for ln in block)
        bold = all(ln.bold for ln in block)
        bigger = size >= self.body * BIGGER
        if scanned or not (bold or bigger):
            return self._scheme_level(block, text, title, numbered, roman, size, scanned)
        if numbered and (bold or len(text) <= LIST_ITEM_CHARS or _capitals(title)):  # (not a long numbered list item)
            return min(numbered.group(1).count(".") + 1, MAX_LEVEL)
        if numbered:
            return None
        if roman or _ZH_CHAPTER.match(text):
            return 1
        if _LETTER.match(text):
            return 2
        if self.n_pages >= STYLE_DOC_PAGES and len(self.style_pages.get(_style(size, bold), ())) < STYLE_PAGES \
                and not _KEYWORD.match(text):  # title and author lines of a first page
            return None
        if bigger and len(text) <= SHORT_HEADING and (bold or size >= self.body * MUCH_BIGGER and _WORD.search(text)):
            return 1  # (plain text only a little bigger is a slide's body text, not a heading)
        return None

    def _scheme_level(self, block, text, title, numbered, roman, size, scanned) -> int | None:
        """A heading set like body text, known by its numbering alone, on a line of its own."""
        if len(block) > 1 or size < self.body * MIN_SCHEME_SIZE:
            return None
        if roman and _capitals(text):
            return 1
        if numbered and _capitals(title):
            return min(numbered.group(1).count(".") + 1, MAX_LEVEL)
        if not scanned and _LETTER.match(text) and block[0].italic and len(text) <= SHORT_HEADING:
            return 2
        return None


def _style(size: float, bold: bool) -> tuple[float, bool]:
    return round(size * 2) / 2, bold


def _capitals(text: str) -> bool:
    """Mostly capital letters (small caps as OCR reads them included): at least CAPS_MIN_LETTERS letters."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= CAPS_MIN_LETTERS and sum(ch.isupper() for ch in letters) >= CAPS_SHARE * len(letters)


class SectionPath:
    """Keeps the heading stack and renders it as "3 Method > 3.1 Data"."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> None:
        self._stack = [(lv, t) for lv, t in self._stack if lv < level] + [(level, title[:MAX_TITLE_CHARS])]

    def __str__(self) -> str:
        return " > ".join(t for _, t in self._stack)


def split_block(block: list[Line], max_chars: int) -> list[list[Line]]:
    """Split a long block into pieces of at most ~max_chars, at line boundaries."""
    pieces: list[list[Line]] = [[]]
    n = 0
    for ln in block:
        if n + len(ln.text) > max_chars and pieces[-1]:
            pieces.append([])
            n = 0
        pieces[-1].append(ln)
        n += len(ln.text) + 1
    return pieces
