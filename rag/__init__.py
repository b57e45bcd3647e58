"""unirag core: data types, encoders, the Chroma store, retrieval and generation."""
from unirag.rag.types import MODALITIES, Answer, Chunk, Citation, Document, Hit, Query

__all__ = ["MODALITIES", "Answer", "Chunk", "Citation", "Document", "Hit", "Query"]
