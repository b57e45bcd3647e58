"""Reading spans out of a chunk's text layer, and small readers that take the value a question
asks for straight out of one span: the page a table-of-contents line points to, the weight a
formula gives the term the question names, the denominator of a fraction.

>>> reflow("The damping coefficient that maximises the mean power is found by the search, and\\n"
...        "it equals 38706 N·s/m.\\nShort line")
['The damping coefficient that maximises the mean power is found by the search, and it equals 38706 N·s/m.', 'Short line']
"""
from __future__ import annotations

import re

from unirag.rag.text import is_cjk_char

_LEADER = re.compile(r"(?:\s*\.){3,}\s*|(?:\s*·){3,}\s*")  # dot leaders of a table of contents
# A line at least this share of the chunk's longest line, not ending a sentence, wraps onto the next one.
WRAP_SHARE = 0.8
_OPEN_END = re.compile(r"[^\W\d_]$|[,，、\-]$")  # a line ending in a letter, a comma or a hyphen goes on
_GOES_ON = re.compile(r"^[a-z0-9(]")  # ... into a Latin line that starts lower case (a capital may start an item)
_ASKS_PAGE = re.compile(r"\b(?:which|what) page\b|\bpage (?:number|no\.?)\b|哪一?页|第几页|页码", re.I)
_TOC_PAGE = re.compile(r"…\s*(\d{1,4})\s*$")
_ASKS_WEIGHT = re.compile(r"\bweight\b|\bcoefficient\b|权重|系数|比重|占比", re.I)
_PRODUCT = re.compile(r"(?<![\w.])(\d*\.?\d+)\s*[∗*×·⋅]?\s*([A-Za-z][\w]*)")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ASKS_DENOMINATOR = re.compile(r"divided by|denominator|分母|除以", re.I)
_FRAC = re.compile(r"\\frac\s*\{(?:[^{}]|\{[^{}]*\})*\}\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_AFTER_EQ_NUMBER = re.compile(r"\(\d{1,3}\)\s*(\S.*)$")
MIN_IDENTIFIER = 3  # shortest identifier compared by its ending ("feature" in "Ofeature")


def leaders(text: str) -> str:
    return _LEADER.sub(" … ", text)


def _joins(line: str, following: str, longest: int) -> bool:
    """Whether a line wraps onto the following one: it is nearly as long as the longest, ends
    open, and the following one goes on (after CJK text anything may; after Latin, lower case)."""
    if _width(line) < WRAP_SHARE * longest or not _OPEN_END.search(line) or _LEADER.search(line):
        return False
    last = line.rstrip(",，、-")[-1:]
    return is_cjk_char(last) or bool(_GOES_ON.match(following))


def _width(line: str) -> int:
    """A line's printed width in Latin characters (a CJK character is two wide)."""
    return len(line) + sum(is_cjk_char(ch) for ch in line)


def reflow(text: str) -> list[str]:
    """The text's lines with lines that wrap a sentence joined back (no space between CJK
    characters, a hyphen at a line end removed); table-of-contents lines stay apart."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    longest = max(_width(ln) for ln in lines)
    out = [lines[0]]
    for prev, line in zip(lines, lines[1:]):
        if _joins(prev, line, longest):
            if prev.endswith("-") and not is_cjk_char(prev[-2:-1]):
                out[-1] = out[-1][:-1] + line
            elif is_cjk_char(prev[-1]) or is_cjk_char(line[0]):
                out[-1] += line
            else:
                out[-1] += " " + line
        else:
            out.append(line)
    return out


def toc_page(question: str, span: str) -> str:
    """For a question asking on which page something is, the page number a table-of-contents
    line ends with ("3.1 Evaluation … 13" -> "13").

    >>> toc_page("On which page does Section 3.1 begin?", "3.1 Evaluation … 13")
    '13'
    """
    m = _TOC_PAGE.search(span) if _ASKS_PAGE.search(question) else None
    return m.group(1) if m else ""


def _plain(identifier: str) -> str:
    return identifier.replace("_", "").lower()


def weight_of(question: str, span: str) -> str:
    """For a question asking the weight or coefficient of a term, the number that multiplies
    that term in the span ("0.4 ∗ O_a + 0.6 ∗ O_b", "weight of O_b" -> "0.6"); when the question
    names several of the terms, the one written nearest the word "weight".

    >>> weight_of("What weight does O_feature get?", "O = 0.4 ∗ OResNext + 0.6 ∗ Ofeature")
    '0.6'
    """
    asked = _ASKS_WEIGHT.search(question)
    if not asked:
        return ""
    named = {_plain(m.group(0)): m.start() for m in _IDENTIFIER.finditer(question)
             if len(m.group(0)) >= MIN_IDENTIFIER}
    best: tuple[int, str] | None = None
    for m in _PRODUCT.finditer(span):
        term = _plain(m.group(2))
        for name, pos in named.items():
            if name == term or (len(name) >= MIN_IDENTIFIER and term.endswith(name)):
                distance = abs(pos - asked.start())
                if best is None or distance < best[0]:
                    best = (distance, m.group(1))
    return best[1] if best else ""


def denominator(question: str, span: str) -> str:
    r"""For a question asking what something is divided by, the denominator of the span's
    fraction: the second argument of \frac, or what a stacked fraction's text layer writes
    after the equation number (numerator, then "(3)", then the denominator).

    >>> denominator("divided by what?", r"A_i = \frac{r_i - m}{\mathrm{std}(r)}")
    '\\mathrm{std}(r)'
    >>> denominator("divided by what?", "Ai = ri−mean({r1, rG}) . (3) std({r1, rG})")
    'std({r1, rG})'
    """
    if not _ASKS_DENOMINATOR.search(question):
        return ""
    m = _FRAC.search(span) or _AFTER_EQ_NUMBER.search(span)
    return m.group(1).strip() if m else ""
