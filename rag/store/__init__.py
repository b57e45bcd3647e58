from unirag.rag.store.chroma import ChromaStore, where_clause

__all__ = ["ChromaStore", "where_clause"]
