"""Offline answerer: no LLM. States the value the question asks for (a table cell, a number with
its unit, a name, a formula, a difference of two cells with its operands) and quotes the span
it came from with a citation. When the answer can only be seen in a figure it says so and
points at the figure; when the evidence is too weak it refuses. Every answer carries the top
hits as evidence. Sentences that read like instructions to a model are never quoted."""
from __future__ import annotations

import re
from collections.abc import Sequence

from unirag.rag.generation.abstain import (MIN_STRENGTH, MIN_TERM_SHARE, STRENGTH_HITS, other_conditions, strength,
                                           term_share)
from unirag.rag.generation.base import Generator
from unirag.rag.generation.extract import Candidate, best_candidate
from unirag.rag.generation.intent import Intent, intent, names_numbers, table_name
from unirag.rag.generation.phrases import PHRASES, phrase
from unirag.rag.text import tokenize
from unirag.rag.types import Answer, Citation, Hit

NOT_FOUND = PHRASES["en"]["not_found"]  # the refusal of an English question
_SECOND_QUESTION = re.compile(r",?\s+and\s+(?=(?:what|which|how|who)\b)", re.I)
_WH = re.compile(r"\b(?:what|which|how|who)\b", re.I)
RANK_DECAY = 0.15  # how much a candidate's match score is discounted per rank of its hit
_FIGURE_NAME = re.compile(r"^\s*((?:figure|fig\.?|图)\s*[\d.\-()a-z]*\d[)a-z]?)", re.I)
_ELEMENT_NAME = re.compile(r"^\s*((?:figure|fig\.?|table|图|表)\s*(?:[\d.\-]*\d|[IVX]+)\b)", re.I)
_ASKS_ELEMENT = re.compile(r"\b(?:which|what) (?:element|object|item)\b|哪个(?:元素|对象)", re.I)
_ELEMENTS = ("table", "figure", "image")


def citation(hit: Hit) -> Citation:
    c = hit.chunk
    return Citation(doc_id=c.doc_id, page=c.page, bbox=c.bbox, chunk_id=c.id, modality=c.modality,
                    source=hit.crop_path)


def _prefer_elements(hits: list[Hit]) -> list[Hit]:
    """Drop whole-page hits whose page also has a more precise hit (a block, figure, table)."""
    precise = {(h.chunk.doc_id, h.chunk.page) for h in hits if h.chunk.modality != "page"}
    return [h for h in hits if h.chunk.modality != "page" or (h.chunk.doc_id, h.chunk.page) not in precise]


def split_question(question: str) -> list[str]:
    """A question that asks for two things ("what A ..., and what B ...?") as two questions, the
    second keeping the first's leading condition ("For m = 256, ..."); otherwise the question.

    >>> split_question("For m = 256, what error does Table II give, and what error does Table IV report?")
    ['For m = 256, what error does Table II give', 'For m = 256, what error does Table IV report']
    """
    pieces = _SECOND_QUESTION.split(question.strip().rstrip("?？"))
    if len(pieces) != 2:
        return [question]
    lead = _WH.search(pieces[0])
    return [pieces[0], (pieces[0][: lead.start()] if lead else "") + pieces[1]]


def _pool(it: Intent, hits: list[Hit]) -> tuple[list[Hit], bool]:
    """The hits a value may be read from, and whether they are tables the question names.

    A value is read only from a chunk that writes the numbers the question names (its
    conditions; numbers on a document's first page name the document and count for all its
    chunks), and, when the question names a table that was retrieved, only from that table."""
    title: dict[str, str] = {}
    for h in hits:
        if h.chunk.page == 1:
            title[h.chunk.doc_id] = f"{title.get(h.chunk.doc_id, '')}\n{h.chunk.text}"
    pool = _prefer_elements([h for h in hits if names_numbers(
        it, f"{h.chunk.caption}\n{h.chunk.text}\n{h.chunk.context}\n{title.get(h.chunk.doc_id, '')}")])
    named = [h for h in pool if table_name(h.chunk.caption or h.chunk.text) in it.tables]
    return (named, True) if named else (pool, False)


def _whole_pages(it: Intent, hits: list[Hit], pool: list[Hit]) -> list[tuple[int, Hit]]:
    """The whole-page hits of the pool's pages that `_prefer_elements` set aside, with their
    rank among the hits: a value whose row label and cells the parser put in separate blocks
    is read from the page's text."""
    pages = {(h.chunk.doc_id, h.chunk.page) for h in pool}
    return [(rank, h) for rank, h in enumerate(hits)
            if h.chunk.modality == "page" and h not in pool and (h.chunk.doc_id, h.chunk.page) in pages
            and names_numbers(it, h.chunk.text)]


def _figure_name(hit: Hit, question: str) -> str:
    m = _FIGURE_NAME.match(hit.chunk.caption or hit.chunk.text)
    return m.group(1).rstrip(".:") if m else phrase("the_figure", question)


def element_name(hit: Hit) -> str:
    """The name a figure or table is printed with ("Table III", "图 3.3"), or ""."""
    m = _ELEMENT_NAME.match(hit.chunk.caption or hit.chunk.text)
    return " ".join(m.group(1).split()) if m else ""


