from rag.encoders import make_encoder
from rag.retrieval import HybridRetriever, fuse
from rag.store import ChromaStore
from rag.types import Chunk, Document, Hit, Query

TEXTS = {
    ("text", 1): "Solar panels were installed on the roof in spring.",
    ("table", 2): "Table 2: Rainfall | Oslo | 763 mm |",
    ("figure", 3): "Figure 1: Panel temperature peaks at 14:00",
    ("text", 4): "电池储能系统的效率为百分之九十。",
}


def build(tmp_path):
    enc = make_encoder("hash", dim=256)
    chunks = [Chunk(doc_id="d", modality=m, page=p, text=t) for (m, p), t in TEXTS.items()]
    doc = Document(doc_id="d", source="d.pdf", sha256="x", n_pages=4, chunks=chunks)
    store = ChromaStore(path=tmp_path)
    store.add(doc, enc.embed_documents(chunks))
    return HybridRetriever(store, enc)


def test_hybrid_finds_each_modality(tmp_path):
    r = build(tmp_path)
    assert r.retrieve(Query(text="rainfall Oslo"), 1)[0].chunk.page == 2
    assert r.retrieve(Query(text="panel temperature figure"), 1)[0].chunk.modality == "figure"
    top = r.retrieve(Query(text="储能效率"), 1)[0]
    assert top.chunk.page == 4 and "bm25" in top.sources


def test_filters_apply_to_both_channels(tmp_path):
    r = build(tmp_path)
    hits = r.retrieve(Query(text="rainfall Oslo", modalities=("figure",)), 5)
    assert hits and {h.chunk.modality for h in hits} == {"figure"}


def test_keyword_index_follows_store_changes(tmp_path):
    r = build(tmp_path)
    assert r.retrieve(Query(text="rainfall"), 1)
    r.store.delete("d")
    assert r.retrieve(Query(text="rainfall"), 1) == []


def test_fuse_rewards_agreement():
    a, b, c = (Chunk(doc_id="d", modality="text", page=i, text=str(i)) for i in (1, 2, 3))
    fused = fuse({"dense": [Hit(a, 1), Hit(b, 1)], "bm25": [Hit(b, 1), Hit(c, 1)]}, {})
    assert [h.chunk.page for h in fused] == [2, 1, 3] and fused[0].sources == ("dense", "bm25")
