"""`unirag eval`: ingest a folder, run a QA set (and baselines on the same questions), write
OUTDIR/metrics.json, results.jsonl, baselines/NAME.jsonl and report.md with plots.

metrics.json keys: "retrieval" (page level, per group: ALL, figure, table, formula, text, page,
multi, image-query, zh, en; each {n, hit@1, hit@5, hit@10, mrr (MRR@10), recall@5, recall@10,
ndcg@5, ndcg@10}), "element" (was the right figure/table/formula chunk retrieved; see
eval/elements.py), "by_doc" ({system: {doc: scores}}), "answers" (exact match / token F1 of the
short answer, containment in the reply; per group ALL, modality, in_text / not_in_text),
"refusal" (rates, answered/deferred/refused counts, refusals with their top evidence), "ingest", "warm_up_ms" (the
first retrieval: model load and keyword index), "query_latency_ms" (text questions after it),
"image_query_latency_ms" (image queries, OCR included), "baselines"
({name: same keys as "retrieval"}), "baseline_runs" ({name: build and query timings}), "config".
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from tqdm import tqdm

from unirag.eval.answers import answer_scores
from unirag.eval.elements import element_target, element_top, rank_elements
from unirag.eval.metrics import group_by, hit_scores, percentiles, question_scores, rank_pages, summarize
from unirag.eval.qa import QARecord, load_qa
from unirag.rag.types import Query

GROUPS = ("figure", "table", "formula", "text", "page", "multi", "image-query")
LATENCY_PS = (50, 95, 99)
ANSWER_HITS = 10  # hits the answer step reads, as `unirag query` gives it by default
EVIDENCE_SHOWN = 3  # top hits kept per answer row, so a refusal can be checked against what was found


def _query(rec: QARecord) -> Query:
    image = rec.query_image.read_bytes() if rec.query_image else None
    text = "" if image else rec.question
    return Query(text=text, image=image)


def _row(rec: QARecord, ranking: list, latency_ms: float) -> dict:
    return {"id": rec.id, "modality": rec.modality, "lang": rec.lang, "doc": rec.doc,
            "ranking": [list(p) for p in ranking], "relevant": sorted(map(list, rec.relevant)),
            "scores": question_scores(ranking, rec.relevant), "latency_ms": round(latency_ms, 2)}


def evaluate(pipeline, records: list[QARecord], depth: int = 50, progress: bool = True,
             answers: bool = True):
    """Run every question; return per-question rows and the retrieval latencies (ms) of the
    answerable ones. Answerable rows carry page `scores`, element scores where the question
    has an element target, and (with `answers`) the generated answer and its scores;
    unanswerable rows carry only the answer and whether it was refused."""
    rows, latencies = [], []
    for rec in tqdm(records, desc="eval", unit="q", disable=not progress):
        scored = rec.answerable and bool(rec.relevant)
        if not scored and not answers:
            continue
        t0 = time.perf_counter()
        hits = pipeline.retrieve(_query(rec), top_k=depth)
        ms = (time.perf_counter() - t0) * 1000
        if scored:
            latencies.append(ms)
            row = _row(rec, rank_pages(hits, 10), ms)
            target = element_target(rec)
            if target:
                ids, targets = rank_elements(hits, target)
                row["element_scores"] = hit_scores(ids, targets)
                row["element_top"] = element_top(hits, target)
        else:
            row = {"id": rec.id, "modality": rec.modality, "lang": rec.lang, "doc": rec.doc, "answerable": False}
        if answers and not rec.query_image:
            ans = pipeline.query(rec.question, top_k=ANSWER_HITS)
            row.update(answer=ans.text, short=ans.short, status=ans.status, in_text=rec.in_text,
                       evidence=[[e.doc_id, e.page, e.modality, round(e.score, 4)]
                                 for e in ans.evidence[:EVIDENCE_SHOWN]])
            row["answer_scores"] = answer_scores(ans.short or ans.text, ans.found, rec.answer, rec.aliases,
                                                 scored, reply=ans.text)
        rows.append(row)
    return rows, latencies


def image_texts(records: list[QARecord]) -> dict[str, str]:
    """OCR text of each image query (what a text-only baseline can search with)."""
    from unirag.pipelines.image_query import image_text

    return {r.id: image_text(r.query_image.read_bytes()) for r in records if r.query_image}


def evaluate_baseline(baseline, records: list[QARecord], texts: dict[str, str], progress: bool = True):
    """A baseline's page rankings for the answerable questions (image queries by their OCR text)."""
    rows, latencies = [], []
    for rec in tqdm(records, desc=baseline.name, unit="q", disable=not progress):
        if not rec.answerable or not rec.relevant:
            continue
        t0 = time.perf_counter()
        ranking = baseline.rank(texts.get(rec.id, rec.question), 10)
        ms = (time.perf_counter() - t0) * 1000
        latencies.append(ms)
        rows.append(_row(rec, ranking, ms))
    return rows, latencies


def _scored(rows: list[dict]) -> list[dict]:
    return [r for r in rows if "scores" in r]


def group_metrics(rows: list[dict], image_rows: list[dict]) -> dict:
    """Page-level scores per group: ALL covers `rows`; image queries only under "image-query"."""
    rows, image_rows = _scored(rows), _scored(image_rows)
    out = {"ALL": summarize([r["scores"] for r in rows])}
    for g in GROUPS:
        src = image_rows if g == "image-query" else rows
        out[g] = summarize([r["scores"] for r in src if r["modality"] == g])
    for lang in ("zh", "en"):
        out[lang] = summarize([r["scores"] for r in rows if r["lang"] == lang])
    return out


