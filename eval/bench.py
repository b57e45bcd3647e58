"""`unirag bench --docs DIR`: ingest throughput and query latency on a folder of PDFs, with the
text-only LlamaIndex baseline side by side, in one run.

1. parsing, per stage and end to end (eval/bench_parse.py: PyMuPDF get_text, LlamaIndex's
   PyMuPDFReader, unirag's parser per stage and over a process pool, with and without OCR);
2. unirag end to end: parse + embed + store into a temporary store (pages/s), and where that
   time goes: the parser's stages (summed over its processes), context, encoding per channel,
   writing;
3. LlamaIndex end to end: read + split + embed into an in-memory index (pages/s);
4. query latency percentiles of both over the same queries: the questions of `--qa`, or
   else a phrase taken from each page (deterministic);
5. a cold `unirag query` in a new process on the store just built: wall time and peak RSS of each
   of COLD_RUNS runs (median, max), and whether each exited cleanly (eval/cold.py);
6. peak resident memory of this process and of its largest child (MB).

    unirag bench --docs DIR [--workers 2] [--qa qa.jsonl] [--json out.json] [--no-llama]
    unirag bench --db STORE [--qa qa.jsonl]    # only 5: cold queries on an existing store
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pymupdf

from unirag.eval.bench_parse import pdf_files, run_bench
from unirag.eval.cold import measure as cold_queries
from unirag.eval.metrics import percentiles
from unirag.rag.timing import STAGES

LATENCY_PS = (50, 95, 99)
MAX_QUERIES = 50
COLD_QUESTION = "warm up"  # the cold query's question when there are no others


def sample_queries(files: list[Path], n: int = MAX_QUERIES) -> list[str]:
    """Up to `n` eight-word phrases, one from each page with enough text, documents in turn."""
    per_doc = []
    for path in files:
        phrases = []
        with pymupdf.open(path) as pdf:
            for page in pdf:
                words = page.get_text().split()
                if len(words) >= 30:
                    phrases.append(" ".join(words[20:28]))
        per_doc.append(phrases)
    out = []
    for i in range(max(map(len, per_doc), default=0)):
        out += [p[i] for p in per_doc if i < len(p)]
    return out[:n]


def _latency(search, queries: list[str]) -> dict:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - t0) * 1000)
    return {"queries": len(times), **percentiles(times, LATENCY_PS)}


def _peak_rss_mb() -> dict:
    to_mb = 1 / 1024  # ru_maxrss is in KiB on Linux
    return {"self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * to_mb, 1),
            "largest_child": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * to_mb, 1)}


def run(folder: str | Path, workers: int = 2, queries: list[str] | None = None, llama: bool = True,
        encoder: dict | None = None) -> dict:
    """Every measurement above as a plain dict."""
    from unirag.eval.baselines import LlamaIndexText
    from unirag.pipelines.pipeline import Pipeline

    files = pdf_files(folder)
    out: dict[str, Any] = {"parse": run_bench(folder, workers, llama=llama)}
    queries = queries or sample_queries(files)
    db = tempfile.mkdtemp(prefix="unirag-bench-")
    try:
        pipeline = Pipeline(db=db, encoder=encoder, workers=workers)
        report = pipeline.ingest(files, progress=False)
        out["unirag"] = {"pages": report.pages, "seconds": round(report.seconds, 2),
                         "pages_per_s": round(report.pages / max(report.seconds, 1e-9), 2),
                         "chunks": report.chunks, "failed": len(report.failed), "workers": pipeline.ingestor.workers,
                         "stages_s": report.stages}
        pipeline.retrieve("warm up", top_k=10)  # model load and keyword index are one-off costs
        out["unirag"]["query_latency_ms"] = _latency(lambda q: pipeline.retrieve(q, top_k=10), queries)
        pipeline.close()
        out["cold_query"] = cold_queries(db, queries[0] if queries else COLD_QUESTION)
    finally:
        shutil.rmtree(db, ignore_errors=True)
    out["llamaindex"] = None
    if llama:
        base = LlamaIndexText(depth=10)
        out["llamaindex"] = base.build(files)
        base.rank("warm up")
        out["llamaindex"]["query_latency_ms"] = _latency(base.rank, queries)
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def stages_line(unirag: dict) -> str:
    """Where ingest time went: the parser's stages within "parse" (summed over the parser
    processes; "other" is the rest: process start, opening files, page assembly), then this
    process's stages (context, encoding per channel, writing)."""
    stages = unirag["stages_s"]
    parse = stages.get("parse", 0.0)
    own = {k: stages[k] for k in STAGES if k in stages}
    rest = {k: v for k, v in stages.items() if k not in own and k != "parse"}
    inner = ", ".join([*(f"{k} {v:.1f}" for k, v in own.items()), f"other {parse - sum(own.values()):.1f}"])
    return (f"where ingest time went (s): parse {parse:.1f} over {unirag['workers']} parser processes ({inner}); "
            + ", ".join(f"{k} {v:.1f}" for k, v in rest.items()) + f"; wall {unirag['seconds']:.1f}")


