"""A unified embedder built on a (multimodal) language model, in the style of GME, VLM2Vec
and jina-embeddings-v4: the model reads text, an image, or both, and the hidden state of the
last token (or the mean over tokens) is the embedding.

Queries carry an instruction prefix ("Find the page that answers the question: ..."),
documents do not, as those models were trained. Images go through the model's own processor
with `image_prompt` (the model's image placeholder, e.g. Qwen2-VL's
``<|vision_start|><|image_pad|><|vision_end|>``) in front of the text. A text-only decoder
works too: visual chunks are then embedded through their text surrogate.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Sequence

import numpy as np

from unirag.rag.encoders.base import Encoder, chunk_text, decoded_crops, normalize, one_thread
from unirag.rag.encoders.hf import load_model
from unirag.rag.types import Chunk, Query

POOLINGS = ("last", "mean")
QWEN2_VL_IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"


class MllmEncoder(Encoder):
    """Hidden-state embeddings of a language model, with instruction-aware queries.

    >>> enc = MllmEncoder("Alibaba-NLP/gme-Qwen2-VL-2B-Instruct")   # nothing loads until first use
    >>> enc.to_dict()["pooling"], enc.query_text("rainfall in Oslo")[:12]
    ('last', 'Instruct: Fi')
    """

    name = "mllm"

    def __init__(self, model: str, pooling: str = "last",
                 instruction: str = "Find the document passage, figure or table that answers the question.",
                 query_template: str = "Instruct: {instruction}\nQuery: {text}", image_prompt: str = QWEN2_VL_IMAGE,
                 max_tokens: int = 1024, batch_size: int = 4, device: str = "cpu", multilingual: bool = True):
        if pooling not in POOLINGS:
            raise ValueError(f"MllmEncoder: expected pooling in {POOLINGS}, got {pooling!r}")
        if "{text}" not in query_template:
            raise ValueError(f"MllmEncoder: expected '{{text}}' in query_template, got {query_template!r}")
        self.model = str(model)
        self.pooling = pooling
        self.instruction = instruction
        self.query_template = query_template
        self.image_prompt = image_prompt
        self.max_tokens = int(max_tokens)
        self.batch_size = int(batch_size)
        self.device = device
        self.multilingual = bool(multilingual)
        self._parts = None  # (model, processor, tokenizer, sees_images, dim)
        self._lock = threading.Lock()

    @property
    def reads_cjk(self) -> bool:
        """The LLMs behind GME/VLM2Vec/jina-v4 (Qwen2) read Chinese; say otherwise for an English-only model."""
        return self.multilingual

    def query_text(self, text: str) -> str:
        return self.query_template.format(instruction=self.instruction, text=text)

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        with self._lock:
            if self._parts is None:
                model, processor, tok = load_model(self.model, self.device, "mllm")
                if tok.pad_token_id is None:
                    tok.pad_token = tok.eos_token
                tok.padding_side = "right"
                sees_images = hasattr(processor, "image_processor")
                cfg = getattr(model.config, "text_config", model.config)
                self._parts = (model, processor, tok, sees_images, int(cfg.hidden_size))
        return self._parts

    @property
    def dim(self) -> int:
        return self._load()[4]

    def _pool(self, hidden, mask) -> np.ndarray:
        if self.pooling == "last":  # right padding: the last attended position of each row
            last = mask.sum(dim=1) - 1
            out = hidden[np.arange(hidden.shape[0]), last]
        else:
            m = mask.unsqueeze(-1).to(hidden.dtype)
            out = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
        return normalize(out.float().cpu().numpy())

    def _embed(self, texts: list[str], images: list | None = None) -> np.ndarray:
        """Texts (with `images[i]` before text i when images is given) -> unit vectors."""
        import torch

        model, processor, tok, _, _ = self._load()
        vecs = []
        for j in range(0, len(texts), self.batch_size):
            batch = texts[j: j + self.batch_size]
            if images is None:
                inputs = tok(batch, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt")
            else:  # image placeholders expand to many tokens: never truncate them away
                inputs = processor(text=[self.image_prompt + t for t in batch], images=images[j: j + self.batch_size],
                                   padding=True, return_tensors="pt")
            inputs = {k: v.to(self.device) for k, v in inputs.items() if hasattr(v, "to")}
            with torch.inference_mode():
                hidden = model(**inputs).last_hidden_state
            vecs.append(self._pool(hidden, inputs["attention_mask"]))
        return np.concatenate(vecs)

    @staticmethod
    def _decode(data: bytes):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            return im.convert("RGB")

    def embed_documents(self, chunks: Sequence[Chunk]) -> np.ndarray:
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        sees_images = self._load()[3]
        texts = [chunk_text(c)[: self.max_tokens * 4] for c in chunks]
        out = np.zeros((len(chunks), self.dim), np.float32)
        rows, pictures = decoded_crops(chunks, self._decode, lambda c: sees_images)
        pictured = set(rows)
        plain = [i for i in range(len(chunks)) if i not in pictured]
        if plain:
            out[plain] = self._embed([texts[i] for i in plain])
        if rows:
            out[rows] = self._embed([texts[i] for i in rows], pictures)
        return out

    def embed_query(self, query: Query) -> np.ndarray:
        with one_thread():
            return self._embed_query(query)

    def _embed_query(self, query: Query) -> np.ndarray:
        text = self.query_text(query.text) if query.text.strip() else self.query_text("")
        if not query.image:
            return self._embed([text])[0]
        if not self._load()[3]:
            if not query.text.strip():
                raise ValueError(f"encoder {self.name!r}: {self.model!r} reads text only; got an image query without text")
            return self._embed([text])[0]
        try:
            picture = self._decode(query.image)
        except Exception as e:
            raise ValueError(f"query image: cannot decode it as PNG/JPEG ({type(e).__name__}: {e})") from e
        return self._embed([text], [picture])[0]

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "pooling": self.pooling, "instruction": self.instruction,
                "query_template": self.query_template, "image_prompt": self.image_prompt,
                "max_tokens": self.max_tokens, "batch_size": self.batch_size, "device": self.device,
                "multilingual": self.multilingual}
