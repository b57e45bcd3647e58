"""A sentence-transformers model run on ONNX Runtime with the `tokenizers` library: the same
vectors as sentence-transformers (mean pooling and normalisation are inside the exported graph),
without importing torch. A new process loads it and embeds a query in about half a second."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from unirag.rag.factory import require

DEFAULT_MAX_SEQ_LENGTH = 256  # tokens; sentence-transformers' own default when the model folder names none
MAX_BATCH_TOKENS = 2048  # tokens in one batch (padding included): 8 texts of 256 tokens; as fast as 32 here


class OnnxSentenceModel:
    """Unit-length sentence vectors from `graph` (written by `onnx_export`) and the model folder's
    tokenizer.json, truncated and padded as sentence-transformers does (max_seq_length and
    do_lower_case from sentence_bert_config.json). `threads`: ONNX Runtime's intra-op threads
    (0: its default, one per physical core).

    >>> from unirag.rag.encoders.packaged import packaged_dir
    >>> from unirag.rag.encoders.onnx_export import ensure_graph
    >>> model = OnnxSentenceModel(ensure_graph(packaged_dir("minilm")), packaged_dir("minilm"))  # doctest: +SKIP
    >>> model.encode(["battery capacity"]).shape                                              # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, graph: Path, model_dir: Path, threads: int = 1):
        self.graph = Path(graph)
        self.model_dir = Path(model_dir)
        self.threads = int(threads)
        self._session = self._tokenizer = None
        self._lower = False
        self._pad_id = 0
        self._lock = threading.Lock()

    def load(self):
        """(session, tokenizer), loaded on the first call."""
        with self._lock:
            if self._session is None:
                ort = require("onnxruntime", "text")
                config = _sentence_config(self.model_dir)
                tokenizer = require("tokenizers", "text").Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(int(config.get("max_seq_length") or DEFAULT_MAX_SEQ_LENGTH))
                self._pad_id = int((tokenizer.padding or {}).get("pad_id", 0))
                tokenizer.no_padding()  # `encode` pads each batch itself
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                self._lower = bool(config.get("do_lower_case"))
                self._tokenizer = tokenizer
                self._session = ort.InferenceSession(str(self.graph), options, providers=["CPUExecutionProvider"])
        return self._session, self._tokenizer

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors of shape (len(texts), dim). Batches are formed by token count, longest first, so
        little is padded, and hold at most MAX_BATCH_TOKENS tokens: ONNX Runtime keeps the memory
        of its largest batch (32 texts of 256 tokens took 0.8 GB of attention buffers)."""
        session, tokenizer = self.load()
        texts = [t.lower() for t in texts] if self._lower else list(texts)
        if not texts:
            return np.zeros((0, session.get_outputs()[0].shape[-1]), np.float32)
        encoded = tokenizer.encode_batch(texts)
        lengths = np.asarray([len(e.ids) for e in encoded])
        order = np.argsort(-lengths, kind="stable")
        batches, start = [], 0
        while start < len(order):
            width = int(lengths[order[start]])
            rows = order[start: start + max(1, min(int(batch_size), MAX_BATCH_TOKENS // max(width, 1)))]
            ids = np.full((len(rows), width), self._pad_id, np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                ids[r, :lengths[i]] = encoded[i].ids
                mask[r, :lengths[i]] = 1
            batches.append(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
            start += len(rows)
        out = np.empty((len(texts), batches[0].shape[1]), np.float32)
        out[order] = np.concatenate(batches)
        return out


def _sentence_config(model_dir: Path) -> dict:
    path = model_dir / "sentence_bert_config.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
