"""Indexing policy: how a parsed document becomes vectors. Chunks get their context (document
title, neighbouring text of visual chunks) and one vector each; a page chunk's vector is made
from its page's other chunks instead of encoding the same text twice.

>>> from unirag.rag.encoders import make_encoder
>>> from unirag.rag.types import Chunk, Document
>>> doc = Document(doc_id="d", source="d.pdf", sha256="0", n_pages=1, chunks=(
...     Chunk(doc_id="d", modality="text", page=1, text="Peak 41 C."),
...     Chunk(doc_id="d", modality="page", page=1, text="Peak 41 C.")))
>>> embed(make_encoder("hash", dim=8), doc).vectors.shape
(2, 8)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unirag.rag.context import contextualize
from unirag.rag.encoders.base import Encoder
from unirag.rag.encoders.composite import CompositeEncoder
from unirag.rag.timing import StageTimer
from unirag.rag.types import Chunk, Document


def _encode(encoder: Encoder, chunks: list[Chunk], timer: StageTimer) -> np.ndarray:
    """`encoder.embed_documents(chunks)`, its seconds in `timer` per channel ("encode NAME")."""
    if isinstance(encoder, CompositeEncoder):
        return encoder.embed_documents(chunks, timer)
    with timer(f"encode {encoder.name}"):
        return encoder.embed_documents(chunks)


def embed_document(encoder: Encoder, doc: Document, timer: StageTimer | None = None) -> np.ndarray:
    """Vectors for every chunk of `doc`. A page chunk repeats its page's text, so instead of
    encoding that text again its vector is the mean of the page's other chunks' vectors
    (pages with no other chunk are encoded); this saves about a third of encoder time and
    measured the same on the corpus QA sets."""
    timer = timer or StageTimer()
    chunks = doc.chunks
    own = [i for i, c in enumerate(chunks) if c.modality != "page"]
    vectors = np.zeros((len(chunks), encoder.dim), np.float32)
    if own:
        vectors[own] = _encode(encoder, [chunks[i] for i in own], timer)
    by_page: dict[int, list[int]] = {}
    for i in own:
        by_page.setdefault(chunks[i].page, []).append(i)
    alone = []
    for i, c in enumerate(chunks):
        if c.modality == "page":
            if c.page in by_page:
                vectors[i] = vectors[by_page[c.page]].mean(axis=0)
            else:
                alone.append(i)
    if alone:
        vectors[alone] = _encode(encoder, [chunks[i] for i in alone], timer)
    return vectors


@dataclass(frozen=True)
class Embedded:
    """A parsed document (contextual chunks) with one vector per chunk, ready to store."""

    doc: Document
    vectors: np.ndarray


def embed(encoder: Encoder, doc: Document, timer: StageTimer | None = None) -> Embedded:
    """`doc` with contextual chunks, and their vectors; `timer` gets the seconds spent adding
    context ("context") and encoding per channel ("encode NAME")."""
    timer = timer or StageTimer()
    with timer("context"):
        doc = contextualize(doc)
    return Embedded(doc, embed_document(encoder, doc, timer))
