from unirag.rag.encoders import make_encoder
from unirag.rag.retrieval import HybridRetriever, fuse
from unirag.rag.store import ChromaStore
from unirag.rag.types import Chunk, Document, Hit, Query

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
    lists = {"dense": [Hit(a, 0.9), Hit(b, 0.8), Hit(c, 0.1)], "bm25": [Hit(b, 7.0), Hit(c, 2.0)]}
    for method, order in (("rrf", [2, 3, 1]), ("minmax", [2, 1, 3])):
        fused = fuse(lists, {}, method)
        assert [h.chunk.page for h in fused] == order and fused[0].sources == ("dense", "bm25")
    assert [h.chunk.page for h in fuse(lists, {"dense": 1.0, "bm25": 0.1}, "minmax")] == [1, 2, 3]


def test_named_labels_find_their_chunk(tmp_path):
    from unirag.rag.retrieval.labels import chunk_labels, query_labels

    enc = make_encoder("hash", dim=64)
    chunks = [Chunk(doc_id="d", modality="table", page=5, text="TABLE III. Latency\n| a | b |\n| 1 | 2 |"),
              Chunk(doc_id="d", modality="table", page=2, text="Table 1: Latency\n| a | b |\n| 3 | 4 |"),
              Chunk(doc_id="d", modality="formula", page=3, text="E = m c^2    (7)")]
    assert chunk_labels(chunks[0]) == {("table", "3"), ("page", "5")}
    assert chunk_labels(chunks[2]) == {("formula", "7"), ("page", "3")}
    assert query_labels("图3.3 and 表5-1, eq. (2)") == {("figure", "3.3"), ("table", "5.1"), ("formula", "2")}
    store = ChromaStore(path=tmp_path)
    store.add(Document(doc_id="d", source="d.pdf", sha256="x", n_pages=5, chunks=chunks), enc.embed_documents(chunks))
    r = HybridRetriever(store, enc)
    assert r.retrieve(Query(text="latency in Table III"), 1)[0].chunk.page == 5
    assert r.retrieve(Query(text="what does Equation (7) say"), 1)[0].chunk.modality == "formula"


def test_a_page_reference_reaches_every_chunk_of_the_page(tmp_path):
    # "on slide 2" names the slide, not its page chunk: the picture on it answers to it too, so a
    # figure whose own words are few still ranks above another page's better-worded figure
    enc = make_encoder("hash", dim=64)
    a = [Chunk(doc_id="a", modality="figure", page=2, text="25 50 75 100"),
         Chunk(doc_id="a", modality="text", page=2, text="How to set the payout percentage")]
    b = [Chunk(doc_id="b", modality="figure", page=5, text="Fig. 4 - heatmap of the response, 100 10000"),
         Chunk(doc_id="b", modality="text", page=4, text="value " + " ".join(f"w{i}" for i in range(50)))]
    store = ChromaStore(path=tmp_path)
    for doc_id, chunks in (("a", a), ("b", b)):
        store.add(Document(doc_id=doc_id, source=f"{doc_id}.pdf", sha256=doc_id, n_pages=5, chunks=chunks),
                  enc.embed_documents(chunks))
    r = HybridRetriever(store, enc, weights={"bm25": 1.0, "label": 1.0})  # hash vectors are noise
    q = Query(text="the heatmap on slide 2: what value is in the cell at 100?")
    assert {h.chunk.modality for h in r.keyword.labelled(q, 10)} == {"figure", "text"}
    top = r.retrieve(q, 1)
    assert (top[0].chunk.doc_id, top[0].chunk.page, top[0].chunk.modality) == ("a", 2, "figure")
    assert "label" in top[0].sources


def test_more_chunks_on_a_named_page_than_fit_keep_those_matching_the_question(tmp_path):
    from unirag.rag.retrieval.keyword import KeywordIndex

    enc = make_encoder("hash", dim=64)
    store = ChromaStore(path=tmp_path)
    for d in range(6):  # page 7 of six documents, three chunks each
        chunks = [Chunk(doc_id=f"d{d}", modality="text", page=7, text=f"filler text number {d} {i}") for i in range(3)]
        if d == 4:
            chunks.append(Chunk(doc_id="d4", modality="text", page=7, text="A. Compression factor of the data sets"))
        store.add(Document(doc_id=f"d{d}", source=f"d{d}.pdf", sha256=str(d), n_pages=9, chunks=chunks),
                  enc.embed_documents(chunks))
    top = KeywordIndex(store).labelled(Query(text="On page 7, what is above the compression factor section?"), 3)
    assert len(top) == 3 and top[0].chunk.text.startswith("A. Compression factor") and {h.score for h in top} == {1.0}


