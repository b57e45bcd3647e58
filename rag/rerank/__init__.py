"""Rerankers by short name: `features` (cheap offline signals, text and visual chunks alike)
and `crossencoder` (a Hugging Face cross-encoder over chunk text surrogates)."""
from unirag.rag.factory import build, from_config
from unirag.rag.rerank.base import Reranker

RERANKERS: dict[str, str] = {
    "features": "unirag.rag.rerank.features.FeatureReranker",
    "crossencoder": "unirag.rag.rerank.crossencoder.CrossEncoderReranker",
}


def make_reranker(name: str, **options) -> Reranker:
    """Build a reranker by short name (or dotted class path).

    >>> make_reranker("features").name
    'features'
    """
    return build("reranker", name, RERANKERS, options)


def reranker_from_dict(config: dict, allow_imports: bool = False) -> Reranker:
    """Rebuild a reranker from its `to_dict()`; dotted class paths only with `allow_imports`."""
    return from_config("reranker", config, RERANKERS, allow_imports)


__all__ = ["RERANKERS", "Reranker", "make_reranker", "reranker_from_dict"]