def deferral(hit: Hit, question: str = "") -> str:
    """The reply for an answer that can only be seen: which figure, where, and what reads it (in
    the question's language)."""
    c = hit.chunk
    return phrase("deferral", question, figure=_figure_name(hit, question), doc=c.doc_id, page=c.page)


def _clip_caption(text: str) -> str:
    return " ".join(text.splitlines()[0].split()) if text.strip() else ""


class ExtractiveAnswerer(Generator):
    """Answers with the value the top hits give, a pointer to the figure that shows it, or a
    refusal when the evidence is weak; every answer lists the hits as evidence.

    >>> from unirag.rag.types import Chunk
    >>> hit = Hit(Chunk(doc_id="d", modality="text", page=3, text="The pack stores 12 kWh. It is blue."), 1.0)
    >>> a = ExtractiveAnswerer().generate("How much energy does the pack store?", [hit])
    >>> a.short, a.text, a.status
    ('12 kWh', '12 kWh — The pack stores 12 kWh. [d p.3]', 'answered')
    """

    name = "extractive"

    def __init__(self, max_hits: int = 5, max_citations: int = 3, min_strength: float = MIN_STRENGTH):
        self.max_hits = int(max_hits)
        self.max_citations = int(max_citations)
        self.min_strength = float(min_strength)

    def to_dict(self) -> dict:
        return {"name": self.name, "max_hits": self.max_hits, "max_citations": self.max_citations,
                "min_strength": self.min_strength}

    def _answer(self, question: str, hits: list[Hit], text: str, first: Hit | None = None,
                short: str = "", status: str = "answered") -> Answer:
        cites = [citation(first)] if first else []
        for other in hits:
            if len(cites) >= self.max_citations or not cites:
                break
            if all((other.chunk.doc_id, other.chunk.page) != (c.doc_id, c.page) for c in cites):
                cites.append(citation(other))
        return Answer(question, text, citations=tuple(cites), hits=tuple(hits), generator=self.name,
                      short=short, status=status)

    def refuse(self, question: str, hits: list[Hit]) -> Answer:
        return self._answer(question, hits, phrase("not_found", question), status="refused")

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        hits = list(hits)
        it = intent(question)
        asks = split_question(question)
        depth = STRENGTH_HITS * len(asks)  # a question that asks two things has evidence for each
        if (not tokenize(question) or not hits or strength(it, hits, depth) < self.min_strength
                or term_share(it, hits, depth) < MIN_TERM_SHARE or other_conditions(it, hits)):
            return self.refuse(question, hits)
        parts = [self._single(intent(part), hits) for part in asks]
        if len(parts) == 2 and all(p.short for p in parts) and parts[0].short != parts[1].short:
            short = " and ".join(p.short for p in parts)
            return Answer(question, f"{short} — " + "; ".join(p.text.split(" — ", 1)[-1] for p in parts),
                          citations=tuple(dict.fromkeys(c for p in parts for c in p.citations)),
                          hits=tuple(hits), generator=self.name, short=short)
        return self._single(it, hits)

    def _single(self, it: Intent, hits: list[Hit]) -> Answer:
        """The answer to a question that asks for one thing."""
        question = it.question
        figures = [h for h in _prefer_elements(hits)[: self.max_hits] if h.chunk.modality in ("figure", "image")]
        pool, named = _pool(it, hits)
        pool = pool[: self.max_hits]
        if it.kind == "visual" and figures:
            return self._answer(question, hits, deferral(figures[0], question), figures[0], status="deferred")
        if _ASKS_ELEMENT.search(question):  # "which element sits above ...": the top figure or table, by name
            named_hit = next((h for h in pool if h.chunk.modality in _ELEMENTS and element_name(h)), None)
            if named_hit:
                name, c = element_name(named_hit), named_hit.chunk
                text = f"{name} — {_clip_caption(c.caption or c.text)} [{c.doc_id} p.{c.page}]"
                return self._answer(question, hits, text, named_hit, short=name)
        found = [(rank, best_candidate(it, h)) for rank, h in enumerate(pool)]
        if not named:
            pages = [(rank, best_candidate(it, h)) for rank, h in _whole_pages(it, hits, pool)]
            found += [(rank, c) for rank, c in pages if c and c.short]  # a page only adds values
        cands = [Candidate(c.short, c.support, c.hit, c.score / (1 + RANK_DECAY * rank)) for rank, c in found if c]
        if not cands:
            if figures and not named:
                return self._answer(question, hits, deferral(figures[0], question), figures[0], status="deferred")
            return self.refuse(question, hits)
        best = max(cands, key=lambda c: (c.score, bool(c.short), c.hit.chunk.modality != "page"))
        if (it.unit and not re.search(it.unit, f"{best.short} {best.support}")) or (named and not best.short):
            return self.refuse(question, hits)  # asked for watts, found none; the named table has no such cell
        if not best.short and best.hit.chunk.modality in ("figure", "image"):
            return self._answer(question, hits, deferral(best.hit, question), best.hit, status="deferred")
        label = f"[{best.hit.chunk.doc_id} p.{best.hit.chunk.page}]"
        text = f"{best.short} — {best.support} {label}" if best.short else f"{best.support} {label}"
        return self._answer(question, hits, text, best.hit, short=best.short)
