"""The reranker interface: re-score the top hits of a retriever for one query.

A reranker sees the query and the fused hits (text and visual chunks together) and returns
them re-ordered with new scores, at most `top_k` of them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from unirag.rag.types import Hit, Query


class Reranker(ABC):
    name: str = ""

    @abstractmethod
    def rerank(self, query: Query, hits: Sequence[Hit], top_k: int = 10) -> list[Hit]:
        """Return at most `top_k` of `hits`, best first, with the reranker's scores."""

    @abstractmethod
    def to_dict(self) -> dict: ...
