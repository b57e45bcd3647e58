"""The same store through a real Chroma server (`chroma run`) on loopback."""

import numpy as np
import pytest

from unirag.rag.store import ChromaStore
from unirag.rag.types import Chunk, Document

pytestmark = pytest.mark.integration


def test_add_search_delete_through_the_server(chroma_server, tmp_path):
    store = ChromaStore(path=tmp_path / "local", url=chroma_server)
    chunks = [Chunk(doc_id="d", modality="text", page=i + 1, text=t) for i, t in enumerate(["alpha", "beta"])]
    store.check_encoder({"name": "hash", "dim": 2})
    store.add(Document("d", "d.pdf", "s", 2, chunks), np.eye(2, dtype=np.float32))
    hits = ChromaStore(path=tmp_path / "local", url=chroma_server).search(np.array([0, 1], np.float32), k=1)
    assert [h.chunk.text for h in hits] == ["beta"]
    assert store.docs()["d"]["chunks"] == 2
    store.delete("d")
    assert store.count() == 0
