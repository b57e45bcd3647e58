"""BM25 keyword search (bm25s) over every chunk in the store, with CJK-aware tokens.

The index is derived from the store and rebuilt when the store changes, so it can never
hold chunks the store does not have. An embedded store keeps it in a file beside itself
(INDEX_FILE, see `unirag.rag.retrieval.snapshot`), so a new process loads it instead of
rebuilding it; a stale or unreadable file is rebuilt.

Chinese text is indexed as single characters plus bigrams (`unirag.rag.text.tokenize`). A single
character is weak evidence (common characters occur in most chunks of a Chinese document, and
the bigrams already carry the words), yet a question of n characters sends n of them against
n-1 bigrams, so their summed scores used to decide the ranking. The query's single CJK
characters are therefore weighted by `cjk_char_weight`. Measured on the dev sets (page hit@1 /
hit@5 / MRR, Chinese questions): 1.0 -> 0.3 lifts the natural-language set 0.54/0.85/0.70 ->
0.69/1.00/0.80 (all questions 0.70/0.91/0.81 -> 0.73/0.94/0.83) and keeps qa_dev as it was;
0.25-0.35 score the same, 0.1-0.2 lose qa_dev questions, 0 (bigrams only) loses more.
"""
from __future__ import annotations

import logging
import threading

import numpy as np

from unirag.rag.encoders.base import chunk_text
from unirag.rag.store.base import Store
from unirag.rag.retrieval.labels import chunk_labels, query_labels
from unirag.rag.retrieval.snapshot import Bm25Scores, IndexFileError, Snapshot
from unirag.rag.text import is_cjk_char, tokenize
from unirag.rag.types import Hit, Query

INDEX_FILE = "keyword-index.npz"  # beside an embedded store's chroma/ and crops/
log = logging.getLogger(__name__)
LABEL_TIE = 0.5  # at most this is added to a labelled chunk's score to order it by BM25 (it is reported as 1)
ON_PAGE_FLOOR = 1e-6  # added to the BM25 score of a chunk fetched for its page: kept even when no term matches


