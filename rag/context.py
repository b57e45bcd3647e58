"""Contextual chunks: before indexing, each chunk gets a short `context` that helps find it —
the document title, and for figures, tables and formulas the end of the text before them and
the start of the text after them (which usually introduces or explains them)."""
from __future__ import annotations

from dataclasses import replace

from unirag.rag.types import Document

NEIGHBOUR_CHARS = 300


def excerpt(text: str, head: bool) -> str:
    """The start (`head`) or the end of `text`, at most NEIGHBOUR_CHARS, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= NEIGHBOUR_CHARS:
        return text
    return text[:NEIGHBOUR_CHARS].rsplit(" ", 1)[0] if head else text[-NEIGHBOUR_CHARS:].split(" ", 1)[-1]


def contextualize(doc: Document, neighbours: bool = True) -> Document:
    """Return `doc` with every chunk's `context` filled (ids are unchanged); `neighbours=False`
    leaves out the neighbouring text (the title only), as the dense encoder reads it.

    >>> from unirag.rag.types import Chunk
    >>> a = Chunk(doc_id="d", modality="text", page=1, text="The derating model uses k = 0.012.", order=0)
    >>> f = Chunk(doc_id="d", modality="formula", page=1, text="C = C0 (1 - k T)  (1)", order=1, links=(a.id,))
    >>> doc = contextualize(Document("d", "d.pdf", "0", 1, (a, f), title="Battery study"))
    >>> doc.chunks[1].context
    'Battery study. The derating model uses k = 0.012.'
    >>> contextualize(doc, neighbours=False).chunks[1].context
    'Battery study.'
    """
    by_id = {c.id: c for c in doc.chunks}
    title = " ".join((doc.title or doc.doc_id).split())
    chunks = []
    for c in doc.chunks:
        parts = [title]
        if neighbours and c.is_visual and c.modality != "page":
            for lid in c.links:
                other = by_id.get(lid)
                if other is not None and other.modality == "text":
                    parts.append(excerpt(other.text, head=other.order > c.order))
        chunks.append(replace(c, context=". ".join(p.rstrip(". ") for p in parts if p) + ".", id=c.id))
    return replace(doc, chunks=tuple(chunks))
