"""`unirag bench` on the generated text sample documents (no OCR, hash encoder, no LlamaIndex)."""
import json

from unirag.parsers.samples import make_sample_docs
from unirag.pipelines.cli import main


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
    printed = capsys.readouterr().out
    assert "unirag (Chroma, hybrid)" in printed and "LlamaIndex text-only" in printed
    assert "cold `unirag query`" in printed