def element_metrics(rows: list[dict], image_rows: list[dict]) -> dict:
    el = [r for r in rows if "element_scores" in r]
    out = {"ALL": summarize([r["element_scores"] for r in el])}
    out.update(group_by(el, "modality", "element_scores"))
    out["image-query"] = summarize([r["element_scores"] for r in image_rows if "element_scores" in r])
    return out


def _answer_summary(rows: list[dict]) -> dict:
    return summarize([{k: v for k, v in r["answer_scores"].items() if k != "refusal_correct"} for r in rows])


def answer_metrics(rows: list[dict]) -> tuple[dict, dict]:
    """Answer scores of the answerable questions (ALL, per modality, by whether the answer is
    printed in the page text) and the refusal summary: rates, counts per answer status and the
    refused answerable questions with their top evidence."""
    ans = [r for r in rows if "answer_scores" in r and "scores" in r]
    answers = {"ALL": _answer_summary(ans)}
    for g in GROUPS:
        answers[g] = _answer_summary([r for r in ans if r["modality"] == g])
    for key, value in (("in_text", True), ("not_in_text", False)):
        answers[key] = _answer_summary([r for r in ans if r.get("in_text") is value])
    answers = {g: v for g, v in answers.items() if v.get("n")}
    unans = [r for r in rows if r.get("answerable") is False and "answer_scores" in r]
    refusal = {"unanswerable": len(unans),
               "refusal_accuracy": round(sum(r["answer_scores"]["refusal_correct"] for r in unans) / len(unans), 4)
               if unans else None,
               "answerable": len(ans),
               "false_refusal_rate": round(sum(1 - r["answer_scores"]["refusal_correct"] for r in ans) / len(ans), 4)
               if ans else None,
               "status": {kind: {s: sum(r.get("status") == s for r in group) for s in ("answered", "deferred", "refused")}
                          for kind, group in (("answerable", ans), ("unanswerable", unans))},
               "refused": [{"id": r["id"], "answerable": "scores" in r, "evidence": r.get("evidence", [])}
                           for r in ans + unans if r.get("status") == "refused"]}
    return answers, refusal


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def run_eval(pipeline, docs: str | Path, qa: str | Path, out: str | Path,
             image_qa: str | Path | None = None, progress: bool = True,
             baselines: tuple[str, ...] = (), compare: str | Path | None = None,
             report: bool = True) -> dict:
    """Ingest every PDF in `docs` (unless already there), score `qa` (and `image_qa`) with the
    pipeline and each named baseline, write the reports.

    Page-level metrics: a question is a hit@k when one of the first k distinct pages among the
    retrieved chunks is an evidence (or alternative) page. "ALL" covers `qa`; image queries are
    reported under "image-query" only. Unanswerable questions count only for refusals.
    """
    from unirag.eval.baselines import make_baseline
    from unirag.pipelines.ingest import expand

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = expand([docs], suffixes=(".pdf",))
    systems_to_compare = [make_baseline(name, cache_dir=Path(pipeline.config["db"]) / "eval_cache")
                          for name in dict.fromkeys(baselines)]  # names checked before the long ingest
    ingest = pipeline.ingest(files, progress=progress)
    records = load_qa(qa)
    image_records = load_qa(image_qa, modality="image-query") if image_qa else []
    t0 = time.perf_counter()
    pipeline.retrieve("warm up", top_k=1)  # loads the encoder and builds the keyword index: timed apart
    warm_up_ms = round((time.perf_counter() - t0) * 1000, 1)
    rows, lat = evaluate(pipeline, records, progress=progress)
    image_rows, image_lat = evaluate(pipeline, image_records, progress=progress)
    answers, refusal = answer_metrics(rows)
    systems = {"unirag": (rows, image_rows, lat)}
    metrics = {
        "retrieval": group_metrics(rows, image_rows),
        "element": element_metrics(rows, image_rows),
        "answers": answers,
        "refusal": refusal,
        "ingest": {"pages": ingest.pages, "seconds": round(ingest.seconds, 2),
                   # None ("n/a") when every document was already stored: no speed was measured
                   "pages_per_s": round(ingest.pages / ingest.seconds, 2) if ingest.pages else None,
                   "skipped_docs": len(ingest.skipped), "failed": [f"{p}: {r}" for p, r in ingest.failed]},
        "query_latency_ms": percentiles(lat, LATENCY_PS),  # text questions, after the warm-up
        "image_query_latency_ms": percentiles(image_lat, LATENCY_PS) if image_lat else {},  # OCR included
        "warm_up_ms": warm_up_ms,
        "baselines": {}, "baseline_runs": {},
        "config": pipeline.to_dict(),
    }
    texts = image_texts(image_records) if systems_to_compare and image_records else {}
    for b in systems_to_compare:
        build = b.build(files)
        b_rows, b_lat = evaluate_baseline(b, records, texts, progress)
        b_img, b_img_lat = evaluate_baseline(b, image_records, texts, progress)
        metrics["baselines"][b.name] = group_metrics(b_rows, b_img)
        metrics["baseline_runs"][b.name] = {"build": build, "query_latency_ms": percentiles(b_lat + b_img_lat, LATENCY_PS)}
        systems[b.name] = (b_rows, b_img, b_lat + b_img_lat)
        _write_rows(out / "baselines" / f"{b.name}.jsonl", b_rows + b_img)
    metrics["by_doc"] = {name: group_by(_scored(r), "doc") for name, (r, _, _) in systems.items()}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False))
    _write_rows(out / "results.jsonl", rows + image_rows)
    if report:
        from unirag.eval.report import write_report

        write_report(out, metrics, {name: r + i for name, (r, i, _) in systems.items()},
                     {name: la for name, (_, _, la) in systems.items()}, compare=compare)
    return metrics
