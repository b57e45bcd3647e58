"""OUTDIR/report.md: tables of metrics.json, three PNG plots (hit@k per modality for unirag
and every baseline, query latency histogram, per-document hit@5 heat map) and, against an
older OUTDIR, what changed question by question.

>>> compare_rows([{"id": "q", "ranking": [["a", 1], ["a", 2]], "relevant": [["a", 2]]}],
...              [{"id": "q", "ranking": [["a", 2]], "relevant": [["a", 2]]}])
[{'id': 'q', 'old_rank': 2, 'new_rank': 1, 'change': 'better'}]
"""
from __future__ import annotations

import json
from pathlib import Path

from unirag.eval.metrics import first_relevant

PLOT_GROUPS = ("ALL", "figure", "table", "formula", "text", "page", "multi", "image-query", "zh")


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def table(rows: dict[str, dict], keys: tuple[str, ...], first: str = "") -> list[str]:
    """A markdown table: one line per `rows` item, one column per key.

    >>> print("\\n".join(table({"ALL": {"n": 2, "hit@1": 0.5}}, ("n", "hit@1"), "group")))
    | group | n | hit@1 |
    |---|---|---|
    | ALL | 2 | 0.500 |
    """
    out = [f"| {first} | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 1)]
    for name, r in rows.items():
        out.append(f"| {name} | " + " | ".join(_fmt(r.get(k, "")) for k in keys) + " |")
    return out


def side_by_side(pages: dict[str, dict], elements: dict[str, dict]) -> list[str]:
    """Page- and element-level hit@1/hit@5 per question kind, one table.

    >>> print("\\n".join(side_by_side({"table": {"n": 2, "hit@1": 1.0, "hit@5": 1.0}},
    ...                                {"table": {"n": 2, "hit@1": 0.5, "hit@5": 1.0}})[2:]))
    | kind | n | page hit@1 | element hit@1 | page hit@5 | element hit@5 |
    |---|---|---|---|---|---|
    | table | 2 | 1.000 | 0.500 | 1.000 | 1.000 |
    <BLANKLINE>
    """
    rows = {g: {"n": e["n"], "page hit@1": pages.get(g, {}).get("hit@1", ""), "element hit@1": e.get("hit@1", ""),
                "page hit@5": pages.get(g, {}).get("hit@5", ""), "element hit@5": e.get("hit@5", "")}
            for g, e in elements.items() if e.get("n")}
    return ["### Page and element level side by side", ""] + table(rows, tuple(next(iter(rows.values()), {})),
                                                                   "kind") + [""]


def element_misses(rows: list[dict]) -> list[str]:
    """Questions whose element is not in the first 5 hits, with the first chunks found (doc,
    page, kind): a page that is right with no chunk of the asked kind means it was not parsed
    or ranked below the page's other chunks."""
    missed = [r for r in rows if r.get("element_scores", {}).get("hit@5") == 0.0]
    if not missed:
        return []
    out = ["### Element misses (not in the first 5)", ""]
    for r in missed:
        top = "; ".join(f"{d} p.{p} {m}{' *' if t else ''}" for d, p, m, t in r.get("element_top", []))
        want = ", ".join(f"{d} p.{p}" for d, p in r["relevant"])
        out.append(f"- {r['id']} ({r['modality']}, evidence {want}): {top or 'no hits'}")
    return out + [""]


def _rank(row: dict) -> int | None:
    return first_relevant([tuple(p) for p in row["ranking"]], {tuple(p) for p in row["relevant"]})


def compare_rows(old: list[dict], new: list[dict]) -> list[dict]:
    """Per question present in both runs: rank of the first relevant page then and now
    (None = not in the first 10) and whether it got better, worse or stayed the same."""
    before = {r["id"]: r for r in old if "ranking" in r}
    out = []
    for r in new:
        if "ranking" not in r or r["id"] not in before:
            continue
        a, b = _rank(before[r["id"]]), _rank(r)
        ka, kb = a or 99, b or 99
        out.append({"id": r["id"], "old_rank": a, "new_rank": b,
                    "change": "better" if kb < ka else "worse" if kb > ka else "same"})
    return out


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise ValueError(f"--compare: expected {path} from an earlier `unirag eval --out`, got no such file")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _plots(out: Path, metrics: dict, latencies: dict[str, list[float]]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    systems = {"unirag": metrics["retrieval"], **metrics.get("baselines", {})}
    groups = [g for g in PLOT_GROUPS if metrics["retrieval"].get(g, {}).get("n")]
    names = []

    fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
    width = 0.8 / len(systems)
    for ax, k in zip(axes, ("hit@1", "hit@5")):
        for i, (name, ret) in enumerate(systems.items()):
            ax.bar(np.arange(len(groups)) + i * width, [ret.get(g, {}).get(k, 0) for g in groups], width, label=name)
        ax.set_xticks(np.arange(len(groups)) + width * (len(systems) - 1) / 2, groups, rotation=30)
        ax.set_title(f"page {k} by question kind")
        ax.set_ylim(0, 1)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "hit_by_modality.png", dpi=100)
    plt.close(fig)
    names.append("hit_by_modality.png")

    fig, ax = plt.subplots(figsize=(7, 3.5))
    top = max((max(v) for v in latencies.values() if v), default=1.0)
    bins = np.linspace(0, top, 30).tolist()
    for name, values in latencies.items():
        if values:
            ax.hist(values, bins=bins, alpha=0.5, label=name)
    ax.set_xlabel("retrieval latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "latency_hist.png", dpi=100)
    plt.close(fig)
    names.append("latency_hist.png")

    by_doc = metrics.get("by_doc", {})
    docs = sorted({d for v in by_doc.values() for d in v})
    if docs:
        grid = np.array([[by_doc[s].get(d, {}).get("hit@5", np.nan) for s in by_doc] for d in docs])
        fig, ax = plt.subplots(figsize=(2 + 1.6 * len(by_doc), 0.35 * len(docs) + 1.5))
        im = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(by_doc)), list(by_doc), rotation=20)
        ax.set_yticks(range(len(docs)), docs)
        for (y, x), v in np.ndenumerate(grid):
            if not np.isnan(v):
                ax.text(x, y, f"{v:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title("page hit@5 per document")
        fig.colorbar(im, ax=ax)
        fig.tight_layout()
        fig.savefig(out / "doc_heatmap.png", dpi=100)
        plt.close(fig)
        names.append("doc_heatmap.png")
    return names


def _answer_lines(answers: dict, ref: dict) -> list[str]:
    """The answers section: EM/F1 of the short answer and containment in the reply per group,
    answered/deferred/refused counts, and each refusal with its top evidence."""
    lines = ["## Answers (unirag generator)", "",
             "EM and F1 on the short answer (the whole reply when none was extracted); contains = the "
             "gold answer appears in the reply. in_text = the answer is printed in the evidence page's text.", ""]
    lines += table(answers, ("n", "em", "f1", "contains"), "group") + [""]
    refused = round(ref['refusal_accuracy'] * ref['unanswerable'])
    lines += [f"Refusals: {refused} of {ref['unanswerable']} unanswerable questions refused "
              f"(share {ref['refusal_accuracy']}); false refusal rate on answerable ones "
              f"{ref['false_refusal_rate']}.", ""]
    if ref.get("status"):
        lines += table(ref["status"], ("answered", "deferred", "refused"), "questions") + [""]
    if ref.get("refused"):
        lines += ["Refused questions and their top evidence (doc, page, modality, score):", ""]
        for r in ref["refused"]:
            top = "; ".join(f"{d} p.{p} {m} {s}" for d, p, m, s in r["evidence"]) or "no hits"
            lines.append(f"- {r['id']} ({'answerable' if r['answerable'] else 'unanswerable'}): {top}")
        lines.append("")
    return lines


def write_report(out: str | Path, metrics: dict, rows: dict[str, list[dict]],
                 latencies: dict[str, list[float]], compare: str | Path | None = None) -> Path:
    """Write OUT/report.md (and its PNGs) for one eval run; `rows` and `latencies` are per
    system ("unirag" first, then the baselines)."""
    out = Path(out)
    keys = ("n", "hit@1", "hit@5", "hit@10", "mrr", "recall@10", "ndcg@10")
    lines = ["# unirag evaluation", ""]
    systems = {"unirag": metrics["retrieval"], **metrics.get("baselines", {})}
    lines += ["## Page-level retrieval, all questions", ""]
    lines += table({n: r["ALL"] for n, r in systems.items()}, keys, "system") + [""]
    for name, ret in systems.items():
        lines += [f"### {name} by question kind and language", ""]
        lines += table({g: v for g, v in ret.items() if v.get("n")}, keys, "group") + [""]
    lines += ["## Element-level retrieval (unirag)", "",
              "Target: a chunk of the question's modality on an evidence page (figure/table/formula "
              "questions); for image queries a chunk overlapping the crop the picture was cut from.", ""]
    lines += table({g: v for g, v in metrics["element"].items() if v.get("n")},
                   ("n", "hit@1", "hit@5", "hit@10", "mrr"), "group") + [""]
    lines += side_by_side(metrics["retrieval"], metrics["element"])
    lines += element_misses(rows["unirag"])
    lines += _answer_lines(metrics["answers"], metrics["refusal"])
    ing = metrics["ingest"]
    speed = "n/a: nothing new to ingest" if ing["pages_per_s"] is None else f"{ing['pages_per_s']} pages/s"
    lines += ["## Speed", "", f"unirag ingest: {ing['pages']} pages in {ing['seconds']} s "
              f"({speed}; {ing['skipped_docs']} documents already stored).", ""]
    lat = {"unirag": metrics["query_latency_ms"]}
    for name, run in metrics.get("baseline_runs", {}).items():
        lat[name] = run["query_latency_ms"]
        b = run["build"]
        lines.append(f"{name} index build: {b['pages']} pages in {b['seconds']} s ({b['pages_per_s']} pages/s).")
    lines += [""] + table(lat, tuple(next(iter(lat.values()))), "query latency (ms)") + [""]
    if "warm_up_ms" in metrics:
        image = metrics.get("image_query_latency_ms") or {}
        lines += [f"unirag's latencies are of text questions after a warm-up retrieval of {metrics['warm_up_ms']} ms "
                  "(model load, keyword index)"
                  + (f"; image queries (OCR included): p50 {image['p50']} ms, p95 {image['p95']} ms." if image
                     else "."), ""]
    lines += ["## Per document (page hit@5)", ""]
    by_doc = metrics.get("by_doc", {})
    docs = sorted({d for v in by_doc.values() for d in v})
    lines += table({d: {s: by_doc[s].get(d, {}).get("hit@5", "") for s in by_doc} for d in docs},
                   tuple(by_doc), "document") + [""]
    for png in _plots(out, metrics, latencies):
        lines += [f"![{png[:-4]}]({png})", ""]
    if compare:
        changes = compare_rows(_read_rows(Path(compare) / "results.jsonl"), rows["unirag"])
        counts = {c: sum(x["change"] == c for x in changes) for c in ("better", "worse", "same")}
        lines += [f"## Compared with {compare}", "",
                  f"{counts['better']} better, {counts['worse']} worse, {counts['same']} same "
                  "(rank of the first evidence page; - = not in the first 10).", "",
                  "| question | old rank | new rank | change |", "|---|---|---|---|"]
        order = {"worse": 0, "better": 1, "same": 2}
        for c in sorted(changes, key=lambda x: (order[x["change"]], x["id"])):
            lines.append(f"| {c['id']} | {c['old_rank'] or '-'} | {c['new_rank'] or '-'} | {c['change']} |")
        (out / "compare.json").write_text(json.dumps(changes, indent=1))
        lines.append("")
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
