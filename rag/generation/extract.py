"""Typed extraction from one hit: the short value a question asks for and the span that shows it.

Tables are read cell by cell (`tables.py`); text, captions and the text inside figures give
numbers with units, names and formulas near the question's terms.

>>> from unirag.rag.generation.intent import intent
>>> from unirag.rag.types import Chunk, Hit
>>> hit = Hit(Chunk(doc_id="d", modality="text", page=3, text="It is blue. The pack stores 12 kWh at 20 °C."), 1.0)
>>> c = best_candidate(intent("How much energy does the pack store?"), hit)
>>> c.short, c.support
('12 kWh', 'The pack stores 12 kWh at 20 °C.')
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from unirag.rag.generation.guard import is_instruction
from unirag.rag.generation.intent import GENERIC, ORDINAL, Intent, names_numbers, term_matches, with_parts
from unirag.rag.generation.spans import denominator, leaders, reflow, toc_page, weight_of
from unirag.rag.generation.tables import best_cell, best_mean, best_pair, grid
from unirag.rag.text import tokenize
from unirag.rag.types import Hit

_SENTENCE = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+|\n+")
_UNIT = (r"(?:%|×|N·s/m|°C|(?:x|[kMGT]?B|ms|s|[µunm]?A|[µunp]F|[mk]?V|[mkM]?W|k?Wh|[nmck]?m|[kMG]?Hz|K|kg|g|"
         r"litres?|liters?|L|points?|tokens?|years?|dB)(?![A-Za-z0-9]))")  # a unit glued to CJK text still ends
_VALUE = re.compile(r"(?<![A-Za-z0-9_.])(?<![A-Za-z0-9_.][-−])[-−]?\d[\d,]*(?:\.\d+)?(?:\s*[×x]\s*10\^?[-−]?\d+|[eE][-−]?\d+)?"
                    r"(?:\s*" + _UNIT + r")?")
_NUMBER_WORDS = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                           r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred)\b", re.I)
_AFTER_REFERENCE = re.compile(r"(?:fig(?:ure)?\.?|table|tab\.|eq\.?|equation|section|slide|algorithm|图|表|式|\[|et al\.,?)"
                              r"\s*[(（]?$", re.I)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]\.)(?:\s+(?:[A-Z][a-z]+|[A-Z]\.))+")
_FORMULA_LINE = re.compile(r"=|\\frac|\\sum|∑|√|≤|≥")
_EQ_NUMBER = re.compile(r"\((\d{1,3}(?:\.\d+)?)\)")
_DOTS = re.compile(r"(?:[·.]\s*){3,}")
_LABELLED = re.compile(r"^(.{2,40}?\D)\s*[:：]\s*([^:：\d][^:：]{0,19})$")
_ENUMERATOR = re.compile(r"[(（]\d{1,2}[)）]")  # "(2)" numbers a list item or an equation: not a value
_SECTION_NUMBER = re.compile(r"\s*\d{1,2}(?:\.\d{1,2}){0,3}\s+[A-Z]")  # "3.1 Battery Temperatures": a heading's number
_ASKS_MONTH = re.compile(r"\b(?:which|what) month\b|哪个月", re.I)
_MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
_COEFFICIENT = re.compile(r"coefficient|constant|factor|weight|系数|常数", re.I)
_WHAT = re.compile(r"^\s*what\b", re.I)
_STOP = frozenset("the a an of to in on for and or does do did is are was were what which".split())
_WHICH = re.compile(r"\bwhich\b|哪", re.I)
_UNIT_OF = re.compile(r"^[-−]?[\d.,]+\s*")
_SCIENTIFIC = re.compile(r"×\s*10\s*[−-]\s*(\d+)")
_QUANTITY_UNITS = (  # (question words, unit pattern of a fitting value)
    (r"capacit", r"F$"), (r"current", r"A$"), (r"voltage|\bvdd\b", r"V$"), (r"\bpower\b|功率", r"W$"),
    (r"frequenc", r"Hz$"), (r"percent|\brate\b|\bshare\b|百分", r"%$"), (r"\btime\b|latency|duration|时间", r"s$"),
)
MAX_SHORT_WORDS = 12  # longest short answer, in words; longer spans stay in the support only
MAX_SUPPORT_CHARS = 400  # longest supporting span quoted after the short answer
ASSIGNED_BONUS = 2.0  # match-score bonus of a span that names the value outright ("X = 400 ms", "label: X")
NAMED_EQUATION_BONUS = 2.0  # match-score bonus of an equation whose printed number the question names
NO_VALUE_PENALTY = 3.0  # match-score discount of a span that offers no value to state
QUOTED_BONUS = 2.0  # match-score bonus of a span that writes a phrase the question quotes
ASKED_WINDOW = 8  # characters before a value searched for the words of what a Chinese question asks


@dataclass(frozen=True)
class Candidate:
    """A short answer, the span supporting it, the hit it came from, and how well the span's
    labels match the question (sum of matched term weights, larger is better)."""

    short: str
    support: str
    hit: Hit
    score: float


def _clip(text: str, limit: int = MAX_SUPPORT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _coverage(it: Intent, text: str) -> float:
    toks = with_parts(set(tokenize(text)))
    return sum(it.weight(t) for t in it.terms if term_matches(t, toks))


def _unit_fits(it: Intent, value: str) -> bool:
    """Whether the value's unit is the kind of quantity the question asks about (in a Chinese
    question, the words naming what it asks, not its conditions)."""
    asked = it.asked or it.question
    return any(re.search(unit, value) for words, unit in _QUANTITY_UNITS if re.search(words, asked, re.I))


def _asked_before(it: Intent, sentence: str, pos: int) -> int:
    """How many characters of what a Chinese question asks ("阻尼系数取值") the sentence writes
    just before a value ("当取值为38706.7334"): the value is then the one asked for."""
    before = sentence[max(0, pos - ASKED_WINDOW):pos]
    return sum(ch in before for ch in set(it.asked) if ch not in GENERIC)


def _closeness(it: Intent, low: str, pos: int) -> float:
    """How close a value at `pos` sits to the question's words: the sum over words of
    1 / (1 + distance in characters) to their nearest occurrence; counted nouns ("how many
    responders") count double when they follow the value."""
    total = 0.0
    for t in it.terms:
        if len(t) <= 2 or any(ch.isdigit() for ch in t):
            continue
        spots = [m.start() for m in re.finditer(re.escape(t[:5]), low)]
        if spots:
            weight = 2.0 if t in it.counted and any(0 < s - pos < 40 for s in spots) else 1.0
            total += weight / (1 + min(abs(s - pos) for s in spots))
    return total


def _nearest_value(it: Intent, sentence: str) -> str:
    """The number (with its unit) or name closest to where the question's terms occur, skipping
    values the question itself names and numbers that name a figure or table; a value whose
    unit fits the quantity asked about ("capacitor" -> F) is preferred."""
    return _ranked_value(it, sentence)[0]


def _ranked_value(it: Intent, sentence: str) -> tuple[str, bool]:
    """`_nearest_value`, and whether the sentence names what a Chinese question asks for right
    before that value ("当取值为38706.7334": the value is assigned to it)."""
    if it.kind == "who":
        m = _NAME.search(sentence)
        return (m.group(0) if m else ""), False
    if _ASKS_MONTH.search(it.question):  # one month named: the answer; a run of them: an axis
        months = set(_MONTH.findall(sentence))
        return (months.pop() if len(months) == 1 else ""), False
    values = [(m.start(), m.group(0).strip().rstrip(",")) for m in _VALUE.finditer(sentence)
              if not _ENUMERATOR.match(sentence, max(0, m.start() - 1))
              and not (not sentence[:m.start()].strip() and _SECTION_NUMBER.match(sentence, m.start()))]
    if it.counted:  # a count may be spelled out ("three sites"); a measured value is printed in digits
        values += [(m.start(), m.group(0)) for m in _NUMBER_WORDS.finditer(sentence)]
    asked = set(it.numbers) | set(it.refs)
    values = [(pos, v) for pos, v in values if re.sub(r"[^\d.]", "", v) not in asked and v.lower() not in it.terms
              and not _AFTER_REFERENCE.search(sentence[max(0, pos - 12):pos])
              and not any(re.search(r"\d\s*" + re.escape(u) + r"$", v) for _, u in it.quantities)]  # a condition
    if not values:
        return "", False
    low = sentence.lower()
    pos, value = max(values, key=lambda pv: (_unit_fits(it, pv[1]), _asked_before(it, sentence, pv[0]),
                                             _closeness(it, low, pv[0])))
    return _SCIENTIFIC.sub(r"× 10^-\1", value), _asked_before(it, sentence, pos) > 0


def _assigned(it: Intent, span: str) -> str:
    """In an enumeration such as "(0 : 1 : 1) = 400 ms, (1 : 0 : 0) = 800 ms", the entry the
    question's own number is assigned to ("which setting selects 400 ms?" -> "(0 : 1 : 1)")."""
    if not _WHICH.search(it.question):
        return ""
    for n in it.numbers:
        m = re.search(r"(\([^()]{1,24}\)|[\w.\-]+)\s*=\s*" + re.escape(n) + r"(?![\d.])", span)
        if m:
            return m.group(1)
    return ""


def _labelled(it: Intent, span: str) -> str:
    """The value of a short "label: value" line whose label names the question's terms
    ("参赛队伍：炸天" for "参赛队伍的名称是什么")."""
    m = _LABELLED.match(span.strip())
    if not m or not _coverage(it, m.group(1)) or _coverage(it, m.group(2)) >= _coverage(it, m.group(1)):
        return ""
    return m.group(2).strip()


def _aligned(it: Intent, inner: str) -> str:
    """In a chart's labels, the data label in the same position as the one category the
    question names ("41.7 kWh 36.2 kWh 28.9 kWh ... Aldmere Brookfield Corran" -> Brookfield's
    36.2 kWh), when there are as many values with one unit as category names."""
    values = [m.group(0).strip() for m in _VALUE.finditer(inner)]
    for unit in {_UNIT_OF.sub("", v) for v in values} - {""}:
        row = [v for v in values if _UNIT_OF.sub("", v) == unit]
        for names in _name_runs(inner, len(row)):
            named = [i for i, name in enumerate(names) if _coverage(it, name) > 0]
            if len(row) >= 2 and len(named) == 1:
                return row[named[0]]
    return ""


def _name_runs(text: str, n: int) -> list[list[str]]:
    """Runs of n consecutive capitalised words (category names under a chart)."""
    words = re.findall(r"[A-Z][\w-]+|\S+", text)
    runs = []
    for i in range(len(words) - n + 1):
        run = words[i:i + n]
        if all(w[0].isupper() and w.isalpha() for w in run):
            runs.append(run)
    return runs


def _gap(it: Intent, span: str) -> str:
    """The words the span puts between two words the question writes side by side ("recommend
    fitting [to] the enclosure" -> "fitting ventilation louvres to the enclosure": "ventilation
    louvres"), for questions that ask "what"."""
    if not _WHAT.search(it.question):
        return ""
    words = re.findall(r"[\w-]+", it.question.lower())
    for a, b in zip(words, words[1:]):
        if a in _STOP or len(a) < 3:
            continue
        m = re.search(rf"\b{re.escape(a)}\s+((?:[\w-]+\s+){{1,3}}?){re.escape(b)}\b", span, re.I)
        if m and not any(w.lower() in words for w in m.group(1).split()):
            return m.group(1).strip()
    return ""


def contradicts(it: Intent, span: str) -> bool:
    """Whether the span states a quantity the question conditions on ("at 800 ms") only for
    other values ("IT = 50 ms"), or names only other numbered items than the question's
    ("问题四" for "问题二"): it then speaks of another condition."""
    for head, numeral in it.ordinals:
        items = {n for h, n in ORDINAL.findall(span) if h == head}
        if items and numeral not in items:
            return True
    for number, unit in it.quantities:
        written = re.findall(r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)\s*" + re.escape(unit) + r"(?![A-Za-z0-9])", span)
        if written and not any(float(w) == float(number) for w in written):
            return True
    return False


def hit_spans(hit: Hit) -> list[str]:
    """The spans a value is read from: a formula's lines, a figure's caption with its inner
    text, the sentences (or table rows) of other text."""
    text = unicodedata.normalize("NFKC", hit.chunk.text)  # math italic letters, ligatures -> plain
    if hit.chunk.modality == "formula":
        return [ln.strip() for ln in text.splitlines() if ln.strip()]
    if hit.chunk.modality in ("figure", "image"):  # caption and inner text (labels, OCR words) together
        head, _, inner = text.partition("\n")
        return [f"{head.strip()} — {' '.join(inner.split())}" if inner.strip() else head.strip()]
    return [s.strip() for line in reflow(text) for s in _SENTENCE.split(leaders(line)) if len(s.strip()) > 3]


def _with_next(it: Intent, spans: list[str]) -> list[str]:
    """The spans, each one that writes the question's conditions but no value of its own
    followed by itself joined to the next span (a row label on one line, its values on the next)."""
    out = []
    for i, span in enumerate(spans):
        out.append(span)
        if it.numbers and i + 1 < len(spans) and names_numbers(it, span) and not _nearest_value(it, span):
            out.append(f"{span} {spans[i + 1]}")
    return out


def _quoted(it: Intent, span: str) -> float:
    low = " ".join(span.lower().split())
    return QUOTED_BONUS * sum(q in low for q in it.quoted)


def _numbered(it: Intent, line: str) -> float:
    """A bonus for an equation whose printed number the question names ("Eq. (3)")."""
    return NAMED_EQUATION_BONUS if any(n in set(it.numbers) | set(it.refs) for n in _EQ_NUMBER.findall(line)) else 0.0


def _formula(it: Intent, hit: Hit) -> Candidate | None:
    """The equation line that matches the question best, with its number when printed."""
    lines = [ln for ln in hit_spans(hit) if _FORMULA_LINE.search(ln) or hit.chunk.modality == "formula"]
    around = 0.5 * _coverage(it, f"{hit.chunk.caption} {hit.chunk.context}")  # the text introducing it
    scored = [(_coverage(it, ln) + _numbered(it, ln) + around, ln) for ln in lines if not is_instruction(ln)]
    if not scored:
        return None
    score, line = max(scored, key=lambda s: s[0])
    den = denominator(it.question, line)
    if den:
        return Candidate(den, _clip(line), hit, score)  # "divided by what?"
    short = " ".join(_DOTS.sub("…", _EQ_NUMBER.sub(" ", line)).split()).strip(" .,")
    number = re.search(r"(?<![\w.])\d*\.\d+(?![\w.])", short)
    if _COEFFICIENT.search(it.question) and number:
        return Candidate(number.group(0), _clip(line), hit, score)  # the coefficient asked about
    if len(short.split()) > MAX_SHORT_WORDS:
        short = ""
    return Candidate(short, _clip(line), hit, score)


def best_candidate(it: Intent, hit: Hit) -> Candidate | None:
    """The best short answer this hit offers for the question, or None."""
    chunk = hit.chunk
    if chunk.modality == "table":
        derive = {"difference": best_pair, "sum": best_pair, "mean": best_mean}.get(it.kind)
        cell = derive(it, chunk.text) if derive else None
        cell = cell or best_cell(it, chunk.text)
        if cell and len(cell.value.split()) <= MAX_SHORT_WORDS and not is_instruction(cell.row):
            return Candidate(_SCIENTIFIC.sub(r"× 10^-\1", cell.value), _clip(cell.row), hit, cell.score)
        rows = grid(chunk.text)
        if len(rows) >= 2:  # a parsed table states values from its cells only; else it is shown, not quoted
            caption = " ".join(ln for ln in chunk.text.splitlines() if not ln.strip().startswith("|"))
            score = _coverage(it, f"{caption} {' '.join(rows[0])}")
            shown = _clip(f"{caption} {' | '.join(rows[0])}".strip())
            return Candidate("", shown, hit, score - NO_VALUE_PENALTY) if score > 0 else None
    if it.kind == "formula":
        found = _formula(it, hit)
        if found and found.short:
            return found
    best = None
    for span in _with_next(it, hit_spans(hit)):
        if is_instruction(span) or contradicts(it, span):
            continue
        score = _coverage(it, span) + _quoted(it, span)
        if score <= 0:
            continue
        inner = span.split(" — ", 1)[-1] if chunk.modality in ("figure", "image") else span
        aligned = _aligned(it, inner) if inner is not span else ""
        if inner is not span:  # words only among a figure's labels say less than words in its caption
            score = (score + _coverage(it, span[: len(span) - len(inner)])) / 2
        assigned = "" if _ASKS_MONTH.search(it.question) else (  # a month is the answer, not the value beside it
            aligned or toc_page(it.question, inner) or weight_of(it.question, inner)
            or _assigned(it, inner) or _labelled(it, inner))
        nearest, named_before = _ranked_value(it, inner)
        assigned = assigned or (nearest if named_before else "")
        short = assigned or nearest or _gap(it, inner)
        if len(short.split()) > MAX_SHORT_WORDS:
            short = ""
        score += ASSIGNED_BONUS if assigned else 0.0 if short else -NO_VALUE_PENALTY
        if not best or score > best.score:
            best = Candidate(short, _clip(span), hit, score)
    return best
