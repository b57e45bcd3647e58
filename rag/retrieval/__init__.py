from rag.retrieval.hybrid import HybridRetriever, fuse
from rag.retrieval.keyword import KeywordIndex

__all__ = ["HybridRetriever", "KeywordIndex", "fuse"]
