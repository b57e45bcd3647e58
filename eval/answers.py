"""Answer metrics: exact match and token F1 against `answer` + `answer_aliases`, and refusals.

Normalisation (both sides): Unicode NFKC, lower case, thousands separators dropped inside
numbers (`12,000` = `12000`), numbers in one canonical form (`0.2960` = `0.296`, `7.0` = `7`),
unicode minus/dashes as `-`, punctuation other than `.`/`%`/`-` inside numbers removed,
English articles dropped. A percentage is *not* turned into a fraction: `74.4%` matches
`0.744` only when the QA record lists both (the corpus does that where it is meant).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from unirag.rag.text import _CJK

NOT_ANSWERABLE = "UNANSWERABLE"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)")
_TOKEN = re.compile(r"-?\d+(?:\.\d+)?%?|[^\W\d_]+|\S")
_DASHES = str.maketrans({"−": "-", "–": "-", "—": "-", "‐": "-", "×": "x"})
_ARTICLES = {"a", "an", "the"}


def _number(m: re.Match) -> str:
    text = m.group(0)
    return text.rstrip("0").rstrip(".") if "." in text else text


def normalize(text: str) -> str:
    """Canonical form of an answer string.

    >>> normalize("12,000 points")
    '12000 points'
    >>> normalize("The 0.2960 m")
    '0.296 m'
    >>> normalize("1 − α")
    '1 - α'
    """
    text = unicodedata.normalize("NFKC", str(text)).translate(_DASHES).lower()
    text = _THOUSANDS.sub("", text)
    text = _NUMBER.sub(_number, text)
    return " ".join(t for t in tokens(text) if t not in _ARTICLES)


def tokens(text: str) -> list[str]:
    """Numbers (with their sign, decimals and %), words, each CJK character, other symbols; no
    bare punctuation.

    >>> tokens("k2(1-α)/(kα) 提升 67.4%")
    ['k', '2', '1', '-', 'α', 'kα', '提', '升', '67.4%']
    """
    out = []
    for t in _TOKEN.findall(text):
        if _CJK.match(t):
            out.extend(t)
        elif t[0].isalnum() or t[0] == "-" or not unicodedata.category(t[0]).startswith("P"):
            out.append(t)  # words, numbers, minus signs and symbols; not punctuation
    return out


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer.

    >>> exact_match("12000", ["12,000"]), exact_match("74.4%", ["0.744"])
    (1.0, 0.0)
    >>> exact_match("74.4%", ["0.744", "74.4%"])
    1.0
    """
    p = normalize(prediction)
    return float(any(p == normalize(g) for g in golds if str(g).strip()))


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    """Best token-overlap F1 of the prediction against any gold answer (SQuAD style).

    >>> token_f1("about 14.4 dB", ["14.4"])
    0.5
    """
    p = normalize(prediction).split()
    best = 0.0
    for gold in golds:
        g = normalize(gold).split()
        common = sum((Counter(p) & Counter(g)).values())
        if p and g and common:
            prec, rec = common / len(p), common / len(g)
            best = max(best, 2 * prec * rec / (prec + rec))
    return round(best, 4)


def contains(prediction: str, golds: Iterable[str]) -> float:
    """1.0 when a normalised gold answer appears, on token boundaries, in the prediction (a
    lenient match for extractive answers, which quote a whole span).

    >>> contains("the best value is 12,000 tokens", ["12000"]), contains("1200", ["12000"])
    (1.0, 0.0)
    """
    p = f" {normalize(prediction)} "
    return float(any(f" {normalize(g)} " in p for g in golds if normalize(g)))


def answer_scores(prediction: str, found: bool, answer: str, aliases: Iterable[str],
                  answerable: bool, reply: str | None = None) -> dict[str, float]:
    """Per-question answer scores: exact match and token F1 of `prediction` (the short answer,
    or the whole reply when none was extracted) and containment in `reply` (default: the
    prediction) for answerable questions, and `refusal_correct` for every question (a refusal =
    `found` is False).

    >>> answer_scores("not found", False, "UNANSWERABLE", [], answerable=False)
    {'refusal_correct': 1.0}
    >>> answer_scores("12,000", True, "12000", ["12k"], answerable=True)
    {'refusal_correct': 1.0, 'em': 1.0, 'f1': 1.0, 'contains': 1.0}
    >>> answer_scores("12 kWh", True, "12", [], True, reply="12 kWh: the pack stores 12 kWh.")["contains"]
    1.0
    """
    out = {"refusal_correct": float(found == answerable)}
    if answerable:
        golds = [answer, *aliases]
        out.update(em=exact_match(prediction, golds), f1=token_f1(prediction, golds),
                   contains=contains(prediction if reply is None else reply, golds))
    return out
