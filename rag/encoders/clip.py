"""Dual image-text encoders (CLIP, SigLIP and their kin) through `transformers`: one model
embeds figure crops and text into the same space, so a text question can find a chart by
its pixels and an image query can find the text that describes it.

Any model id or local folder that `AutoModel`/`AutoProcessor` load and that has
`get_text_features`/`get_image_features` works. Texts longer than the model's text window
(77 tokens for CLIP, 64 for SigLIP) are split into token windows whose embeddings are
averaged, so nothing is silently cut.
"""
from __future__ import annotations

import io
import threading
from typing import Any
from collections.abc import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, chunk_text, decoded_crops, normalize, one_thread
from unirag.rag.encoders.hf import load_model
from unirag.rag.factory import require
from unirag.rag.types import Chunk, Query

MULTILINGUAL_HINTS = ("multilingual", "chinese", "xlm", "m-clip", "-zh", "cn-clip", "mclip")


def _features(out) -> Any:
    """transformers 5 returns a model output whose pooler_output is the projected embedding;
    4.x returns the tensor itself."""
    return getattr(out, "pooler_output", out)


class ClipEncoder(Encoder):
    """Chunks with an image crop embed the crop (mixed with their text surrogate by
    `doc_text_weight`); other chunks and text queries embed text; image queries embed the
    image (mixed with their text by `query_text_weight` when both are given).

    >>> enc = ClipEncoder("openai/clip-vit-base-patch32")   # nothing loads until first use
    >>> enc.to_dict()["doc_text_weight"], enc.reads_cjk
    (0.5, False)
    """

    name = "clip"

    def __init__(self, model: str, doc_text_weight: float = 0.5, query_text_weight: float = 0.5,
                 batch_size: int = 16, max_windows: int = 8, device: str = "cpu", multilingual: bool | None = None):
        for field, w in (("doc_text_weight", doc_text_weight), ("query_text_weight", query_text_weight)):
            if not 0.0 <= float(w) <= 1.0:
                raise ValueError(f"ClipEncoder: expected {field} in [0, 1], got {w!r}")
        self.model = str(model)
        self.doc_text_weight = float(doc_text_weight)
        self.query_text_weight = float(query_text_weight)
        self.batch_size = int(batch_size)
        self.max_windows = int(max_windows)
        self.device = device
        self.multilingual = multilingual
        self._parts = None  # (model, processor, tokenizer, window length, special prefix, suffix, pad id, dim)
        self._lock = threading.Lock()

    @property
    def reads_cjk(self) -> bool:
        """English CLIP/SigLIP vocabularies turn Chinese into noise; only multilingual models read it
        (guessed from the model name unless `multilingual` says so)."""
        if self.multilingual is not None:
            return bool(self.multilingual)
        return any(h in self.model.lower() for h in MULTILINGUAL_HINTS)

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        with self._lock:
            if self._parts is None:
                torch = require("torch", "clip")
                model, processor, tok = load_model(self.model, self.device, "clip")
                if not hasattr(model, "get_text_features") or not hasattr(model, "get_image_features"):
                    raise ValueError(f"clip encoder: {self.model!r} is a {type(model).__name__}, expected a dual "
                                     "encoder with get_text_features/get_image_features (CLIP, SigLIP, ...)")
                limit = int(getattr(model.config.text_config, "max_position_embeddings", 77))
                if 0 < getattr(tok, "model_max_length", 0) < 100_000:
                    limit = min(limit, int(tok.model_max_length))
                empty = tok("", add_special_tokens=True)["input_ids"]
                bare = tok("", add_special_tokens=False)["input_ids"]
                n_pre = 1 if empty and tok.bos_token_id is not None and empty[0] == tok.bos_token_id else 0
                prefix, suffix = empty[:n_pre], empty[n_pre + len(bare):]
                pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
                with torch.inference_mode():
                    probe = _features(model.get_text_features(**self._batch(torch, [[]], limit, prefix, suffix, pad)))
                self._parts = (model, processor, tok, limit, prefix, suffix, pad, int(probe.shape[-1]))
        return self._parts

    @staticmethod
    def _batch(torch, windows: list[list[int]], limit: int, prefix: list[int], suffix: list[int], pad: int) -> dict:
        """Token windows framed by the model's special tokens, padded to the full text length
        (SigLIP pools the last position, so it must see max-length padding as in training)."""
        ids = np.full((len(windows), limit), pad, dtype=np.int64)
        mask = np.zeros((len(windows), limit), dtype=np.int64)
        for i, w in enumerate(windows):
            row = prefix + w + suffix
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}

    @property
    def dim(self) -> int:
        return self._load()[7]

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        """One vector per text: the mean of its token windows' unit embeddings, re-normalised."""
        import torch

        model, _, tok, limit, prefix, suffix, pad, dim = self._load()
        size = max(1, limit - len(prefix) - len(suffix))
        windows, owner = [], []
        for i, text in enumerate(texts):
            ids = tok(text, add_special_tokens=False)["input_ids"]
            parts = [ids[j: j + size] for j in range(0, len(ids), size)][: self.max_windows] or [[]]
            windows += parts
            owner += [i] * len(parts)
        vecs = []
        with torch.inference_mode():
            for j in range(0, len(windows), self.batch_size):
                batch = self._batch(torch, windows[j: j + self.batch_size], limit, prefix, suffix, pad)
                out = _features(model.get_text_features(**{k: v.to(self.device) for k, v in batch.items()}))
                vecs.append(normalize(out.float().cpu().numpy()))
        out = np.zeros((len(texts), dim), np.float32)
        np.add.at(out, np.asarray(owner), np.concatenate(vecs))
        return normalize(out)

    @staticmethod
    def _decode(data: bytes):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            return im.convert("RGB")

    def _embed_images(self, pictures: list) -> np.ndarray:
        import torch

        model, processor, *_ = self._load()
        vecs = []
        for j in range(0, len(pictures), self.batch_size):
            pixels = processor(images=pictures[j: j + self.batch_size], return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                out = _features(model.get_image_features(pixel_values=pixels.to(self.device)))
            vecs.append(normalize(out.float().cpu().numpy()))
        return np.concatenate(vecs)

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        out = self._embed_texts([chunk_text(c) for c in chunks])
        rows, pictures = decoded_crops(chunks, self._decode)
        if rows:
            w = self.doc_text_weight
            out[rows] = normalize(w * out[rows] + (1 - w) * self._embed_images(pictures))
        return out.astype(np.float32)

    def embed_query(self, query: Query) -> np.ndarray:
        with one_thread():
            return self._embed_query(query)

    def _embed_query(self, query: Query) -> np.ndarray:
        text = self._embed_texts([query.text])[0] if query.text.strip() else None
        if not query.image:
            assert text is not None  # a Query has non-blank text or an image
            return text
        try:
            picture = self._decode(query.image)
        except Exception as e:
            raise ValueError(f"query image: cannot decode it as PNG/JPEG ({type(e).__name__}: {e})") from e
        image = self._embed_images([picture])[0]
        if text is None:
            return image
        return normalize(self.query_text_weight * text + (1 - self.query_text_weight) * image)

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "doc_text_weight": self.doc_text_weight,
                "query_text_weight": self.query_text_weight, "batch_size": self.batch_size,
                "max_windows": self.max_windows, "device": self.device, "multilingual": self.multilingual}
