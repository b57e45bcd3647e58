"""Listing a large collection reads it in pages (one `get` of ~100k chunks overflows SQLite)."""
import numpy as np

from unirag.rag.store import chroma
from unirag.rag.types import Chunk, Document


def test_all_chunks_and_docs_read_every_page(tmp_path, monkeypatch):
    monkeypatch.setattr(chroma, "PAGE", 7)
    store = chroma.ChromaStore(path=tmp_path)
    chunks = [Chunk(doc_id="d", modality="text", page=1, text=f"chunk {i}", order=i) for i in range(23)]
    store.add(Document("d", "d.pdf", "sha", 1, chunks), np.eye(23, 32, dtype=np.float32))
    assert sorted(c.id for c in store.all_chunks()) == sorted(c.id for c in chunks)
    assert store.docs()["d"]["chunks"] == 23