def test_english_only_encoder_sits_out_chinese_questions(tmp_path, monkeypatch):
    r = build(tmp_path)
    calls = []
    monkeypatch.setattr(type(r.encoder), "reads_cjk", False)
    real = r.encoder.embed_query
    r.encoder.embed_query = lambda q: calls.append(q.text) or real(q)
    top = r.retrieve(Query(text="储能系统的效率"), 1)[0]
    assert top.chunk.page == 4 and top.sources == ("bm25",) and calls == []
    r.retrieve(Query(text="rainfall in Oslo"), 1)
    assert calls == ["rainfall in Oslo"]


def test_single_cjk_characters_count_less_than_words(tmp_path):
    from unirag.rag.retrieval.keyword import KeywordIndex

    enc = make_encoder("hash", dim=64)
    texts = ["储能系统的容量", "率先能够效仿储备", "天气晴朗", "今天下雨", "会议推迟", "风力发电"]
    chunks = [Chunk(doc_id="d", modality="text", page=i + 1, text=t) for i, t in enumerate(texts)]
    store = ChromaStore(path=tmp_path)
    store.add(Document(doc_id="d", source="d.pdf", sha256="x", n_pages=6, chunks=chunks), enc.embed_documents(chunks))
    q = Query(text="储能效率")
    # four scattered single characters outscore the word 储能 when characters weigh as much as bigrams
    assert [h.chunk.page for h in KeywordIndex(store, cjk_char_weight=1.0).search(q, 2)] == [2, 1]
    assert [h.chunk.page for h in KeywordIndex(store).search(q, 2)] == [1, 2]
    assert [h.chunk.page for h in KeywordIndex(store, cjk_char_weight=0.0).search(q, 2)] == [1]
    r = HybridRetriever(store, enc, keyword={"cjk_char_weight": 0.5})
    assert r.to_dict()["keyword"] == {"k1": 1.2, "b": 0.75, "cjk_char_weight": 0.5}


def test_image_queries_use_their_own_weights(tmp_path):
    r = build(tmp_path)
    r.weights, r.image_weights = {"dense": 0.0, "bm25": 1.0}, {"dense": 1.0, "bm25": 0.0}
    png = b"\x89PNG\r\n\x1a\n"  # the hash encoder embeds the text; only the weights differ
    text_hit = r.retrieve(Query(text="rainfall Oslo"), 3)
    image_hit = r.retrieve(Query(text="rainfall Oslo", image=png), 3)
    assert {s for h in text_hit for s in h.sources} == {"bm25"}
    assert {s for h in image_hit for s in h.sources} == {"dense"}
    assert HybridRetriever(r.store, r.encoder, weights={"dense": 0.2}).image_weights == {"dense": 0.2}


def test_unknown_channel_weight_is_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="image_weights keys"):
        HybridRetriever(ChromaStore(path=tmp_path), make_encoder("hash"), image_weights={"pixels": 1.0})


def test_page_elements_adds_the_elements_of_the_first_pages_that_were_not_fetched(tmp_path):
    enc = make_encoder("hash", dim=256)
    chunks = [Chunk(doc_id="d", modality="text", page=1, text="The distillation loss weighs two terms."),
              Chunk(doc_id="d", modality="formula", page=1, text="L = a CE + (1 - a) KL"),
              Chunk(doc_id="d", modality="table", page=2, text="Table 1: scores"),
              Chunk(doc_id="e", modality="figure", page=1, text="Figure 9: elsewhere")]
    store = ChromaStore(path=tmp_path)
    store.add(Document(doc_id="d", source="d.pdf", sha256="x", n_pages=2, chunks=chunks[:3]),
              enc.embed_documents(chunks[:3]))
    store.add(Document(doc_id="e", source="e.pdf", sha256="y", n_pages=1, chunks=chunks[3:]),
              enc.embed_documents(chunks[3:]))
    r = HybridRetriever(store, enc)
    query = Query(text="distillation loss")
    first = [h for h in r.retrieve(query, 5) if h.chunk.modality == "text"]
    added = r.page_elements(query, first, pages=1)
    assert [(h.chunk.modality, h.chunk.page, h.score) for h in added] == [("formula", 1, 0.0)]
    assert r.page_elements(query, first + added, pages=1) == []
