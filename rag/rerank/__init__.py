"""Rerankers by short name."""
from rag.factory import build
from rag.rerank.base import Reranker

RERANKERS: dict[str, str] = {}


def make_reranker(name: str, **options) -> Reranker:
    return build("reranker", name, RERANKERS, **options)


__all__ = ["RERANKERS", "Reranker", "make_reranker"]
