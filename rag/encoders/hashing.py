"""A deterministic hashing encoder: no model, no download. For tests and demos that
must run anywhere; it matches words, not meanings, so it is never the default."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, chunk_text, normalize
from unirag.rag.text import tokenize
from unirag.rag.types import Chunk, Query


class HashEncoder(Encoder):
    """Bag of hashed tokens.

    >>> enc = HashEncoder(dim=64)
    >>> enc.embed_query(Query(text="solar battery")).shape
    (64,)
    """

    name = "hash"

    def __init__(self, dim: int = 256):
        self._dim = int(dim)

    @property
    def dim(self) -> int:
        return self._dim

    def _embed(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for tok in tokenize(text):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v[h % self._dim] += 1.0 if (h >> 63) else -1.0
        if not v.any():
            v[0] = 1.0
        return normalize(v)

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        return np.stack([self._embed(chunk_text(c)) for c in chunks]) if chunks else np.zeros((0, self._dim), np.float32)

    def embed_query(self, query: Query) -> np.ndarray:
        return self._embed(query.text)

    def to_dict(self) -> dict:
        return {"name": self.name, "dim": self._dim}
