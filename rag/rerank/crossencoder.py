"""A Hugging Face cross-encoder (any `AutoModelForSequenceClassification` id or local folder,
e.g. a BGE or MiniLM reranker) scoring (question, chunk text) pairs. Visual chunks are scored
through their text surrogate (caption, text in the figure, table markdown, formula text)."""
from __future__ import annotations

import threading
from collections.abc import Sequence

from unirag.rag.encoders.base import chunk_text
from unirag.rag.factory import require
from unirag.rag.rerank.base import Reranker
from unirag.rag.types import Hit, Query


class CrossEncoderReranker(Reranker):
    """Relevance logits of a sequence-pair classifier (the last label's logit when there are several).

    >>> CrossEncoderReranker("BAAI/bge-reranker-base").to_dict()["max_length"]   # loads nothing yet
    512
    """

    name = "crossencoder"

    def __init__(self, model: str, max_length: int = 512, batch_size: int = 16, device: str = "cpu"):
        self.model = str(model)
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self.device = device
        self._parts = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._parts is None:
                transformers = require("transformers", "text")
                transformers.utils.logging.disable_progress_bar()
                tok = transformers.AutoTokenizer.from_pretrained(self.model)
                model = transformers.AutoModelForSequenceClassification.from_pretrained(self.model)
                self._parts = (tok, model.to(self.device).eval())
        return self._parts

    def scores(self, question: str, texts: Sequence[str]) -> list[float]:
        import torch

        tok, model = self._load()
        out: list[float] = []
        for j in range(0, len(texts), self.batch_size):
            batch = list(texts[j: j + self.batch_size])
            inputs = tok([question] * len(batch), batch, padding=True, truncation="only_second",
                         max_length=self.max_length, return_tensors="pt").to(self.device)
            with torch.inference_mode():
                logits = model(**inputs).logits
            out += logits[:, -1].float().cpu().tolist()
        return out

    def rerank(self, query: Query, hits: Sequence[Hit], top_k: int = 10) -> list[Hit]:
        if not hits:
            return []
        if not query.text.strip():  # an image-only query has nothing to pair: keep the retriever's order
            return list(hits)[:top_k]
        scores = self.scores(query.text, [chunk_text(h.chunk) or "(empty)" for h in hits])
        order = sorted(range(len(hits)), key=lambda i: (-scores[i], i))[:top_k]
        return [Hit(chunk=hits[i].chunk, score=scores[i], sources=hits[i].sources + (self.name,),
                    crop_path=hits[i].crop_path) for i in order]

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "max_length": self.max_length,
                "batch_size": self.batch_size, "device": self.device}
