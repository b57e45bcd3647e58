from unirag.rag.retrieval.hybrid import HybridRetriever, fuse
from unirag.rag.retrieval.keyword import KeywordIndex

__all__ = ["HybridRetriever", "KeywordIndex", "fuse"]
