"""Explicit references: "Figure 3", "Fig. 2(b)", "Table III", "Eq. (4)", "图3.3", "表5-1",
"式(3)", "slide 17". A query that names one is matched to chunks carrying that label (from a
caption, an equation number, or the page number), whatever the rest of the wording."""
from __future__ import annotations

import re

from unirag.rag.types import Chunk

Label = tuple[str, str]  # (kind, normalised number)

_KINDS = [
    ("figure", r"figures?|figs?\.?|图"),
    ("table", r"tables?|tab\.|表"),
    ("formula", r"equations?|eqs?\.|formula|公式|式"),
    ("page", r"pages?|slides?|第"),
]
_NUM = r"(\d+(?:[.\-]\d+)*|[IVXL]+)\b"
_QUERY = re.compile(
    r"(?P<kind>" + "|".join(p for _, p in _KINDS) + r")\s*[(（]?\s*(?P<num>\d+(?:[.\-]\d+)*|[IVXL]+)(?![\w.\-]*\d)",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^\s*(?P<kind>figures?|figs?\.?|tables?|tab\.|图|表)\s*" + _NUM.replace(r"\b", ""), re.IGNORECASE)
_EQ_NUMBER = re.compile(r"[(（](\d+(?:[.\-]\d+)*)[)）]\s*$")
_LIST = re.compile(r"(?:\s*(?:[(（][a-z][)）])?\s*(?:,|and|&|or|和|与|及)\s*[(（]?\s*(?:\d+(?:[.\-]\d+)*|[IVXL]+)\b(?:[(（][a-z][)）])?)*", re.I)
_MORE = re.compile(r"(?:,|and|&|or|和|与|及)\s*[(（]?\s*(\d+(?:[.\-]\d+)*|[IVXL]+)\b", re.I)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


def _kind(word: str) -> str:
    for kind, pattern in _KINDS:
        if re.fullmatch(pattern, word, re.IGNORECASE):
            return kind
    raise ValueError(word)


def _number(num: str) -> str:
    if num.isalpha():  # Roman numeral (upper case only, as in "TABLE III")
        values = [_ROMAN[ch] for ch in num]
        return str(sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)))
    return num.replace("-", ".")


def query_labels(text: str) -> set[Label]:
    """Labels a query names.

    >>> sorted(query_labels("Compare Table III with Figures 2(b) and 7 and 式(3) on slide 17"))
    [('figure', '2'), ('figure', '7'), ('formula', '3'), ('page', '17'), ('table', '3')]
    """
    out: set[Label] = set()
    for m in _QUERY.finditer(text):
        kind, nums = _kind(m.group("kind")), [m.group("num")]
        more = _LIST.match(text, m.end())
        assert more is not None  # _LIST matches the empty string too
        nums += _MORE.findall(more.group(0))  # "Figures 1(b) and 7(b)"
        out.update((kind, _number(n)) for n in nums if not (n.isalpha() and not n.isupper()))
    return out


def chunk_labels(chunk: Chunk) -> set[Label]:
    """Labels a chunk answers to: caption-like line starts, equation numbers, and its page number
    (every chunk of a page, not only the page chunk: "the chart on slide 21" names the chart)."""
    out: set[Label] = {("page", str(chunk.page))}
    lines = [chunk.caption] if chunk.caption else []
    if chunk.modality in ("page", "figure", "table", "formula"):
        lines += chunk.text.splitlines()
    for line in lines:
        m = _CAPTION.match(line)
        if m and not (m.group(2).isalpha() and not m.group(2).isupper()):
            out.add((_kind(m.group("kind")), _number(m.group(2))))
        if chunk.modality in ("formula", "page"):
            e = _EQ_NUMBER.search(line)
            if e:
                out.add(("formula", _number(e.group(1))))
    return out
