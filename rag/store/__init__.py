from unirag.rag.store.base import Store
from unirag.rag.store.chroma import ChromaStore, where_clause

__all__ = ["ChromaStore", "Store", "where_clause"]
