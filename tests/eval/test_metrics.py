import json

from eval.metrics import percentiles, question_scores, rank_pages, summarize
from eval.qa import load_qa
from rag.types import Chunk, Hit


def test_rank_pages_dedups_in_order():
    hits = [Hit(Chunk(doc_id=d, modality="text", page=p, text=f"{d}{p}{i}"), 1.0)
            for i, (d, p) in enumerate([("a", 1), ("a", 1), ("b", 2), ("a", 3)])]
    assert rank_pages(hits, 2) == [("a", 1), ("b", 2)]


def test_scores_and_summary():
    rows = [question_scores([("a", 1)], {("a", 1)}), question_scores([("x", 1), ("a", 1)], {("a", 1)}),
            question_scores([], {("a", 1)})]
    s = summarize(rows)
    assert s == {"n": 3, "hit@1": 0.3333, "hit@5": 0.6667, "hit@10": 0.6667, "mrr": 0.5}
    assert summarize([]) == {"n": 0}
    assert percentiles([1, 2, 3, 4, 100]) == {"p50": 3, "p95": 100}


def test_load_qa_relevant_pages_and_images(tmp_path):
    recs = [
        {"id": "q1", "doc": "a", "page": 2, "modality": "table", "lang": "en", "question": "?", "answer": "1",
         "evidence_pages": [{"doc": "a", "page": 2}], "alt_pages": [{"doc": "a", "page": 9}, 11]},
        {"id": "q2", "doc": None, "page": None, "modality": "text", "question": "?", "answer": "UNANSWERABLE",
         "answerable": False},
        {"id": "iq", "doc": "b", "page": 3, "question": "?", "query_image": "imgs/x.png"},
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs))
    q1, q2, iq = load_qa(path)
    assert q1.relevant == {("a", 2), ("a", 9), ("a", 11)} and q1.answerable
    assert not q2.answerable
    assert iq.relevant == {("b", 3)} and iq.query_image == tmp_path / "imgs" / "x.png"
