"""`unirag bench` on the generated text sample documents (no OCR, hash encoder, no LlamaIndex)."""
import json

import numpy as np

from unirag.parsers.samples import make_sample_docs
from unirag.pipelines.cli import main

BIG_PARENT_MB = 600


def test_bench_runs_end_to_end(tmp_path, capsys):
    folder = tmp_path / "docs"
    for p in make_sample_docs(folder):
        if "scanned" in p.name:
            p.unlink()
    out = tmp_path / "bench.json"
    assert main(["bench", "--docs", str(folder), "--workers", "1", "--no-llama", "--encoder", "hash",
                 "--json", str(out), "-q"]) == 0
    res = json.loads(out.read_text())
    assert res["unirag"]["pages"] == 4 and res["unirag"]["pages_per_s"] > 0 and res["unirag"]["chunks"] > 4
    lat = res["unirag"]["query_latency_ms"]
    assert lat["queries"] >= 3 and 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    assert res["parse"]["unirag_stages"]["pages"] == 4 and res["llamaindex"] is None
    assert res["peak_rss_mb"]["self"] > 50
    cold = res["cold_query"]  # new `unirag query` processes on the bench store
    assert cold["runs"] == 5 and 0 < cold["median_s"] <= cold["max_s"] and cold["peak_rss_mb"] > 50
    assert cold["unclean_exits"] == 0
    stages = res["unirag"]["stages_s"]  # where ingest time went
    assert {"parse", "text", "tables", "figures", "context", "encode hash", "store"} <= set(stages)
    assert stages["parse"] >= stages["text"] + stages["tables"] >= 0 and stages["encode hash"] > 0
    printed = capsys.readouterr().out
    assert "unirag (Chroma, hybrid)" in printed and "LlamaIndex text-only" in printed
    assert "cold `unirag query`" in printed and "where ingest time went (s): parse " in printed
    assert ", encode hash " in printed and ", store " in printed


def test_bench_on_an_existing_store_times_cold_queries_only(tmp_path, capsys):
    from unirag.pipelines.pipeline import Pipeline

    with Pipeline(db=tmp_path / "db", encoder={"name": "hash"}) as pipeline:
        assert pipeline.ingest(make_sample_docs(tmp_path / "docs")[:1], progress=False).ok
    out = tmp_path / "cold.json"
    big = np.ones(BIG_PARENT_MB * 2**20 // 8)  # a big bench process: its peak RSS must not be the queries'
    assert main(["bench", "--db", str(tmp_path / "db"), "--json", str(out)]) == 0
    cold = json.loads(out.read_text())["cold_query"]
    assert cold["runs"] == 5 and cold["unclean_exits"] == 0 and 0 < cold["median_s"] <= cold["max_s"]
    assert 0 < cold["peak_rss_mb"] < BIG_PARENT_MB - 100 and big.sum() > 0
    assert capsys.readouterr().out.startswith("cold `unirag query` (new process, this store), 5 runs")
