"""What a question asks for, read from its wording alone: the terms that must be matched, the
numbers it names, and the kind of answer (a value, a difference or sum of two values, a
formula, a visual property only a picture shows, a name).

>>> i = intent("In Table 3, how many more files does ATM have than APS?")
>>> i.kind, "atm" in i.terms, "tabl" in i.terms
('difference', True, False)
>>> intent("What colour is the UVA curve in Fig. 4?").kind
'visual'
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from unirag.rag.text import is_cjk_char, tokenize

_VISUAL = re.compile(r"colou?r|line style|dashed|dotted|marker|\bdrawn\b|visually|look like|shape of|颜色|线型|形状",
                     re.I)
_DIFFERENCE = re.compile(r"how many more|how much (?:higher|lower|more|less|larger|smaller|greater)|by how (?:many|much)|"
                         r"\bseparates?\b|\bexceeds?\b|\bbeats?\b|\bahead of\b|\blead(?:s)?\b|\bgap\b|\bdifference\b|"
                         r"相差|多多少|高出|低多少|差多少", re.I)
_MEAN = re.compile(r"\b(?:average|mean)\b[^?]{0,60}\b(?:over|across|of)\b[^?]{0,30}\b(?:two|three|four|five|\d+)\s+[a-z]|"
                   r"\bif you average\b|平均值|求平均", re.I)
_SUM = re.compile(r"\bsum of\b|\bin total\b|\bcombined\b|总和|合计|一共", re.I)
_FORMULA = re.compile(r"formula|equation|\beq\.|\bdefined\b|expression|\bobjective\b|divided by|multipl|numerator|"
                      r"denominator|\b[A-Za-z]_[A-Za-z0-9]\b|公式|表达式|式\s*[(（]", re.I)
_WHO = re.compile(r"^\s*who\b|\bwho (?:wrote|is|was|are|were)\b|作者|是谁", re.I)
_CJK_WORD = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]{2}$")
_COUNTED = re.compile(r"how many ((?:[\w-]+\s+){0,2}[\w-]+)", re.I)
_TABLE_REF = re.compile(r"(?:\btable|表)\s*([\dIVX]+(?:[.\-]\d+)?)", re.I)
_QUANTITY = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)\s*(ms|s|V|mV|A|mA|µA|nA|Hz|kHz|MHz|W|mW|°C|nm|GB|TB|MB)"
                       r"(?![A-Za-z0-9])")  # a number glued to CJK text is still one
_ASKED_UNITS = (  # ("how many <unit>" in the question, how a value in that unit is written)
    (r"how many (?:milli)?seconds|多少秒", r"\d\s*m?s\b|秒"), (r"how many (?:milli|kilo)?watts|多少瓦", r"\d\s*[mkM]?W\b|瓦"),
    (r"how many volts|多少伏", r"\d\s*m?V\b|伏"), (r"how many (?:milli|micro)?amps|多少安", r"\d\s*[mµu]?A\b|安"),
    (r"how many (?:giga|mega|tera)?bytes", r"\d\s*[KMGT]i?B\b"), (r"how many (?:kilo|milli)?met(?:er|re)s|多少米", r"\d\s*[kcm]?m\b|米"),
)
_SYMBOL = re.compile(r"\b([A-Za-z])_\{?([A-Za-z0-9]{1,2})\}?(?![\w{])")
_ASKED_WORD = re.compile(r"多少|多大|多长|多高|几|什么|哪")
_CLAUSE = re.compile(r"[，,；;：:？?。]")
_QUOTED = re.compile(r"(?<!\w)['‘\"“「]([^'’\"”」]{3,80})['’\"”」](?!\w)")
# An item a Chinese text numbers with a numeral ("问题二", "情况一", "第三"): the question's names one of several.
ORDINAL = re.compile(r"(问题|情况|阶段|方案|步骤|实验|任务|第)\s*([一二三四五六七八九十]+|\d+)")
_YESNO = re.compile(r"^\s*(?:is|are|does|do|did|was|were|can|has|have)\b", re.I)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:,\d{3})*(?:\.\d+)?(?:e[-−]?\d+)?(?![A-Za-z0-9_]|\.\d)", re.I)
_REFERENCE = re.compile(r"(?:\b(?:table|figure|fig\.?|eq\.?|equation|slide|section|algorithm|page)\s*\(?|[图表式]\s*[(（]?)"
                        r"([\dIVX]+(?:[.\-]\d+)?)", re.I)
# words that point at where the answer is rather than what it is: matching them says nothing
GENERIC = frozenset(tokenize(
    "table figure fig eq equation formula report paper document slide page section value values number "
    "show shown shows give given list listed use used what which many much approximately roughly about "
    "exactly according report reports reported state states stated you your if get gets got ",
) + ["图", "表", "中", "的", "是", "多", "少", "多少", "什", "么", "什么", "哪", "个", "几", "时", "为"])


@dataclass(frozen=True)
class Intent:
    """A question's content terms (stemmed, generic words dropped), the numbers it names, and
    its kind: "visual", "difference", "mean", "sum", "formula", "who", "yesno" or "value"."""

    question: str
    terms: tuple[str, ...]
    numbers: tuple[str, ...]
    kind: str
    refs: tuple[str, ...] = ()  # numbers that name a table, figure or equation ("Table 5")
    counted: tuple[str, ...] = ()  # what "how many ..." counts ("responders")
    tables: tuple[str, ...] = ()  # tables the question names, as `table_name` writes them ("table iii")
    quantities: tuple[tuple[str, str], ...] = ()  # numbers with a unit the question names (("800", "ms"),)
    unit: str = ""  # pattern a value must match when the question asks "how many <unit>" ("how many watts")
    asked: str = ""  # in a Chinese question, the words naming what is asked ("...最大的阻尼系数取值是多少" -> "阻尼系数取值是")
    quoted: tuple[str, ...] = ()  # phrases the question quotes ('DeepSeek-R1 Evaluation'), lower case
    ordinals: tuple[tuple[str, str], ...] = ()  # numbered items the question names (("问题", "二"),)

    def weight(self, term: str) -> float:
        """How much matching a term says: numbers and identifiers most, single CJK characters least."""
        if any(ch.isdigit() for ch in term) or "-" in term.strip("-"):
            return 1.5
        if is_cjk_char(term):
            return 0.2
        return 0.6 if _CJK_WORD.match(term) else 1.0

    def initialisms(self) -> set[str]:
        """Initials of two or three consecutive Latin terms ("learning rate" -> "lr")."""
        words = [t for t in self.terms if t.isalpha() and t.isascii()]
        return {"".join(w[0] for w in words[i:i + n]) for n in (2, 3) for i in range(len(words) - n + 1)}


# A question's kind: the first of these whose wording it uses ("value" when none).
_KINDS = (("visual", _VISUAL), ("difference", _DIFFERENCE), ("mean", _MEAN), ("sum", _SUM),
          ("formula", _FORMULA), ("who", _WHO), ("yesno", _YESNO))


def intent(question: str) -> Intent:
    refs = {t for m in _REFERENCE.finditer(question) for t in tokenize(m.group(1))}
    terms = tuple(dict.fromkeys(t for t in tokenize(question) if t not in GENERIC and t not in refs))
    terms = terms or tuple(dict.fromkeys(tokenize(question)))  # "table?" asks for tables
    terms += tuple(f"{a}{b}".lower() for a, b in _SYMBOL.findall(question))  # A_i is written Ai in PDF text
    numbers = tuple(dict.fromkeys(n.replace(",", "") for n in _NUMBER.findall(_REFERENCE.sub(" ", question))))
    kind = next((name for name, pattern in _KINDS if pattern.search(question)), "value")
    counted = _COUNTED.search(question)
    counted_terms = tuple(tokenize(counted.group(1))) if counted else ()
    tables = tuple(dict.fromkeys(table_name(m.group(0)) for m in _TABLE_REF.finditer(question)))
    quantities = tuple((n.replace(",", ""), u) for n, u in _QUANTITY.findall(question))
    unit = next((pattern for asked, pattern in _ASKED_UNITS if re.search(asked, question, re.I)), "")
    quoted = tuple(" ".join(q.lower().split()) for q in _QUOTED.findall(question))
    return Intent(question, terms, numbers, kind, tuple(sorted(refs)), counted_terms, tables, quantities, unit,
                  asked_phrase(question), quoted, tuple(ORDINAL.findall(question)))


def asked_phrase(question: str) -> str:
    """In a Chinese question, the words just before its question word, after the clause's last
    "的": what the question asks for, apart from the conditions around it ("" for other questions).

    >>> asked_phrase("问题二中，使平均输出功率最大的阻尼系数取值是多少？")
    '阻尼系数取值是'
    """
    if not any(is_cjk_char(ch) for ch in question):
        return ""
    for clause in _CLAUSE.split(question):
        m = _ASKED_WORD.search(clause)
        if m:
            return clause[: m.start()].rsplit("的", 1)[-1].strip()
    return ""


_ASKED_EN = re.compile(r"\bwhat(?:'s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+['’]s\s+)?"
                       r"([\w\s-]+?)(?=\s+(?:of|in|at|for|on|with|when|under|from|by|does|do|did|that|reported|given|"
                       r"according)\b|\s*[?,;]|\s*$)", re.I)


def asked_head(question: str) -> str:
    """In an English "what is the ... X" question, the stem of X, the quantity asked for ("" when
    the question is worded otherwise or X is a generic word such as "value").

    >>> asked_head("At 800 ms, what is the VEML6075's typical UVA responsivity?"), asked_head("What is the value in Table 2?")
    ('respons', '')
    """
    m = _ASKED_EN.search(question)
    words = tokenize(m.group(1)) if m else []
    return words[-1] if words and words[-1] not in GENERIC else ""


def table_name(text: str) -> str:
    """A table reference in one spelling: "TABLE III:" and "Table III" -> "table iii", "表 5-1" -> "表5-1".

    >>> table_name("TABLE III: Statistics"), table_name("表 5-1（情况一）")
    ('table iii', '表5-1')
    """
    m = _TABLE_REF.match(text.strip())
    if not m:
        return ""
    kind = "表" if m.group(0).startswith("表") else "table"
    return f"{kind} {m.group(1).lower()}" if kind == "table" else f"表{m.group(1)}"


def term_matches(term: str, tokens: set[str]) -> bool:
    """A question term is in a token set as is, as a prefix of at least 3 letters either way
    ("typ" in a header matches "typical"'s stem "typic"), or, when hyphenated, part by part
    (the token set should then hold the parts of hyphenated tokens too, see `with_parts`).

    >>> term_matches("typic", {"typ", "max"}), term_matches("ma", {"max"})
    (True, False)
    >>> term_matches("flajolet-martin", {"flajolet", "and", "martin"}), term_matches("qwen-3b", {"qwen", "32b"})
    (True, False)
    """
    if term in tokens:
        return True
    if "-" in term.strip("-"):
        return all(term_matches(part, tokens) for part in term.split("-") if part)
    if len(term) < 3 or not term.isalpha():
        return False
    return any(len(t) >= 3 and t.isalpha() and (t.startswith(term) or term.startswith(t)) for t in tokens)


def with_parts(tokens: set[str]) -> set[str]:
    """The tokens plus the parts of hyphenated ones ("ogbn-arxiv" also gives "ogbn", "arxiv")."""
    return tokens | {part for t in tokens if "-" in t for part in t.split("-") if part}


_FLOATISH = re.compile(r"\d+(?:\.\d+)?(?:e[-−]?\d+)?", re.I)


def numbers_in(text: str) -> set[float]:
    """Every number written in the text, as floats (thousands separators dropped).

    >>> sorted(numbers_in("1.00E-03, 12,000 and k=11"))
    [0.001, 11.0, 12000.0]
    """
    out = set()
    for m in _FLOATISH.finditer(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)):
        try:
            out.add(float(m.group(0).replace("−", "-")))
        except ValueError:
            continue
    return out


def names_numbers(it: Intent, text: str) -> bool:
    """Whether the text writes every number the question names (in any form: 1e-03 = 1.00E-03)."""
    have = numbers_in(text)
    return all(float(n.replace("−", "-")) in have for n in it.numbers)
