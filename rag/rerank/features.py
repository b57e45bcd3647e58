"""A cheap offline reranker for text and visual chunks together, from signals that need no
model call: the fused retrieval score, how much of the question the chunk's searchable text
covers (weighted by how rare each term is among the candidates), explicit label matches
("Table 3", "图2"), and modality hints in the question ("chart", "table", "equation", "图", "表").

Every signal is in [0, 1]; the new score is their weighted sum. No dense similarity is
recomputed: the retriever's fused score already carries the encoder's opinion, and embedding
50 chunk texts again would cost far more than the few milliseconds this stage is allowed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

from unirag.rag.encoders.base import chunk_text
from unirag.rag.rerank.base import Reranker
from unirag.rag.retrieval.labels import chunk_labels, query_labels
from unirag.rag.text import tokenize
from unirag.rag.types import Hit, Query

HINTS = {  # question wording -> the chunk kinds it asks for
    "figure": re.compile(r"\b(?:figures?|charts?|plots?|graphs?|diagrams?|curves?|images?|pictures?|"
                         r"photos?|illustrat\w*|drawn|shown in the)\b|\bfigs?\.|图(?!表)|曲线|示意", re.I),
    "table": re.compile(r"\b(?:tables?|tabulat\w*|rows?|columns?)\b|表(?!示)", re.I),
    "formula": re.compile(r"\b(?:equations?|formulas?|formulae|expressions?|derivation)\b|\beqs?\.|公式|方程|式\s*[(（]",
                          re.I),
}
# Math written in the question (a function applied, "L_t(S)", "M[f(ax); s]"; a norm; a subscripted
# symbol, "δ'_a", "A_i"), or asking how a quantity is computed or defined, points at a formula
# when the wording names no kind of element.
NOTATION = re.compile(r"(?<![\w.])[^\W\d_]{1,3}(?:_\{?\w{1,4}\}?)?[(\[][^()\[\]]{1,40}[)\]]|\|\||∥"
                      r"|(?<![\w.])[^\W\d_]'?_[^\W_]{1,3}\b"
                      r"|\bhow (?:is|are|was|were|do|does) .{1,60}? (?:computed|calculated|defined|derived|obtained)\b"
                      r"|(?:怎样|如何|怎么)计算", re.I)
# A question after a quantity ("how much", "what value", "多少") asks for a value that tables
# and figures hold more often than running text, when the wording names no kind of element.
VALUE = re.compile(r"\b(?:how (?:much|many|large|high|low)|what (?:value|number|percentage|score|accuracy)|"
                   r"roughly what|by how much)\b|多少|几(?:个|次|种)", re.I)
SIGNALS = ("retrieval", "coverage", "label", "modality")
# Weight of each signal: the fused retrieval score, plus a bonus for the chunk kind the question's
# wording asks for. Coverage and labels repeat what BM25 and the label channel already put into the
# fused score, so they are off by default (kept for corpora without those channels); see
# docs/decisions.md for how these were measured.
DEFAULT_WEIGHTS = {"retrieval": 1.0, "coverage": 0.0, "label": 0.0, "modality": 0.3}


def modality_hints(text: str) -> set[str]:
    """Chunk kinds a question's wording asks for.

    >>> sorted(modality_hints("Which chart shows the trend, and what does 表2 list?"))
    ['figure', 'table']
    """
    return {kind for kind, pattern in HINTS.items() if pattern.search(text)}


def implied_hints(text: str) -> set[str]:
    """Element kinds a question implies without naming one: a formula when it writes math, a
    table or figure when it asks for a quantity. Used only to order a page's own chunks.

    >>> sorted(implied_hints("What does M[f(ax); s] equal?")), sorted(implied_hints("By how much does A beat B?"))
    (['formula'], ['figure', 'table'])
    >>> implied_hints("Which cluster is the largest?")
    set()
    """
    if NOTATION.search(text):
        return {"formula"}
    if VALUE.search(text):
        return {"table", "figure"}
    return set()


def _matches(kind: str, chunk_modality: str) -> bool:
    return chunk_modality == kind or chunk_modality == "page" or (kind == "figure" and chunk_modality == "image")


def elements_first(ranked: list[Hit], hints: set[str], skip: frozenset[str] = frozenset()) -> list[Hit]:
    """When the question asks for figures, tables or formulas (`hints`), the best such element
    of a page moves up to the place of that page's best chunk, taking its score: the page
    order stays as it was, and the answer's region comes before the text and the page around
    it. Chunks whose id is in `skip` are not moved. See docs/decisions.md for how this was measured.

    >>> from unirag.rag.types import Chunk
    >>> text = Hit(Chunk(doc_id="d", modality="text", page=2, text="a paragraph of page 2"), 1.0)
    >>> page = Hit(Chunk(doc_id="d", modality="page", page=2, text="all of page 2"), 0.9)
    >>> table = Hit(Chunk(doc_id="d", modality="table", page=2, text="Table 1"), 0.4)
    >>> [(h.chunk.modality, h.score) for h in elements_first([text, page, table], {"table"})]
    [('table', 1.0), ('text', 1.0), ('page', 0.9)]
    """
    if not hints:
        return ranked
    lifted: dict[int, Hit] = {}  # id of a page's first hit -> the element placed above it
    moved: set[int] = set()
    seen: set[tuple[str, int]] = set()
    for i, h in enumerate(ranked):
        key = (h.chunk.doc_id, h.chunk.page)
        if key in seen:
            continue
        seen.add(key)
        if _is_element(h.chunk.modality, hints):
            continue  # the page's best chunk is already one
        element = next((e for e in ranked[i + 1:] if (e.chunk.doc_id, e.chunk.page) == key
                        and _is_element(e.chunk.modality, hints) and e.chunk.id not in skip), None)
        if element is not None:
            lifted[id(h)] = element
            moved.add(id(element))
    out: list[Hit] = []
    for h in ranked:
        if id(h) in moved:
            continue
        if id(h) in lifted:
            e = lifted[id(h)]
            out.append(Hit(chunk=e.chunk, score=h.score, sources=e.sources, crop_path=e.crop_path))
        out.append(h)
    return out


MIN_IDENTIFIER = 3  # characters: shorter numbers ("10", "3") are written by most chunks


def _lacking(question: str, hits: Sequence[Hit]) -> frozenset[str]:
    """Ids of the element hits (only elements are moved, so only they are read) that do not write
    every identifier of the question: its terms of at least MIN_IDENTIFIER characters with a digit
    ("1.1B", "400"; "10" and "3" are too common to tell), or when it has none, with a hyphen inside
    ("C-Eval"); all of them when it names neither."""
    elements = [h for h in hits if h.chunk.modality not in ("page", "text")]
    words = tokenize(question)
    names = ({t for t in words if len(t) >= MIN_IDENTIFIER and any(ch.isdigit() for ch in t)}
             or {t for t in words if "-" in t.strip("-")})
    if not names:
        return frozenset(h.chunk.id for h in elements)
    return frozenset(h.chunk.id for h in elements if not names <= set(tokenize(chunk_text(h.chunk))))


def _is_element(modality: str, hints: set[str]) -> bool:
    return modality != "page" and any(_matches(k, modality) for k in hints)


class FeatureReranker(Reranker):
    """Weighted sum of [0, 1] signals; a few milliseconds for 50 hits.

    >>> from unirag.rag.types import Chunk
    >>> hits = [Hit(Chunk(doc_id="d", modality="text", page=1, text="Oslo weather in general"), 1.0),
    ...         Hit(Chunk(doc_id="d", modality="table", page=2, text="Table 2: rainfall in Oslo by month"), 0.9)]
    >>> [h.chunk.page for h in FeatureReranker().rerank(Query(text="Oslo rainfall table"), hits)]
    [2, 1]
    """

    name = "features"

    def __init__(self, weights: dict[str, float] | None = None):
        weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        unknown = set(weights) - set(SIGNALS)
        if unknown:
            raise ValueError(f"FeatureReranker: expected weights for {SIGNALS}, got unknown {sorted(unknown)}")
        self.weights = {k: float(v) for k, v in weights.items()}

    def signals(self, query: Query, hits: Sequence[Hit]) -> list[dict[str, float]]:
        """Each hit's signals, in the order given (signals weighted 0 are not computed: 0.0)."""
        top = max((h.score for h in hits), default=0.0)
        out = [dict.fromkeys(SIGNALS, 0.0) for _ in hits]
        for row, h in zip(out, hits):
            row["retrieval"] = max(h.score, 0.0) / top if top > 0 else 1.0  # keeps the retriever's gaps
        if self.weights["coverage"]:
            terms = set(tokenize(query.text))
            texts = [set(tokenize(chunk_text(h.chunk))) for h in hits]
            idf = {t: math.log(1 + len(hits) / (1 + sum(t in s for s in texts))) for t in terms}
            total = sum(idf.values()) or 1.0
            for row, words in zip(out, texts):
                row["coverage"] = sum(w for t, w in idf.items() if t in words) / total
        wanted = query_labels(query.text) if self.weights["label"] else set()
        hints = modality_hints(query.text) if self.weights["modality"] else set()
        for row, h in zip(out, hits):
            row["label"] = float(bool(wanted) and bool(wanted & chunk_labels(h.chunk)))
            row["modality"] = float(any(_matches(k, h.chunk.modality) for k in hints))
        return out

    def rerank(self, query: Query, hits: Sequence[Hit], top_k: int = 10) -> list[Hit]:
        if not hits:
            return []
        scored = [(sum(self.weights[k] * v for k, v in s.items()), i)
                  for i, s in enumerate(self.signals(query, hits))]
        scored.sort(key=lambda x: (-x[0], x[1]))
        ranked = [Hit(chunk=hits[i].chunk, score=s, sources=hits[i].sources + (self.name,),
                      crop_path=hits[i].crop_path) for s, i in scored]
        if self.weights["modality"]:
            named = modality_hints(query.text)
            # a kind only implied moves no element that retrieval did not find by itself (score 0:
            # added for its page), e.g. a title slide's picture for "how many respondents ..."
            unfound = frozenset() if named else frozenset(h.chunk.id for h in hits if h.score <= 0)
            hints = named or implied_hints(query.text)
            if not hints:  # no kind in the wording: an element that writes all the question's identifiers
                hints, unfound = set(HINTS), unfound | _lacking(query.text, hits)
            ranked = elements_first(ranked, hints, unfound)
        return ranked[:top_k]

    def to_dict(self) -> dict:
        return {"name": self.name, "weights": dict(self.weights)}
