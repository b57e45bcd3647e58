"""Whether the retrieved evidence can hold the answer at all, judged on the top hits together
rather than on one span: every number and identifier the question names (a model size, a
parameter value, a year, a part number) must be written somewhere in the top hits. A question
about "Qwen-3B" or "m = 2048" over pages that list only "Qwen-32B" or "m = 1024" is not
answered by them, however similar they look. Nor is a question about a quantity at a condition
("the responsivity at 800 ms") answered by hits that give that quantity only at other conditions
("responsivity, IT = 50 ms: 0.93").

Fused scores and channel agreement are kept in the evidence but do not decide: on the dev
sets they were as high for unanswerable questions as for answerable ones.

>>> from unirag.rag.generation.intent import intent
>>> from unirag.rag.types import Chunk, Hit
>>> hits = [Hit(Chunk(doc_id="d", modality="table", page=2, text="| model | AIME |\\n|---|---|\\n| Qwen-7B | 55.5 |"), 0.03)]
>>> strength(intent("What AIME score does Qwen-7B reach?"), hits), strength(intent("What AIME score does Qwen-3B reach?"), hits)
(1.0, 0.0)
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from unirag.rag.generation.extract import contradicts, hit_spans
from unirag.rag.generation.intent import Intent, asked_head, numbers_in, term_matches, with_parts
from unirag.rag.text import tokenize
from unirag.rag.types import Hit

STRENGTH_HITS = 5  # top hits whose text the question's numbers and identifiers are looked for in
MIN_STRENGTH = 1.0  # share of the question's numbers/identifiers the top hits must write; below: refuse
# Share of all the question's content terms the top hits must write; below it they are about
# something else (a question off the documents' subject). A floor well under what answerable
# questions reach, paraphrased or in Chinese, so it only catches evidence that shares almost nothing.
MIN_TERM_SHARE = 0.15


def _text(hit: Hit) -> str:
    c = hit.chunk
    return f"{c.text}\n{c.caption}\n{c.context}\n{c.section}"


def specific_terms(it: Intent) -> list[str]:
    """The question's terms that name one thing exactly: those with a digit in them."""
    return [t for t in it.terms if any(ch.isdigit() for ch in t)]


def _written(term: str, tokens: set[str], numbers: set[float]) -> bool:
    if term_matches(term, tokens):
        return True
    try:
        return float(term) in numbers  # 1e-03 is written 1.00E-03
    except ValueError:
        return False


def term_share(it: Intent, hits: Sequence[Hit], depth: int = STRENGTH_HITS) -> float:
    """Share of the question's content terms written in the top `depth` hits (1.0 when it has none).

    >>> from unirag.rag.generation.intent import intent
    >>> from unirag.rag.types import Chunk, Hit
    >>> hits = [Hit(Chunk(doc_id="d", modality="text", page=1, text="The pack stores 12 kWh."), 0.5)]
    >>> term_share(intent("How much energy does the pack store?"), hits) > MIN_TERM_SHARE
    True
    >>> term_share(intent("zebra migration xylophone quantum"), hits)
    0.0
    """
    if not it.terms:
        return 1.0
    text = "\n".join(_text(h) for h in hits[:depth])
    tokens = with_parts(set(tokenize(text)))
    return round(sum(term_matches(t, tokens) for t in it.terms) / len(it.terms), 4)


def strength(it: Intent, hits: Sequence[Hit], depth: int = STRENGTH_HITS) -> float:
    """Share of the question's numbers and identifiers written in the top `depth` hits (1.0 when
    it names none); 0.0 without hits."""
    if not hits:
        return 0.0
    text = "\n".join(_text(h) for h in hits[:depth])
    tokens, numbers = with_parts(set(tokenize(text))), numbers_in(text)
    specific = specific_terms(it)
    if not specific:
        return 1.0
    return round(sum(_written(t, tokens, numbers) for t in specific) / len(specific), 4)


def other_conditions(it: Intent, hits: Sequence[Hit]) -> bool:
    """Whether the top hits give the quantity the question asks for ("what is the ...
    responsivity") under the condition it names ("at 800 ms") only for other values of that
    condition: some span writes the quantity with the condition's unit, none with its value.

    >>> from unirag.rag.generation.intent import intent
    >>> from unirag.rag.types import Chunk, Hit
    >>> hits = [Hit(Chunk(doc_id="d", modality="text", page=2, text="UVA responsivity at IT = 50 ms is 0.93."), 1.0)]
    >>> other_conditions(intent("What is the UVA responsivity at 800 ms?"), hits)
    True
    >>> other_conditions(intent("What is the UVA responsivity at 50 ms?"), hits)
    False
    """
    head = asked_head(it.question)
    if not head or not it.quantities:
        return False
    about = [s for h in hits[:STRENGTH_HITS] for s in hit_spans(h) if head in tokenize(s)]
    stated = [s for s in about if any(re.search(rf"\d\s*{re.escape(unit)}(?![A-Za-z0-9])", s) for _, unit in it.quantities)]
    return bool(stated) and all(contradicts(it, s) for s in stated)
