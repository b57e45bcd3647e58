"""The store contract: what ingest, retrieval and the shells need from a vector store. `ChromaStore`
implements it; a test suite in `unirag.rag.testing` checks any implementation.

>>> from unirag.rag.store import ChromaStore
>>> isinstance(ChromaStore(path="/tmp/unirag-doctest"), Store)
True
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from unirag.rag.types import Chunk, Document, Hit


@runtime_checkable
class Store(Protocol):
    """Chunks with their vectors and crops, one document at a time."""

    @property
    def crops_dir(self) -> Path:
        """The folder holding the stored crops."""
        ...

    def add(self, doc: Document, vectors: np.ndarray) -> int:
        """Store a document's chunks (one vector each) and crops, replacing its earlier version;
        returns the number of chunks stored."""
        ...

    def delete(self, doc_id: str) -> None:
        """Remove a document's chunks and crops."""
        ...

    def missing_docs(self, doc_ids: Iterable[str]) -> list[str]:
        """The ids among `doc_ids` that the store holds no chunk of."""
        ...

    def docs(self) -> dict[str, dict]:
        """{doc_id: {"sha256", "chunks", "expected", "source", "complete"}} of stored documents."""
        ...

    def search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[Hit]:
        """The `k` chunks nearest to `vector` (inner product), optionally filtered."""
        ...

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk, without crops (for keyword indexes)."""
        ...

    def hits(self, ids: list[str], scores: list[float], source: str) -> list[Hit]:
        """Hits for chunk ids found by another index, in the given order."""
        ...

    def version(self) -> tuple[int, int]:
        """Changes whenever the stored chunks change (derived indexes rebuild on it)."""
        ...

    def content_key(self) -> str | None:
        """Names the stored chunks as they are now, for every process: it changes with every write
        (derived indexes kept in files are stale when it differs); None where it cannot be read."""
        ...

    def index_path(self, name: str) -> Path | None:
        """Where a file `name` derived from the store is kept; None where the store has no folder."""
        ...

    def check_encoder(self, encoder_config: dict, record: bool = True) -> None:
        """Refuse an encoder other than the one the store was built with."""
        ...

    def orphan_crops(self) -> list[Path]:
        """Crop folders of documents the store does not hold (left by an interrupted ingest)."""
        ...
