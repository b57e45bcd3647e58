"""Hybrid retrieval: dense (encoder + Chroma) and keyword (BM25) results fused by
weighted reciprocal rank over the same chunk ids, with modality/document/page filters."""
from __future__ import annotations

from rag.encoders.base import Encoder
from rag.retrieval.keyword import KeywordIndex
from rag.store.chroma import ChromaStore, where_clause
from rag.types import Hit, Query


def fuse(ranked: dict[str, list[Hit]], weights: dict[str, float], rrf_k: int = 60) -> list[Hit]:
    """Weighted reciprocal-rank fusion of several ranked lists of hits (pure function)."""
    scores: dict[str, float] = {}
    best: dict[str, Hit] = {}
    sources: dict[str, list[str]] = {}
    for name, hits in ranked.items():
        w = weights.get(name, 1.0)
        for rank, hit in enumerate(hits):
            cid = hit.chunk.id
            scores[cid] = scores.get(cid, 0.0) + w / (rrf_k + rank + 1)
            best.setdefault(cid, hit)
            sources.setdefault(cid, []).append(name)
    order = sorted(scores, key=lambda c: -scores[c])
    return [Hit(chunk=best[c].chunk, score=scores[c], sources=tuple(sources[c]), crop_path=best[c].crop_path)
            for c in order]


class HybridRetriever:
    """Dense + keyword retrieval fused by weighted reciprocal rank.

    >>> from rag.encoders import make_encoder
    >>> r = HybridRetriever(ChromaStore(path="/tmp/unirag-doctest"), make_encoder("hash"))
    >>> r.to_dict()["weights"]
    {'dense': 1.0, 'bm25': 1.0}
    """

    def __init__(self, store: ChromaStore, encoder: Encoder, depth: int = 50,
                 weights: dict[str, float] | None = None, rrf_k: int = 60):
        self.store = store
        self.encoder = encoder
        self.keyword = KeywordIndex(store)
        self.depth = int(depth)
        self.weights = dict(weights or {"dense": 1.0, "bm25": 1.0})
        self.rrf_k = int(rrf_k)

    def to_dict(self) -> dict:
        return {"depth": self.depth, "weights": self.weights, "rrf_k": self.rrf_k}

    def retrieve(self, query: Query, top_k: int = 10) -> list[Hit]:
        depth = max(self.depth, top_k)
        ranked: dict[str, list[Hit]] = {}
        if self.weights.get("dense", 0) > 0 and (query.text.strip() or query.image):
            ranked["dense"] = self.store.search(self.encoder.embed_query(query), depth, where_clause(query))
        if self.weights.get("bm25", 0) > 0 and query.text.strip():
            ranked["bm25"] = self.keyword.search(query, depth)
        return fuse(ranked, self.weights, self.rrf_k)[:top_k]
