"""Hybrid retrieval: dense (encoder + Chroma) and keyword (BM25) results fused by
weighted reciprocal rank over the same chunk ids, with modality/document/page filters."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from unirag.rag.encoders.base import Encoder
from unirag.rag.retrieval.keyword import KeywordIndex
from unirag.rag.store.base import Store
from unirag.rag.store.chroma import where_clause
from unirag.rag.text import cjk_share
from unirag.rag.types import Hit, Query, hit_pages


FUSIONS = ("minmax", "rrf")
CHANNELS = ("dense", "bm25", "label")
CJK_QUERY_SHARE = 0.3
# Channel weights for text queries: MiniLM's similarities are the weaker signal on documents full
# of numbers and labels, so BM25 and explicit references weigh more than dense.
DEFAULT_WEIGHTS = {"dense": 0.4, "bm25": 1.0, "label": 1.0}
# For queries with an image: the dense channel carries the picture itself, the keyword channels
# only the words OCR read in it, so they weigh the same.
DEFAULT_IMAGE_WEIGHTS = {"dense": 1.0, "bm25": 1.0, "label": 1.0}


def _contributions(hits: list[Hit], method: str, rrf_k: int) -> list[float]:
    if method == "rrf":
        return [1.0 / (rrf_k + rank + 1) for rank in range(len(hits))]
    scores = [h.score for h in hits]
    lo, hi = min(scores, default=0.0), max(scores, default=0.0)
    return [(s - lo) / (hi - lo) if hi > lo else 1.0 for s in scores]


def fuse(ranked: dict[str, list[Hit]], weights: dict[str, float], method: str = "minmax",
         rrf_k: int = 60) -> list[Hit]:
    """Fuse ranked lists of hits (pure function): `minmax` sums each list's min-max normalised
    scores times its weight (a convex combination); `rrf` sums weight / (rrf_k + rank)."""
    if method not in FUSIONS:
        raise ValueError(f"fuse: expected method in {FUSIONS}, got {method!r}")
    scores: dict[str, float] = {}
    best: dict[str, Hit] = {}
    sources: dict[str, list[str]] = {}
    for name, hits in ranked.items():
        w = weights.get(name, 1.0)
        for hit, part in zip(hits, _contributions(hits, method, rrf_k)):
            cid = hit.chunk.id
            scores[cid] = scores.get(cid, 0.0) + w * part
            best.setdefault(cid, hit)
            sources.setdefault(cid, []).append(name)
    order = sorted(scores, key=lambda c: -scores[c])
    return [Hit(chunk=best[c].chunk, score=scores[c], sources=tuple(sources[c]), crop_path=best[c].crop_path)
            for c in order]


ELEMENT_PAGES = 3  # pages at the head of a ranking whose elements `page_elements` adds
ELEMENT_KINDS = ("figure", "table", "formula", "image")


class HybridRetriever:
    """Dense + keyword retrieval fused by weighted score fusion.

    `weights` weigh the channels for text queries, `image_weights` for queries with an image
    (default: `weights` when given, else DEFAULT_IMAGE_WEIGHTS): there the dense channel carries the picture itself, while
    the keyword channels only see the words OCR read in it.

    >>> from unirag.rag.encoders import make_encoder
    >>> from unirag.rag.store import ChromaStore
    >>> r = HybridRetriever(ChromaStore(path="/tmp/unirag-doctest"), make_encoder("hash"))
    >>> r.to_dict()["weights"], r.to_dict()["image_weights"]["dense"]
    ({'dense': 0.4, 'bm25': 1.0, 'label': 1.0}, 1.0)
    """

    def __init__(self, store: Store, encoder: Encoder, depth: int = 50,
                 weights: dict[str, float] | None = None, fusion: str = "minmax", rrf_k: int = 60,
                 keyword: dict | None = None, image_weights: dict[str, float] | None = None):
        self.store = store
        self.encoder = encoder
        self.keyword = KeywordIndex(store, **(keyword or {}))
        self.depth = int(depth)
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self.image_weights = dict(image_weights or weights or DEFAULT_IMAGE_WEIGHTS)
        for name, w in (("weights", self.weights), ("image_weights", self.image_weights)):
            unknown = set(w) - set(CHANNELS)
            if unknown:
                raise ValueError(f"HybridRetriever: expected {name} keys in {CHANNELS}, got {sorted(unknown)}")
        self.fusion = fusion
        self.rrf_k = int(rrf_k)
        self._executor: ThreadPoolExecutor | None = None  # started on the first query
        self._lock = threading.Lock()
        if fusion not in FUSIONS:
            raise ValueError(f"HybridRetriever: expected fusion in {FUSIONS}, got {fusion!r}")

    def to_dict(self) -> dict:
        return {"depth": self.depth, "weights": self.weights, "image_weights": self.image_weights,
                "fusion": self.fusion, "rrf_k": self.rrf_k, "keyword": self.keyword.to_dict()}

    def retrieve(self, query: Query, top_k: int = 10) -> list[Hit]:
        depth = max(self.depth, top_k)
        weights = self.image_weights if query.image else self.weights
        ranked: dict[str, list[Hit]] = {}
        # an English-only text model's similarities on a Chinese question are noise: leave them out
        readable = self.encoder.reads_cjk or cjk_share(query.text) < CJK_QUERY_SHARE
        dense = weights.get("dense", 0) > 0 and (query.image or (query.text.strip() and readable))
        if dense:  # the keyword channels run beside the encoder's forward pass (both release the GIL)
            keyword = self._pool().submit(self._keyword, query, depth, weights)
            ranked["dense"] = self.store.search(self.encoder.embed_query(query), depth, where_clause(query))
            ranked.update(keyword.result())
        else:
            ranked.update(self._keyword(query, depth, weights))
        return fuse(ranked, weights, self.fusion, self.rrf_k)[:top_k]

    def page_elements(self, query: Query, hits: list[Hit], pages: int = ELEMENT_PAGES) -> list[Hit]:
        """The figures, tables and formulas on the first `pages` pages of `hits` that `hits`
        lack, scored 0: a reranker that knows the question asks for one can then place it
        first on its page, though its own words ranked it too low to be fetched (an equation
        read by OCR, a question in another language than the element's labels)."""
        top = hit_pages(hits, pages)
        have = {h.chunk.id for h in hits}
        found = self.keyword.on_pages(query, set(top), ELEMENT_KINDS) if query.text.strip() else []
        return [Hit(chunk=h.chunk, score=0.0, sources=h.sources, crop_path=h.crop_path)
                for h in found if h.chunk.id not in have]

    def _keyword(self, query: Query, depth: int, weights: dict[str, float]) -> dict[str, list[Hit]]:
        out = {}
        if weights.get("bm25", 0) > 0 and query.text.strip():
            out["bm25"] = self.keyword.search(query, depth)
        if weights.get("label", 0) > 0 and query.text.strip():
            out["label"] = self.keyword.labelled(query, depth)
        return out

    def close(self) -> None:
        """Stop the keyword thread and wait for it (a later query starts a new one)."""
        with self._lock:
            pool, self._executor = self._executor, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="unirag-keyword")
            return self._executor
