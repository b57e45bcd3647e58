"""`unirag eval` on the generated samples: the metrics.json contract."""
import json

from parsers.samples import SAMPLE_QUESTIONS, make_sample_docs
from pipelines.cli import main


def test_eval_writes_the_metrics_contract(tmp_path, capsys):
    docs = make_sample_docs(tmp_path / "docs")
    doc = docs[0].stem
    qa = tmp_path / "qa.jsonl"
    rows = [{"id": f"q{i}", "doc": doc, "page": q["page"], "modality": q["modality"], "lang": "en",
             "question": q["question"], "answer": q["answer"], "evidence_pages": [{"doc": doc, "page": q["page"]}]}
            for i, q in enumerate(SAMPLE_QUESTIONS)]
    rows.append({"id": "u1", "doc": None, "page": None, "modality": "text", "lang": "en",
                 "question": "Who won the 1930 World Cup?", "answer": "UNANSWERABLE", "answerable": False})
    qa.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "out"
    code = main(["eval", "--docs", str(tmp_path / "docs"), "--qa", str(qa), "--db", str(tmp_path / "db"),
                 "--out", str(out), "--encoder", "hash", "-q"])
    assert code == 0
    m = json.loads((out / "metrics.json").read_text())
    assert set(m["retrieval"]) == {"ALL", "figure", "table", "formula", "text", "page", "multi",
                                   "image-query", "zh"}
    assert m["retrieval"]["ALL"]["n"] == len(SAMPLE_QUESTIONS)  # the unanswerable one is left out
    assert set(m["retrieval"]["ALL"]) == {"n", "hit@1", "hit@5", "hit@10", "mrr"}
    assert m["retrieval"]["ALL"]["hit@5"] >= 0.75
    assert m["ingest"]["pages"] > 0 and m["ingest"]["pages_per_s"] > 0
    assert set(m["query_latency_ms"]) == {"p50", "p95"}
    assert len((out / "results.jsonl").read_text().splitlines()) == len(SAMPLE_QUESTIONS)
