"""Text lines of a page as plain records, and removal of running headers/footers.

A `Line` is what every later stage works on: its text, bbox, font size, boldness, the
share of its characters set in a math font, the PyMuPDF block it came from, and whether
it is set in italics or a fixed-width (code) font.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pymupdf

BBox = tuple[float, float, float, float]

_DICT_FLAGS = (pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES) | pymupdf.TEXT_DEHYPHENATE
_MATH_FONT = re.compile(r"CMMI|CMSY|CMEX|CMBSY|MSBM|MSAM|Symbol|Math|MTMI|MTSY|MTEX|Euclid|rsfs|STIX|esint", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|\.B$|-B$|CMBX|hebo", re.I)
_ITALIC_FONT = re.compile(r"italic|oblique|-It$|CMTI|CMSL", re.I)
_MONO_FONT = re.compile(r"mono|courier|consol|menlo|CMTT|inconsolata|code", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")
_LETTER = re.compile(r"[^\W\d_#]")
_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—\s]*([0-9]{1,4}|[ivxlc]{1,6})[-–—\s]*(/\s*\d+|of\s+\d+)?$", re.I)

STYLE_SHARE = 0.8  # share of a line's characters in bold (italic) type for the line to be bold (italic)
SPACE_GAP = 0.25  # font sizes: a wider gap between two spans is a space
MARGIN = 0.1  # share of the page height at top and bottom where running headers and footers sit
MIN_REPEATS = 3  # count: the fewest pages a running header or footer is on
PARITY_SHARE = 0.75  # share of the odd (even) pages an alternating header is on, at least
MIN_PARITY_REPEATS = 4  # count: the fewest odd (even) pages an alternating header is on
OTHER_PARITY = 0.1  # share of the other pages an alternating header is on, at most


@dataclass(frozen=True)
class Line:
    text: str
    bbox: BBox
    size: float
    bold: bool
    math_font: float  # share of characters in a math font (0..1)
    block: int
    italic: bool = False
    mono: bool = False  # set in a fixed-width (code) font

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def yc(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2

    @property
    def xc(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2


def extract_lines(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> list[Line]:
    """Horizontal text lines of `page` (from `textpage` when given, e.g. an OCR one)."""
    data = page.get_text("dict", flags=_DICT_FLAGS, textpage=textpage, sort=False)
    out: list[Line] = []
    for block in data.get("blocks", []):
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans:
                continue
            text = _join_spans(spans)
            n = sum(len(s["text"].strip()) for s in spans) or 1
            size = max(s["size"] for s in spans)
            bold_chars = sum(len(s["text"].strip()) for s in spans if _is_bold(s))
            math_chars = sum(len(s["text"].strip()) for s in spans if _MATH_FONT.search(s["font"]))
            italic_chars = sum(len(s["text"].strip()) for s in spans if _is_italic(s))
            mono_chars = sum(len(s["text"].strip()) for s in spans if s["flags"] & 8 or _MONO_FONT.search(s["font"]))
            out.append(Line(text, tuple(line["bbox"]), round(size, 1), bold_chars >= STYLE_SHARE * n,
                            math_chars / n, block["number"], italic_chars >= STYLE_SHARE * n,
                            mono_chars >= STYLE_SHARE * n))
    return out


def _is_bold(span: dict) -> bool:
    return bool(span["flags"] & 16) or bool(_BOLD_FONT.search(span["font"]))


def _is_italic(span: dict) -> bool:
    return bool(span["flags"] & 2) or bool(_ITALIC_FONT.search(span["font"]))


def _join_spans(spans: list[dict]) -> str:
    parts: list[str] = []
    prev_x1 = None
    for s in spans:
        t = s["text"]
        if prev_x1 is not None and s["bbox"][0] - prev_x1 > SPACE_GAP * s["size"] and parts \
                and not parts[-1].endswith(" ") and not t.startswith(" "):
            parts.append(" ")
        parts.append(t)
        prev_x1 = s["bbox"][2]
    text = _CONTROL.sub("", "".join(parts))  # e.g. unmapped big-delimiter glyphs
    return re.sub(r"\s+", " ", text).strip()


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


class RepeatFilter:
    """Finds running headers/footers: lines in the top/bottom margin of a page, or on its
    first/last text row (a scan of a small page sits in the middle of a large one), whose text
    (digits masked, commas dropped) recurs on the same side on at least half of the pages
    (min 3), or on most of the odd (even) pages (min 4) and almost none of the others (books
    alternate their headers); and bare page numbers in the margins. `pages` are (height,
    lines) in page order.

    >>> f = RepeatFilter([])
    >>> [ln.text for ln in f.clean([Line("12", (300, 780, 310, 790), 9, False, 0.0, 0),
    ...                             Line("Body", (72, 400, 200, 410), 9, False, 0.0, 1)], 800)]
    ['Body']
    """

    def __init__(self, pages: list[tuple[float, list[Line]]]) -> None:
        counts: tuple[Counter, Counter] = (Counter(), Counter())  # by page parity
        for i, (height, lines) in enumerate(pages):
            counts[i % 2].update({self._key(ln, height) for ln in self._marginal(lines, height)})
        sizes = ((len(pages) + 1) // 2, len(pages) // 2)
        need = max(MIN_REPEATS, (len(pages) + 1) // 2)
        self._repeated = {k for k in counts[0] | counts[1] if counts[0][k] + counts[1][k] >= need}
        for p in (0, 1):
            other = 1 - p
            self._repeated |= {k for k, n in counts[p].items()
                               if n >= max(MIN_PARITY_REPEATS, PARITY_SHARE * sizes[p])
                               and counts[other][k] <= OTHER_PARITY * sizes[other]}

    def clean(self, lines: list[Line], page_height: float) -> list[Line]:
        """`lines` without the page's running headers, footers and page numbers."""
        noise = set()
        for ln in self._marginal(lines, page_height):
            margin = self._in_margin(ln, page_height)
            key = self._key(ln, page_height)
            if (margin and is_page_number(ln.text)) or \
                    (key in self._repeated and (margin or _LETTER.search(key[0]))):  # no bare "(8)" inside
                noise.add(id(ln))
        return [ln for ln in lines if id(ln) not in noise]

    def _in_margin(self, line: Line, height: float) -> bool:
        return line.yc <= MARGIN * height or line.yc >= (1 - MARGIN) * height

    def _marginal(self, lines: list[Line], height: float) -> list[Line]:
        """Lines in the top/bottom margin, or on the first/last row of the page's text."""
        if not lines:
            return []
        first = min(lines, key=lambda ln: ln.bbox[1])
        last = max(lines, key=lambda ln: ln.bbox[3])
        return [ln for ln in lines if self._in_margin(ln, height)
                or first.bbox[1] <= ln.yc <= first.bbox[3] or last.bbox[1] <= ln.yc <= last.bbox[3]]

    @staticmethod
    def _key(line: Line, height: float) -> tuple[str, bool]:
        return " ".join(re.sub(r"\d+", "#", line.text.lower()).replace(",", " ").split()), line.yc < height / 2