class KeywordIndex:
    """BM25 over the text of every stored chunk, filtered like the dense search.

    >>> from unirag.rag.store import ChromaStore
    >>> KeywordIndex(ChromaStore(path="/tmp/unirag-doctest")).to_dict()
    {'k1': 1.2, 'b': 0.75, 'cjk_char_weight': 0.3}
    """

    def __init__(self, store: Store, k1: float = 1.2, b: float = 0.75, cjk_char_weight: float = 0.3):
        self.store = store
        self.k1, self.b = k1, b
        self.cjk_char_weight = float(cjk_char_weight)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def to_dict(self) -> dict:
        return {"k1": self.k1, "b": self.b, "cjk_char_weight": self.cjk_char_weight}

    def update(self) -> None:
        """Bring the index (and its file beside the store) up to date with the store now, rather
        than on the next search."""
        self._index()

    def _index(self) -> Snapshot:
        version = self.store.version()
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = self._load_or_build(version)
            return self._snapshot

    def _load_or_build(self, version: tuple[int, int]) -> Snapshot:
        """The index from the file beside the store when it names the store's current content,
        else built from the store (and the file written)."""
        if version[0] == 0:
            return Snapshot.empty(version)
        key = self.store.content_key()  # read before the chunks: a write after it makes the file stale
        path = self.store.index_path(INDEX_FILE)
        config = {"k1": self.k1, "b": self.b}
        if key is None or path is None:
            return self._build(version)
        try:
            snap = Snapshot.load(path, key, config, version)
            if snap is not None:
                return snap
        except IndexFileError as e:
            log.warning("%s; rebuilding it from the store", e)
        snap = self._build(version)
        try:
            snap.save(path, key, config)
        except OSError as e:
            log.warning("keyword index not saved to %s (%s); it is rebuilt by each new process", path, e)
        return snap

    def _build(self, version: tuple[int, int]) -> Snapshot:
        chunks = self.store.all_chunks()
        if not chunks:
            return Snapshot.empty(version)
        import bm25s  # imports numba too: only when an index is built

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        bm25.index([tokenize(chunk_text(c)) or ["\x00"] for c in chunks], show_progress=False)
        labels: dict = {}
        for i, c in enumerate(chunks):
            for label in chunk_labels(c):
                labels.setdefault(label, []).append(i)
        return Snapshot(version, Bm25Scores.from_bm25s(bm25, len(chunks)), np.asarray([c.id for c in chunks]),
                        np.asarray([c.modality for c in chunks]), np.asarray([c.doc_id for c in chunks]),
                        np.asarray([c.page for c in chunks]), labels)

    def search(self, query: Query, k: int) -> list[Hit]:
        """Top-k chunks by BM25 score (zero-score chunks are left out)."""
        snap = self._index()
        tokens = [t for t in tokenize(query.text) if t in snap.bm25.vocab]
        if not tokens:
            return []
        return self._top(snap, self._scores(snap, tokens), query, k, "bm25")

    def _scores(self, snap: Snapshot, tokens: list[str]) -> np.ndarray:
        """BM25 scores of every row, single CJK characters weighted by `cjk_char_weight`."""
        chars = [t for t in tokens if is_cjk_char(t)]
        if not chars or self.cjk_char_weight == 1.0:
            return snap.bm25.scores(tokens)
        scores = snap.bm25.scores([t for t in tokens if not is_cjk_char(t)])
        if self.cjk_char_weight:
            scores += self.cjk_char_weight * snap.bm25.scores(chars)
        return scores

    def on_pages(self, query: Query, pages: set[tuple[str, int]], modalities: tuple[str, ...]) -> list[Hit]:
        """The chunks of `modalities` on `pages` ((doc id, page) pairs), by BM25 score (zero
        included), within the query's filters."""
        snap = self._index()
        if not pages or not len(snap.ids):
            return []
        mask = np.isin(snap.modality, np.asarray(modalities)) & np.isin(snap.doc_id, np.asarray([d for d, _ in pages]))
        for i in np.flatnonzero(mask):
            mask[i] = (str(snap.doc_id[i]), int(snap.page[i])) in pages
        if not mask.any():
            return []
        tokens = [t for t in tokenize(query.text) if t in snap.bm25.vocab]
        scores = self._scores(snap, tokens) if tokens else np.zeros(len(snap.ids), np.float32)
        scores = np.where(mask, scores + ON_PAGE_FLOOR, 0.0)  # above zero, so _top keeps them
        return self._top(snap, scores, query, int(mask.sum()), "page")

    def labelled(self, query: Query, k: int) -> list[Hit]:
        """Chunks carrying a label the query names ("Table 3", "图2", "slide 7"), score 1 each;
        when more than `k` do ("page 7": every chunk of page 7 of every document), the `k` that
        match the query's words best (BM25)."""
        wanted = query_labels(query.text)
        if not wanted:
            return []
        snap = self._index()
        scores = np.zeros(len(snap.ids), dtype=np.float32)
        for label in wanted:
            scores[snap.labels.get(label, [])] = 1.0
        tokens = [t for t in tokenize(query.text) if t in snap.bm25.vocab]
        if tokens and np.count_nonzero(scores) > k:
            words = self._scores(snap, tokens)
            scores *= (1.0 + LABEL_TIE * words / max(float(words.max()), 1e-9)).astype(np.float32)  # ties broken
        return [Hit(h.chunk, 1.0, h.sources, h.crop_path) for h in self._top(snap, scores, query, k, "label")]

    def _top(self, snap: Snapshot, scores: np.ndarray, query: Query, k: int, source: str) -> list[Hit]:
        for values, allowed in ((snap.modality, query.modalities), (snap.doc_id, query.doc_ids),
                                (snap.page, query.pages)):
            if allowed:
                scores = np.where(np.isin(values, np.asarray(allowed)), scores, 0.0)
        if k < len(scores):  # partial selection: a full sort of 100k scores costs more than the search
            top = np.argpartition(-scores, k)[:k]
            top = top[np.argsort(-scores[top], kind="stable")]
        else:
            top = np.argsort(-scores, kind="stable")
        top = top[scores[top] > 0]
        return self.store.hits([str(snap.ids[i]) for i in top], [float(scores[i]) for i in top], source)