def cold_line(cold: dict) -> str:
    return (f"cold `unirag query` (new process, this store), {cold['runs']} runs: median {cold['median_s']} s, "
            f"max {cold['max_s']} s, peak RSS {cold['peak_rss_mb']} MB, unclean exits {cold['unclean_exits']}")


def report(res: dict) -> str:
    """The end-to-end comparison as plain text, after bench_parse's parsing tables."""
    from unirag.eval.bench_parse import report as parse_report

    lines = [parse_report(res["parse"]), "", "end to end (parse + embed + index), then retrieval of the top 10:",
             f"{'system':28s} {'pages':>6s} {'wall s':>8s} {'pages/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}"]
    for name, key in (("unirag (Chroma, hybrid)", "unirag"), ("LlamaIndex text-only", "llamaindex")):
        r = res[key]
        if r is None:
            lines.append(f"{name:28s} (skipped)")
            continue
        q = r["query_latency_ms"]
        lines.append(f"{name:28s} {r['pages']:6d} {r['seconds']:8.2f} {r['pages_per_s']:8.2f} "
                     f"{q['p50']:8.1f} {q['p95']:8.1f} {q['p99']:8.1f}")
    if res["llamaindex"]:
        ratio = res["unirag"]["pages_per_s"] / max(res["llamaindex"]["pages_per_s"], 1e-9)
        lines.append(f"ingest speed, unirag / LlamaIndex text-only: {ratio:.2f}x")
    lines += [stages_line(res["unirag"]), cold_line(res["cold_query"])]
    lines.append(f"queries timed: {res['unirag']['query_latency_ms']['queries']}; peak RSS MB: "
                 f"this process {res['peak_rss_mb']['self']}, largest child {res['peak_rss_mb']['largest_child']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from unirag.eval.qa import load_qa
    from unirag.pipelines.pipeline import ENCODER_PRESETS

    ap = argparse.ArgumentParser(prog="unirag bench", description=__doc__.split("\n\n")[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--docs", help="folder of PDFs")
    what.add_argument("--db", help="an existing store: only time cold `unirag query` processes on it")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--qa", help="QA JSONL whose questions time the queries")
    ap.add_argument("--encoder", help="encoder preset name or JSON config (default: unirag's default)")
    ap.add_argument("--no-llama", action="store_true")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    encoder = None
    if args.encoder:
        encoder = ENCODER_PRESETS.get(args.encoder) or json.loads(args.encoder)
    queries = [r.question for r in load_qa(args.qa) if r.question] if args.qa else None
    if args.db:
        cold = cold_queries(args.db, queries[0] if queries else COLD_QUESTION)
        print(cold_line(cold))
        if args.json:
            Path(args.json).write_text(json.dumps({"cold_query": cold}, indent=1))
        return 0
    res = run(args.docs, args.workers, queries=queries, llama=not args.no_llama, encoder=encoder)
    print(report(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return 0
