"""Indexing policy: how a parsed document becomes vectors. Chunks get their context (document
title, neighbouring text of visual chunks) and one vector each; no text is encoded twice: a
visual chunk's neighbouring text and a page's text reach their vectors through the vectors of
the chunks that hold that text.

>>> from unirag.rag.encoders import make_encoder
>>> from unirag.rag.types import Chunk, Document
>>> doc = Document(doc_id="d", source="d.pdf", sha256="0", n_pages=1, chunks=(
...     Chunk(doc_id="d", modality="text", page=1, text="Peak 41 C."),
...     Chunk(doc_id="d", modality="page", page=1, text="Peak 41 C.")))
>>> embed(make_encoder("hash", dim=8), doc).vectors.shape
(2, 8)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from unirag.rag.context import contextualize, excerpt
from unirag.rag.encoders.base import Encoder, chunk_text
from unirag.rag.encoders.composite import CompositeEncoder
from unirag.rag.timing import StageTimer
from unirag.rag.types import Chunk, Document

ZERO_NORM = 1e-12  # a vector part shorter than this is all zeros (a channel with nothing to say)


def _encode(encoder: Encoder, chunks: list[Chunk], timer: StageTimer) -> np.ndarray:
    """`encoder.embed_documents(chunks)`, its seconds in `timer` per channel ("encode NAME")."""
    if isinstance(encoder, CompositeEncoder):
        return encoder.embed_documents(chunks, timer)
    with timer(f"encode {encoder.name}"):
        return encoder.embed_documents(chunks)


def embed_document(encoder: Encoder, doc: Document, timer: StageTimer | None = None) -> np.ndarray:
    """Vectors for every chunk of `doc`, encoding each piece of text once.

    A figure, table or formula is encoded from its own text, then joined by the vectors of the
    text chunks it links to (caption neighbours, referring paragraphs), each weighted by the
    characters it would have added to the encoded text (its excerpt, as `contextualize` cuts it),
    its own vector by its own characters. A page chunk repeats its page's text, so its vector is
    the mean of the page's other chunks' vectors (a page with no other chunk is encoded). Mixed
    vectors are made unit length again part by part (a composite vector's parts are unit each)."""
    timer = timer or StageTimer()
    chunks = doc.chunks
    own = [i for i, c in enumerate(chunks) if c.modality != "page"]
    vectors = np.zeros((len(chunks), encoder.dim), np.float32)
    if own:
        vectors[own] = _encode(encoder, [chunks[i] for i in own], timer)
    _join_linked_text(vectors, chunks, encoder.part_dims)
    by_page: dict[int, list[int]] = {}
    for i in own:
        by_page.setdefault(chunks[i].page, []).append(i)
    alone = []
    for i, c in enumerate(chunks):
        if c.modality == "page":
            if c.page in by_page:
                vectors[i] = unit_parts(vectors[by_page[c.page]].mean(axis=0), encoder.part_dims)
            else:
                alone.append(i)
    if alone:
        vectors[alone] = _encode(encoder, [chunks[i] for i in alone], timer)
    return vectors


def _join_linked_text(vectors: np.ndarray, chunks: Sequence[Chunk], part_dims: Sequence[int]) -> None:
    """In place: each visual chunk's vector averaged with its linked text chunks' vectors, each
    weighted by its characters (a text chunk's: its excerpt), then made unit length part by part."""
    row = {c.id: i for i, c in enumerate(chunks)}
    for i, c in enumerate(chunks):
        linked = [row[lid] for lid in c.links if lid in row and chunks[row[lid]].modality == "text"]
        if not c.is_visual or c.modality == "page" or not linked:
            continue
        weights = [len(chunk_text(c))] + [len(excerpt(chunks[j].text, head=chunks[j].order > c.order)) for j in linked]
        if sum(weights):
            vectors[i] = unit_parts(np.average(vectors[[i, *linked]], axis=0, weights=weights), part_dims)


def unit_parts(vector: np.ndarray, part_dims: Sequence[int]) -> np.ndarray:
    """`vector` with each part (of the sizes `part_dims`, in order) made unit length; a part that
    is all zeros (a channel with nothing to say) stays zeros.

    >>> unit_parts(np.array([3.0, 4.0, 0.0, 0.0, 2.0]), (2, 2, 1)).astype(float).round(2).tolist()
    [0.6, 0.8, 0.0, 0.0, 1.0]
    """
    out = np.array(vector, np.float32)
    ends = np.cumsum(part_dims)
    for start, end in zip([0, *ends[:-1]], ends):
        norm = np.linalg.norm(out[start:end])
        out[start:end] = out[start:end] / norm if norm > ZERO_NORM else 0.0
    return out


@dataclass(frozen=True)
class Embedded:
    """A parsed document (contextual chunks) with one vector per chunk, ready to store."""

    doc: Document
    vectors: np.ndarray


def embed(encoder: Encoder, doc: Document, timer: StageTimer | None = None) -> Embedded:
    """`doc` with contextual chunks, and their vectors; `timer` gets the seconds spent adding
    context ("context") and encoding per channel ("encode NAME"). The encoder reads each chunk
    with the document title only: a visual chunk's neighbouring text reaches its vector through
    the neighbours' own vectors instead of being encoded a second time."""
    timer = timer or StageTimer()
    with timer("context"):
        full, bare = contextualize(doc), contextualize(doc, neighbours=False)
    return Embedded(full, embed_document(encoder, bare, timer))
