"""`unirag eval`: ingest a folder, run a QA set, write OUTDIR/metrics.json and results.jsonl."""
from __future__ import annotations

import json
import time
from pathlib import Path

from tqdm import tqdm

from eval.metrics import percentiles, question_scores, rank_pages, summarize
from eval.qa import QARecord, load_qa
from rag.types import Query

GROUPS = ("figure", "table", "formula", "text", "page", "multi", "image-query")


def _query(rec: QARecord) -> Query:
    image = rec.query_image.read_bytes() if rec.query_image else None
    text = "" if image else rec.question
    return Query(text=text, image=image)


def evaluate(pipeline, records: list[QARecord], depth: int = 50, progress: bool = True):
    """Run every answerable question; return per-question rows and latencies (ms)."""
    rows, latencies = [], []
    for rec in tqdm(records, desc="eval", unit="q", disable=not progress):
        if not rec.answerable or not rec.relevant:
            continue
        t0 = time.perf_counter()
        hits = pipeline.retrieve(_query(rec), top_k=depth)
        latencies.append((time.perf_counter() - t0) * 1000)
        ranking = rank_pages(hits, 10)
        rows.append({"id": rec.id, "modality": rec.modality, "lang": rec.lang,
                     "ranking": [list(p) for p in ranking], "relevant": sorted(map(list, rec.relevant)),
                     "scores": question_scores(ranking, rec.relevant)})
    return rows, latencies


def group_metrics(rows: list[dict], image_rows: list[dict]) -> dict:
    out = {"ALL": summarize([r["scores"] for r in rows])}
    for g in GROUPS:
        src = image_rows if g == "image-query" else rows
        out[g] = summarize([r["scores"] for r in src if r["modality"] == g])
    out["zh"] = summarize([r["scores"] for r in rows if r["lang"] == "zh"])
    return out


def run_eval(pipeline, docs: str | Path, qa: str | Path, out: str | Path,
             image_qa: str | Path | None = None, progress: bool = True) -> dict:
    """Ingest every PDF in `docs` (unless already there), score `qa` (and `image_qa`), write reports.

    Page-level metrics: a question is a hit@k when one of the first k distinct pages among the
    retrieved chunks is an evidence (or alternative) page. "ALL" covers `qa`; image queries are
    reported under "image-query" only.
    """
    from pipelines.ingest import expand

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = pipeline.ingest(expand([docs], suffixes=(".pdf",)), progress=progress)
    rows, lat = evaluate(pipeline, load_qa(qa), progress=progress)
    image_rows, image_lat = ([], [])
    if image_qa:
        image_rows, image_lat = evaluate(pipeline, load_qa(image_qa, modality="image-query"), progress=progress)
    metrics = {
        "retrieval": group_metrics(rows, image_rows),
        "ingest": {"pages": report.pages, "seconds": round(report.seconds, 2),
                   "pages_per_s": round(report.pages / report.seconds, 2) if report.pages else 0.0,
                   "skipped_docs": len(report.skipped), "failed": [f"{p}: {r}" for p, r in report.failed]},
        "query_latency_ms": percentiles(lat + image_lat),
        "config": pipeline.to_dict(),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False))
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows + image_rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return metrics
