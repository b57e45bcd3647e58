from dataclasses import replace

import numpy as np

from unirag.rag.encoders import make_encoder
from unirag.rag.encoders.base import chunk_text
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
    mean = own[:2].mean(axis=0)
    assert np.allclose(vecs[2], mean / np.linalg.norm(mean)) and np.allclose(vecs[3], own[3])
    assert np.allclose(vecs[:2], own[:2])


def test_a_visual_chunk_joins_its_linked_text_by_vector_without_encoding_it_again():
    text = Chunk(doc_id="d", modality="text", page=1, text="Figure 1 shows the hourly load of the plant.", order=0)
    fig = Chunk(doc_id="d", modality="figure", page=1, text="load kW", caption="Figure 1: Load", order=1,
                links=(text.id,))
    enc = make_encoder("hash", dim=32)
    seen = []
    encode = enc.embed_documents
    enc.embed_documents = lambda chunks: seen.extend(chunks) or encode(chunks)  # type: ignore[method-assign]
    out = embed(enc, Document("d", "d.pdf", "0", 1, (text, fig), title="Plant report"))
    assert "hourly load" in out.doc.chunks[1].context  # kept for keyword search
    assert all("hourly load" not in c.context for c in seen)  # never encoded twice
    own = encode([replace(c, context="Plant report.") for c in (text, fig)])
    fig_chars = len(chunk_text(replace(fig, context="Plant report.")))
    mixed = fig_chars * own[1] + len(text.text) * own[0]
    assert np.allclose(out.vectors[1], mixed / np.linalg.norm(mixed), atol=1e-6)
    assert np.allclose(out.vectors[0], own[0], atol=1e-6)


def test_composite_vectors_stay_unit_length_part_by_part():
    enc = make_encoder("composite", parts=[{"encoder": {"name": "hash", "dim": 16}},
                                           {"encoder": {"name": "hash", "dim": 8}}])
    text = Chunk(doc_id="d", modality="text", page=1, text="The table lists sites.", order=0)
    table = Chunk(doc_id="d", modality="table", page=1, text="| site | mm |", order=1, links=(text.id,))
    page = Chunk(doc_id="d", modality="page", page=1, text="The table lists sites. | site | mm |")
    vecs = embed(enc, Document("d", "d.pdf", "0", 1, (text, table, page))).vectors
    assert enc.part_dims == (16, 8)
    assert np.allclose(np.linalg.norm(vecs[:, :16], axis=1), 1) and np.allclose(np.linalg.norm(vecs[:, 16:], axis=1), 1)


def test_embed_adds_context_and_keeps_one_vector_per_chunk():
    chunks = (Chunk(doc_id="d", modality="text", page=1, text="Figure 1 shows the load."),
              Chunk(doc_id="d", modality="figure", page=1, text="load kW", caption="Figure 1: Load"))
    out = embed(make_encoder("hash", dim=16), Document("d", "d.pdf", "0", 1, chunks))
    assert out.vectors.shape == (2, 16) and out.doc.chunks[1].context


def test_the_chroma_store_is_a_store(tmp_path):
    assert isinstance(ChromaStore(path=tmp_path), Store)
