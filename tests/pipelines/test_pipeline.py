"""End to end on the generated sample documents, with the real offline default encoder."""
import shutil

import pytest

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs
from unirag.pipelines.pipeline import Pipeline


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipe")
    paths = make_sample_docs(root / "docs")
    pipe = Pipeline(db=root / "db")
    report = pipe.ingest(paths, progress=False)
    return pipe, paths, report


def test_ingest_reports_every_document(ingested):
    pipe, paths, report = ingested
    assert report.ok and sorted(report.added) == sorted(p.stem for p in paths)
    assert report.pages >= len(paths) and report.chunks == pipe.store.count()
    kinds = {c.modality for c in pipe.store.all_chunks()}
    assert {"text", "figure", "table", "formula", "page"} <= kinds


@pytest.mark.parametrize("q", SAMPLE_QUESTIONS, ids=lambda q: q["modality"])
def test_sample_questions_find_their_page(ingested, q):
    pipe, paths, _ = ingested
    hits = pipe.retrieve(q["question"], top_k=10)
    pages = []
    for h in hits:
        if h.chunk.page not in pages:
            pages.append(h.chunk.page)
    assert q["page"] in pages[:3]


def test_answers_carry_citations_with_regions(ingested):
    pipe, _, _ = ingested
    ans = pipe.query(SAMPLE_QUESTIONS[0]["question"])
    assert ans.found and ans.citations and ans.generator == "extractive"
    c = ans.citations[0]
    assert c.bbox is not None and f"[{c.doc_id} p.{c.page}]" in ans.text


def test_reingest_is_a_no_op_and_changes_replace(ingested, tmp_path):
    pipe, paths, _ = ingested
    before = pipe.store.count()
    again = pipe.ingest(paths, progress=False)
    assert again.added == [] and sorted(again.skipped) == sorted(p.stem for p in paths)
    assert pipe.store.count() == before


def test_changed_file_is_replaced_as_a_unit(tmp_path):
    docs = make_sample_docs(tmp_path / "docs")
    pipe = Pipeline(db=tmp_path / "db", encoder={"name": "hash"})
    pipe.ingest(docs[:1], progress=False)
    n1 = pipe.store.count()
    shutil.copy(docs[-1], docs[0])  # same name, other content
    report = pipe.ingest(docs[:1], progress=False)
    assert report.added == [docs[0].stem]
    assert pipe.store.docs()[docs[0].stem]["sha256"] != "" and pipe.store.count() != n1
    assert len({c.doc_id for c in pipe.store.all_chunks()}) == 1


def test_config_round_trip(tmp_path):
    p = Pipeline(db=tmp_path, encoder={"name": "hash", "dim": 64}, retriever={"depth": 20})
    assert Pipeline.from_dict(p.to_dict()).to_dict() == p.to_dict()


def test_reranker_config_round_trip_and_cut(tmp_path):
    p = Pipeline(db=tmp_path, encoder={"name": "hash"}, reranker={"name": "features"})
    assert p.to_dict()["reranker"] == {"name": "features"}
    assert Pipeline.from_dict(p.to_dict()).to_dict() == p.to_dict()
    assert Pipeline(db=tmp_path, encoder={"name": "hash"}, reranker=None).reranker is None
    with pytest.raises(ValueError, match="'name'"):
        Pipeline(db=tmp_path, encoder={"name": "hash"}, reranker={"weights": {}})


def test_reranker_sees_deep_candidates_and_cuts_to_top_k(ingested):
    from unirag.pipelines.pipeline import RERANK_DEPTH
    from unirag.rag.rerank.base import Reranker
    from unirag.rag.types import Query

    pipe = ingested[0]
    seen = []

    class Spy(Reranker):
        name = "spy"

        def rerank(self, query, hits, top_k=10):
            seen.append(len(hits))
            return list(reversed(hits))[:top_k]

        def to_dict(self):
            return {"name": self.name}

    deep = pipe.retriever.retrieve(Query(text=SAMPLE_QUESTIONS[0]["question"]), RERANK_DEPTH)
    pipe.reranker, saved = Spy(), pipe.reranker
    try:
        hits = pipe.retrieve(SAMPLE_QUESTIONS[0]["question"], top_k=3)
    finally:
        pipe.reranker = saved
    assert seen == [len(deep)] and len(hits) == 3
    assert [h.chunk.id for h in hits] == [h.chunk.id for h in reversed(deep)][:3]


def test_unknown_document_filter_lists_the_stored_ones(ingested):
    pipe, paths, _ = ingested
    with pytest.raises(ValueError, match=r"no such document 'report'.* expected one of \[.*'solar_field_study'"):
        pipe.search("peak temperature", doc_ids=["report"])
    assert {h.chunk.doc_id for h in pipe.search("peak temperature", doc_ids=[paths[0].stem])} == {paths[0].stem}


def test_unknown_modality_filter_names_the_valid_ones(ingested):
    with pytest.raises(ValueError, match=r"expected modalities from \('text', 'figure'.*got \['chart'\]"):
        ingested[0].query("peak temperature", modalities=["chart"])


def test_an_empty_store_warns(tmp_path, caplog):
    pipe = Pipeline(db=tmp_path / "db", encoder={"name": "hash"})
    pipe.store.check_encoder(pipe.encoder.to_dict())
    assert pipe.search("anything") == []
    assert "holds no documents yet" in caplog.text


def test_search_query_and_stream_share_the_evidence(ingested):
    pipe = ingested[0]
    question = SAMPLE_QUESTIONS[0]["question"]
    hits = pipe.search(question, top_k=5)
    answer = pipe.query(question, top_k=5)
    streamed = list(pipe.stream(question, top_k=5))
    assert answer.hits and {h.chunk.id for h in answer.hits} <= {h.chunk.id for h in hits}
    assert streamed[-1].text == answer.text and "".join(streamed[:-1]).strip() == answer.text
