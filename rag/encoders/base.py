"""The encoder interface: separate document and query paths into one vector space."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from unirag.rag.types import Chunk, Query


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread for a single short input (a query). Splitting a 15-token forward
    pass across threads gains nothing, and on a busy machine the threads wait on each other:
    MiniLM query p50 was 320 ms with 2 threads and 40 ms with 1 on the shared 2-core box."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def decoded_crops(chunks: Sequence[Chunk], decode: Callable[[bytes], Any],
                  use: Callable[[Chunk], bool] = lambda c: True) -> tuple[list[int], list]:
    """(positions, decoded pictures) of the chunks whose crop `decode` can read. A crop it cannot
    read is logged and left out: that chunk is embedded from its text surrogate alone."""
    rows, pictures = [], []
    for i, c in enumerate(chunks):
        if not (c.image and use(c)):
            continue
        try:
            pictures.append(decode(c.image))
        except Exception as e:  # any decoder error: one bad crop must not fail its document
            logging.getLogger("unirag.encoders").warning("chunk %s (%s p.%d): unreadable crop, embedded "
                                                         "without it: %s: %s", c.id, c.doc_id, c.page,
                                                         type(e).__name__, e)
            continue
        rows.append(i)
    return rows, pictures


def chunk_text(chunk: Chunk) -> str:
    """The text a chunk is searched by (dense and keyword): section path, caption, the text
    surrogate, then its context (title, neighbouring text)."""
    body = chunk.text if not chunk.caption or chunk.caption in chunk.text else f"{chunk.caption}\n{chunk.text}"
    head = f"{chunk.section}\n" if chunk.section and chunk.modality != "page" else ""
    return f"{head}{body}\n{chunk.context}".strip()


class Encoder(ABC):
    """Embeds chunks (documents) and queries into L2-normalised float32 vectors of `dim`."""

    name: str = ""

    @property
    def reads_cjk(self) -> bool:
        """False for English-only text models: their scores on Chinese are noise."""
        return True

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        """Return an array of shape (len(chunks), dim)."""

    @property
    def part_dims(self) -> tuple[int, ...]:
        """Sizes of the unit-length parts a document vector is made of, in order (one: the whole)."""
        return (self.dim,)

    def warm_up(self) -> None:
        """Load the model now (ingest calls it while the first files parse); by default nothing to load."""
        return None

    @abstractmethod
    def embed_query(self, query: Query) -> np.ndarray:
        """Return an array of shape (dim,)."""

    @abstractmethod
    def to_dict(self) -> dict: ...
