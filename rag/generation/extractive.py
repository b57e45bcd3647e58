"""Offline answerer: no LLM. Picks the sentence or table row of the retrieved evidence that
best covers the question, and cites where it came from. It says plainly that no LLM was used.
Sentences that read like instructions to a model (prompt injection) are never quoted."""
from __future__ import annotations

import math
import re
from typing import Sequence

from unirag.rag.generation.base import Generator
from unirag.rag.generation.guard import is_instruction
from unirag.rag.text import tokenize
from unirag.rag.types import Answer, Citation, Hit

_SENTENCE = re.compile(r"(?<=[.!?。！？;；])\s+|\n+")
NOT_FOUND = "The documents do not appear to contain an answer to this question."


def citation(hit: Hit) -> Citation:
    c = hit.chunk
    return Citation(doc_id=c.doc_id, page=c.page, bbox=c.bbox, chunk_id=c.id, modality=c.modality,
                    source=hit.crop_path)


def _units(hit: Hit) -> list[tuple[str, str]]:
    """Candidate answer spans as (text shown, text matched): a table row is matched together
    with the table's caption and header row; a figure is one span, its caption and the text
    inside it (labels, values, OCR words); other chunks split into sentences/lines."""
    text = hit.chunk.text
    if hit.chunk.modality == "table":
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        rows = [ln for ln in lines if ln.startswith("|") and not set(ln) <= set("|-: ")]
        context = " ".join(ln for ln in lines if not ln.startswith("|"))
        if len(rows) >= 2:
            return [(f"{rows[0]} → {r}", f"{context} {rows[0]} {r}") for r in rows[1:]]
    if hit.chunk.modality in ("figure", "image"):  # the caption alone rarely holds the value asked for
        head, _, inner = text.partition("\n")
        inner = " ".join(inner.split())
        if inner:
            return [(f"{head} — {inner}" if head else inner, text)]
    parts = text.splitlines() if hit.chunk.modality == "formula" else _SENTENCE.split(text)
    return [(p.strip(), p.strip()) for p in parts if len(p.strip()) > 3]


def _prefer_elements(hits: list[Hit]) -> list[Hit]:
    """Drop whole-page hits whose page also has a more precise hit (a block, figure, table)."""
    precise = {(h.chunk.doc_id, h.chunk.page) for h in hits if h.chunk.modality != "page"}
    return [h for h in hits if h.chunk.modality != "page" or (h.chunk.doc_id, h.chunk.page) not in precise]


class ExtractiveAnswerer(Generator):
    """Answers with the best-matching span of the top hits, or says nothing was found.

    >>> from unirag.rag.types import Chunk
    >>> hit = Hit(Chunk(doc_id="d", modality="text", page=3, text="The pack stores 12 kWh. It is blue."), 1.0)
    >>> ExtractiveAnswerer().generate("What does the pack store?", [hit]).text
    'The pack stores 12 kWh. [d p.3]'
    """

    name = "extractive"

    def __init__(self, max_hits: int = 5, max_citations: int = 3, min_coverage: float = 0.25,
                 max_chars: int = 400):
        self.max_hits = int(max_hits)
        self.max_citations = int(max_citations)
        self.min_coverage = float(min_coverage)
        self.max_chars = int(max_chars)

    def to_dict(self) -> dict:
        return {"name": self.name, "max_hits": self.max_hits, "max_citations": self.max_citations,
                "min_coverage": self.min_coverage, "max_chars": self.max_chars}

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        hits = _prefer_elements(list(hits))[: self.max_hits]
        q = set(tokenize(question))
        cands = [(rank, hit, shown, set(tokenize(matched))) for rank, hit in enumerate(hits)
                 for shown, matched in _units(hit) if not is_instruction(shown)]
        if not q or not cands:
            return Answer(question, NOT_FOUND, hits=tuple(hits), generator=self.name, found=False)
        df = {t: sum(t in toks for *_, toks in cands) for t in q}
        weight = {t: math.log(1 + len(cands) / (1 + df[t])) + (0.5 if df[t] == 0 else 0.0) for t in q}
        total = sum(weight.values())

        def coverage(toks: set[str]) -> float:
            return sum(weight[t] for t in q & toks) / total

        rank, hit, unit, toks = max(cands, key=lambda c: coverage(c[3]) / (1 + 0.15 * c[0]))
        if coverage(toks) < self.min_coverage:
            return Answer(question, NOT_FOUND, hits=tuple(hits), generator=self.name, found=False)
        cites = [citation(hit)]
        for other in hits:
            if len(cites) >= self.max_citations:
                break
            if all((other.chunk.doc_id, other.chunk.page) != (c.doc_id, c.page) for c in cites):
                cites.append(citation(other))
        span = unit if len(unit) <= self.max_chars else unit[: self.max_chars].rsplit(" ", 1)[0] + " …"
        return Answer(question, f"{span} {cites[0].label()}", citations=tuple(cites), hits=tuple(hits),
                      generator=self.name, found=True)
