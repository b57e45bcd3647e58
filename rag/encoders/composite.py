"""One vector per chunk made of weighted sub-embeddings (e.g. a text model ⊕ a visual
channel), so one collection and one similarity serve several encoders.

Document vectors are the unit-length parts side by side; a query's parts are scaled by
weights chosen by the query's kind (text only, or with an image), so the store's inner
product is the weighted sum of the parts' similarities.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from unirag.rag.encoders.base import Encoder
from unirag.rag.timing import StageTimer
from unirag.rag.types import Chunk, Query

PART_KEYS = {"encoder", "text_query", "image_query"}


class CompositeEncoder(Encoder):
    """Parts are {"encoder": config, "text_query": weight, "image_query": weight}.

    >>> enc = CompositeEncoder([{"encoder": {"name": "hash", "dim": 8}},
    ...                         {"encoder": {"name": "pixels"}, "text_query": 0.0, "image_query": 1.0}])
    >>> enc.dim, enc.embed_query(Query(text="solar")).shape
    (280, (280,))
    """

    name = "composite"

    def __init__(self, parts: list[dict], allow_imports: bool = False):
        from unirag.rag.encoders import encoder_from_dict

        if not parts:
            raise ValueError("CompositeEncoder: expected at least one part, got none")
        for p in parts:
            if not isinstance(p, dict) or not isinstance(p.get("encoder"), dict) or set(p) - PART_KEYS:
                raise ValueError(f"CompositeEncoder: expected parts as mappings with an 'encoder' mapping "
                                 f"and keys among {sorted(PART_KEYS)}, got {p!r}")
        self.parts: list[dict[str, Any]] = [{"encoder": dict(p["encoder"]), "text_query": float(p.get("text_query", 1.0)),
                       "image_query": float(p.get("image_query", 1.0))} for p in parts]
        self._encoders = [encoder_from_dict(p["encoder"], allow_imports) for p in self.parts]

    @property
    def dim(self) -> int:
        return sum(e.dim for e in self._encoders)

    @property
    def part_dims(self) -> tuple[int, ...]:
        return tuple(d for e in self._encoders for d in e.part_dims)

    @property
    def reads_cjk(self) -> bool:
        return all(e.reads_cjk for e in self._encoders)

    def warm_up(self) -> None:
        for e in self._encoders:
            e.warm_up()

    def embed_documents(self, chunks: Sequence[Chunk], timer: StageTimer | None = None) -> np.ndarray:
        """The parts' vectors side by side; `timer` gets each part's seconds as "encode NAME"."""
        timer = timer or StageTimer()
        vecs = []
        for e in self._encoders:
            with timer(f"encode {e.name}"):
                vecs.append(e.embed_documents(chunks))
        return np.concatenate(vecs, axis=1)

    def embed_query(self, query: Query) -> np.ndarray:
        vecs = []
        for part, enc in zip(self.parts, self._encoders):
            w = part["image_query"] if query.image else part["text_query"]
            usable = w > 0 and (query.text.strip() or enc.name == "pixels")
            vecs.append(w * enc.embed_query(query) if usable else np.zeros(enc.dim, np.float32))
        return np.concatenate(vecs).astype(np.float32)

    def to_dict(self) -> dict:
        return {"name": self.name, "parts": [dict(p) for p in self.parts]}
