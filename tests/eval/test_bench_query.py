"""eval/bench_query.py on a tiny synthetic collection (the real run uses 100,000 chunks)."""
import json

import numpy as np

from unirag.eval.bench_query import main, synthetic_docs


def test_synthetic_docs_mix_modalities_and_unit_parts():
    docs = list(synthetic_docs(120, dim=40, visual_dim=8))
    chunks = [c for d, _ in docs for c in d.chunks]
    assert len(chunks) == 120 and {c.modality for c in chunks} >= {"text", "figure", "table"}
    vecs = np.concatenate([v for _, v in docs])
    assert np.allclose(np.linalg.norm(vecs[:, :32], axis=1), 1.0, atol=1e-5)
    text_rows = [i for i, c in enumerate(chunks) if c.modality == "text"]
    assert not vecs[text_rows, 32:].any()  # no crop, no visual channel


def test_main_measures_every_stage(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--db", str(tmp_path / "db"), "--chunks", "300", "--queries", "8", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["chunks"] == 300 and report["store"]["built"]
    assert set(report["ms"]) >= {"encode_query", "retrieve", "retrieve_rerank", "chroma_vector_query_ids_only"}
    assert report["ms"]["retrieve_rerank"]["p50"] > 0 and all(p["p95"] >= p["p50"] >= 0 for p in report["ms"].values())
    assert report["ratios_p50"]["vs_chroma_query"] > 0
    assert "retrieve_rerank" in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "db"), "--chunks", "300", "--queries", "4", "--reranker", "none"]) == 0
