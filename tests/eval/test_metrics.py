import json

import pytest

from unirag.eval.metrics import (evaluate_run, group_by, hit_at, mrr_at, ndcg_at, percentiles, question_scores,
                          rank_pages, ranked, recall_at, summarize)
from unirag.eval.qa import load_qa
from unirag.rag.types import Chunk, Hit


def test_rank_pages_dedups_in_order():
    hits = [Hit(Chunk(doc_id=d, modality="text", page=p, text=f"{d}{p}{i}"), 1.0)
            for i, (d, p) in enumerate([("a", 1), ("a", 1), ("b", 2), ("a", 3)])]
    assert rank_pages(hits, 2) == [("a", 1), ("b", 2)]


def test_scores_and_summary():
    rows = [question_scores([("a", 1)], {("a", 1)}), question_scores([("x", 1), ("a", 1)], {("a", 1)}),
            question_scores([], {("a", 1)})]
    s = summarize(rows)
    assert {k: s[k] for k in ("n", "hit@1", "hit@5", "hit@10", "mrr")} == \
        {"n": 3, "hit@1": 0.3333, "hit@5": 0.6667, "hit@10": 0.6667, "mrr": 0.5}
    assert s["recall@10"] == 0.6667 and s["ndcg@10"] == pytest.approx((1 + 0.6309) / 3, abs=1e-4)
    assert summarize([]) == {"n": 0}
    assert percentiles([1, 2, 3, 4, 100]) == {"p50": 3, "p95": 100}


def test_single_metrics_on_a_hand_computed_ranking():
    ranking = ["x", "a", "y", "b"]
    rel = {"a": 2, "b": 1, "c": 1}
    assert hit_at(ranking, rel, 1) == 0.0 and hit_at(ranking, rel, 2) == 1.0
    assert recall_at(ranking, rel, 4) == pytest.approx(2 / 3)
    assert mrr_at(ranking, rel, 10) == 0.5 and mrr_at(ranking, rel, 1) == 0.0
    import math
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    idcg = 2 / 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranking, rel, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at(ranking, {"z": 0}, 10) == 0.0  # nothing relevant
    assert ndcg_at(["a", "a"], {"a": 1}, 10) == 1.0  # duplicates count once


def test_evaluate_run_is_beir_style_and_does_not_mutate():
    qrels = {"q1": {"d1": 1}, "q2": {"d3": 1, "d4": 1}, "q3": {"d9": 0}}
    run = {"q1": {"d2": 0.9, "d1": 0.5}, "q2": {"d4": 1.0}}
    before = json.dumps([qrels, run], sort_keys=True)
    m = evaluate_run(qrels, run)
    assert json.dumps([qrels, run], sort_keys=True) == before
    assert m["n"] == 2  # q3 has no relevant doc
    assert m["hit@1"] == 0.5 and m["mrr"] == 0.75 and m["recall@5"] == 0.75
    assert ranked({"a": 1.0, "b": 2.0}) == ["b", "a"]
    assert evaluate_run({"q": {"d": 1}}, {})["hit@10"] == 0.0  # a missing query scores 0


def test_group_by():
    rows = [{"doc": "a", "scores": {"hit@1": 1.0}}, {"doc": "a", "scores": {"hit@1": 0.0}},
            {"doc": None, "scores": {"hit@1": 1.0}}, {"doc": "b"}]
    assert group_by(rows, "doc") == {"a": {"n": 2, "hit@1": 0.5}}


def test_load_qa_relevant_pages_and_images(tmp_path):
    recs = [
        {"id": "q1", "doc": "a", "page": 2, "modality": "table", "lang": "en", "question": "?", "answer": "1",
         "evidence_pages": [{"doc": "a", "page": 2}], "alt_pages": [{"doc": "a", "page": 9}, 11]},
        {"id": "q2", "doc": None, "page": None, "modality": "text", "question": "?", "answer": "UNANSWERABLE",
         "answerable": False},
        {"id": "iq", "doc": "b", "page": 3, "question": "?", "query_image": "imgs/x.png",
         "crop_bbox_pt": [1, 2, 30, 40]},
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs))
    q1, q2, iq = load_qa(path)
    assert q1.relevant == {("a", 2), ("a", 9), ("a", 11)} and q1.answerable and q1.doc == "a"
    assert not q2.answerable and q2.doc is None
    assert iq.relevant == {("b", 3)} and iq.query_image == tmp_path / "imgs" / "x.png"
    assert iq.crop_bbox == (1.0, 2.0, 30.0, 40.0)
