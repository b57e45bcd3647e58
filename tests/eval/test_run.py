"""`unirag eval` on the generated samples: the metrics.json contract, baselines, report, compare."""
import json

import pytest

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs
from unirag.pipelines.cli import main


@pytest.fixture(scope="module")
def qa_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("evalrun")
    docs = make_sample_docs(root / "docs")
    for p in docs:
        if "scanned" in p.name:  # keep the test quick: no Tesseract run
            p.unlink()
    doc = docs[0].stem
    rows = [{"id": f"q{i}", "doc": doc, "page": q["page"], "modality": q["modality"], "lang": "en",
             "question": q["question"], "answer": q["answer"], "evidence_pages": [{"doc": doc, "page": q["page"]}]}
            for i, q in enumerate(SAMPLE_QUESTIONS)]
    rows.append({"id": "u1", "doc": None, "page": None, "modality": "text", "lang": "en",
                 "question": "Who won the 1930 World Cup?", "answer": "UNANSWERABLE", "answerable": False})
    (root / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    return root


def _eval(root, out, *extra):
    return main(["eval", "--docs", str(root / "docs"), "--qa", str(root / "qa.jsonl"), "--db", str(root / "db"),
                 "--out", str(out), "--encoder", "hash", "-q", *extra])


def test_eval_writes_the_metrics_contract(qa_set, tmp_path):
    out = tmp_path / "out"
    assert _eval(qa_set, out, "--baseline", "bm25-pages") == 0
    m = json.loads((out / "metrics.json").read_text())
    assert set(m["retrieval"]) >= {"ALL", "figure", "table", "formula", "text", "page", "multi",
                                   "image-query", "zh"}
    assert m["retrieval"]["ALL"]["n"] == len(SAMPLE_QUESTIONS)  # the unanswerable one is left out
    assert set(m["retrieval"]["ALL"]) >= {"n", "hit@1", "hit@5", "hit@10", "mrr", "recall@10", "ndcg@10"}
    assert m["retrieval"]["ALL"]["hit@5"] >= 0.75
    assert m["ingest"]["pages"] > 0 and m["ingest"]["pages_per_s"] > 0
    assert set(m["query_latency_ms"]) >= {"p50", "p95"} and m["warm_up_ms"] > 0
    # element level: the figure/table/formula questions have a target
    assert m["element"]["ALL"]["n"] == sum(q["modality"] in ("figure", "table", "formula") for q in SAMPLE_QUESTIONS)
    assert m["answers"]["ALL"]["n"] == len(SAMPLE_QUESTIONS)
    assert m["refusal"]["unanswerable"] == 1 and m["refusal"]["answerable"] == len(SAMPLE_QUESTIONS)
    status = m["refusal"]["status"]
    assert sum(status["answerable"].values()) == len(SAMPLE_QUESTIONS) and sum(status["unanswerable"].values()) == 1
    assert all(r["evidence"] for r in m["refusal"]["refused"])  # every refusal lists what was found
    # the baseline: same keys, same questions; all four sample pages are distinct BM25 documents
    b = m["baselines"]["bm25-pages"]
    assert set(b) == set(m["retrieval"]) and b["ALL"]["n"] == len(SAMPLE_QUESTIONS)
    assert b["ALL"]["hit@5"] == 1.0  # 4 pages in the corpus: every evidence page is in the top 5
    assert m["baseline_runs"]["bm25-pages"]["build"]["pages"] == 4
    assert set(m["by_doc"]) == {"unirag", "bm25-pages"}
    rows = (out / "results.jsonl").read_text().splitlines()
    assert len(rows) == len(SAMPLE_QUESTIONS) + 1  # plus the unanswerable one, for refusals
    # the answer metrics are the means (rounded) of the per-question scores of the answerable questions
    scored = [json.loads(r)["answer_scores"] for r in rows if json.loads(r).get("answerable", True)]
    for metric in ("em", "f1", "contains"):
        assert m["answers"]["ALL"][metric] == pytest.approx(sum(s[metric] for s in scored) / len(scored), abs=1e-4)
    assert m["answers"]["ALL"]["contains"] > 0  # some sample answers quote their value
    assert len((out / "baselines" / "bm25-pages.jsonl").read_text().splitlines()) == len(SAMPLE_QUESTIONS)
    row = json.loads(rows[0])
    assert {"answer", "short", "status", "evidence"} <= set(row) and row["evidence"][0][:2] == row["ranking"][0]
    report = (out / "report.md").read_text()
    assert "| answerable |" in report and "bm25-pages" in report and "![hit_by_modality](hit_by_modality.png)" in report
    for png in ("hit_by_modality.png", "latency_hist.png", "doc_heatmap.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_compare_reports_per_question_changes(qa_set, tmp_path):
    old = tmp_path / "old"
    assert _eval(qa_set, old) == 0
    # make the old run worse on one question: its evidence page no longer retrieved
    rows = [json.loads(x) for x in (old / "results.jsonl").read_text().splitlines()]
    target = next(r for r in rows if r.get("scores", {}).get("hit@1"))
    target["ranking"] = [["nowhere", 1]]
    (old / "results.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    new = tmp_path / "new"
    assert _eval(qa_set, new, "--compare", str(old)) == 0
    changes = {c["id"]: c for c in json.loads((new / "compare.json").read_text())}
    assert changes[target["id"]] == {"id": target["id"], "old_rank": None, "new_rank": 1, "change": "better"}
    assert sum(c["change"] == "same" for c in changes.values()) == len(SAMPLE_QUESTIONS) - 1
    assert f"| {target['id']} | - | 1 | better |" in (new / "report.md").read_text()
    # the second run on the same store ingested nothing: no speed, and the report says so
    assert json.loads((new / "metrics.json").read_text())["ingest"]["pages_per_s"] is None
    assert "n/a: nothing new to ingest" in (new / "report.md").read_text()


def test_unknown_baseline_fails_before_ingest(qa_set, tmp_path, capsys):
    assert _eval(qa_set, tmp_path / "o", "--baseline", "nope") == 2
    assert "expected one of ['bm25-pages', 'llamaindex-text'], got 'nope'" in capsys.readouterr().err


def test_eval_needs_a_qa_set_or_a_format(tmp_path, capsys):
    assert main(["eval", "--out", str(tmp_path), "--db", str(tmp_path / "db")]) == 2
    assert "expected --docs and --qa" in capsys.readouterr().err
