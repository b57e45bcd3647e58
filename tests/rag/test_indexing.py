import numpy as np

from unirag.rag.encoders import make_encoder
from unirag.rag.indexing import embed, embed_document
from unirag.rag.store import ChromaStore, Store
from unirag.rag.types import Chunk, Document


def test_page_vectors_are_the_mean_of_their_page():
    chunks = [Chunk(doc_id="d", modality="text", page=1, text="solar panels"),
              Chunk(doc_id="d", modality="table", page=1, text="| kWh | 12 |"),
              Chunk(doc_id="d", modality="page", page=1, text="solar panels | kWh | 12 |"),
              Chunk(doc_id="d", modality="page", page=2, text="a page with only its page chunk")]
    enc = make_encoder("hash", dim=32)
    vecs = embed_document(enc, Document("d", "d.pdf", "0", 2, chunks))
    own = enc.embed_documents(chunks)
    assert np.allclose(vecs[2], own[:2].mean(axis=0)) and np.allclose(vecs[3], own[3])
    assert np.allclose(vecs[:2], own[:2])


def test_embed_adds_context_and_keeps_one_vector_per_chunk():
    chunks = (Chunk(doc_id="d", modality="text", page=1, text="Figure 1 shows the load."),
              Chunk(doc_id="d", modality="figure", page=1, text="load kW", caption="Figure 1: Load"))
    out = embed(make_encoder("hash", dim=16), Document("d", "d.pdf", "0", 1, chunks))
    assert out.vectors.shape == (2, 16) and out.doc.chunks[1].context


def test_the_chroma_store_is_a_store(tmp_path):
    assert isinstance(ChromaStore(path=tmp_path), Store)
