"""Pure retrieval metrics over plain BEIR-style data.

A ranking is a list of hashable ids, best first ((doc, page) pairs, chunk ids, corpus ids);
`relevant` is a set of ids or a `{id: grade}` dict (qrels for one query); a run is
`{qid: {id: score}}` and qrels are `{qid: {id: grade}}`. Every function returns plain floats
or flat `{"name@k": value}` dicts and never changes its inputs.

>>> qrels = {"q1": {"d1": 1}, "q2": {"d3": 2, "d4": 1}}
>>> run = {"q1": {"d1": 0.9, "d2": 0.5}, "q2": {"d2": 0.8, "d4": 0.7}}
>>> evaluate_run(qrels, run)["hit@1"], evaluate_run(qrels, run)["recall@5"]
(0.5, 0.75)
"""
from __future__ import annotations

import math
from statistics import mean
from collections.abc import Hashable, Iterable, Mapping, Sequence

from unirag.rag.types import hit_pages

KS = (1, 5, 10)
RANK_DEPTH = 10  # MRR and the stored ranking look at the first 10 items

Relevant = Mapping[Hashable, float] | set | frozenset


def _grades(relevant: Relevant) -> Mapping[Hashable, float]:
    return relevant if isinstance(relevant, Mapping) else {r: 1 for r in relevant}


def rank_pages(hits: Iterable, limit: int = RANK_DEPTH) -> list[tuple[str, int]]:
    """Distinct (doc, page) pairs in the order their first chunk appears among the hits."""
    return hit_pages(hits, limit)


def ranked(scores: Mapping[Hashable, float]) -> list:
    """Ids of one query's run, best score first (ties by id, so the order is stable).

    >>> ranked({"b": 0.5, "a": 0.5, "c": 0.9})
    ['c', 'a', 'b']
    """
    return [i for i, _ in sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def first_relevant(ranking: Sequence, relevant: Relevant) -> int | None:
    """1-based rank of the first relevant item (grade > 0), or None."""
    g = _grades(relevant)
    return next((i for i, item in enumerate(ranking, 1) if g.get(item, 0) > 0), None)


def hit_at(ranking: Sequence, relevant: Relevant, k: int) -> float:
    """1.0 when a relevant item is among the first k."""
    r = first_relevant(ranking[:k], relevant)
    return float(r is not None)


def recall_at(ranking: Sequence, relevant: Relevant, k: int) -> float:
    """Share of the relevant items found among the first k (0.0 when nothing is relevant).

    >>> recall_at(["a", "x", "b"], {"a", "b", "c", "d"}, 2)
    0.25
    """
    g = {i for i, v in _grades(relevant).items() if v > 0}
    return len(g.intersection(ranking[:k])) / len(g) if g else 0.0


def mrr_at(ranking: Sequence, relevant: Relevant, k: int = RANK_DEPTH) -> float:
    """Reciprocal rank of the first relevant item within the first k, else 0."""
    r = first_relevant(ranking[:k], relevant)
    return 1.0 / r if r else 0.0


def ndcg_at(ranking: Sequence, relevant: Relevant, k: int) -> float:
    """nDCG@k with linear gains (the grade) and log2 discounts, as in BEIR/trec_eval.

    >>> round(ndcg_at(["x", "a"], {"a": 1}, 10), 4)
    0.6309
    >>> ndcg_at(["a", "b"], {"a": 2, "b": 1}, 2)
    1.0
    """
    g = _grades(relevant)
    seen: set = set()
    dcg = 0.0
    for i, item in enumerate(ranking[:k], 1):
        if item not in seen:
            dcg += g.get(item, 0) / math.log2(i + 1)
            seen.add(item)
    ideal = sorted((v for v in g.values() if v > 0), reverse=True)[:k]
    idcg = sum(v / math.log2(i + 1) for i, v in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


def question_scores(ranking: Sequence, relevant: Relevant, ks: Iterable[int] = KS) -> dict[str, float]:
    """Hit@k, reciprocal rank (within the first 10), recall@k and nDCG@k of one question.

    >>> question_scores([("a", 1), ("b", 2)], {("b", 2)})  # doctest: +NORMALIZE_WHITESPACE
    {'hit@1': 0.0, 'hit@5': 1.0, 'hit@10': 1.0, 'mrr': 0.5, 'recall@5': 1.0, 'recall@10': 1.0,
     'ndcg@5': 0.6309, 'ndcg@10': 0.6309}
    """
    ks = tuple(ks)
    out = {f"hit@{k}": hit_at(ranking, relevant, k) for k in ks}
    out["mrr"] = mrr_at(ranking, relevant, RANK_DEPTH)
    out.update({f"recall@{k}": recall_at(ranking, relevant, k) for k in ks if k > 1})
    out.update({f"ndcg@{k}": round(ndcg_at(ranking, relevant, k), 4) for k in ks if k > 1})
    return out


def hit_scores(ranking: Sequence, relevant: Relevant, ks: Iterable[int] = KS) -> dict[str, float]:
    """Only hit@k and MRR@10: for targets whose full count is unknown (element level).

    >>> hit_scores(["x", "fig"], {"fig"})
    {'hit@1': 0.0, 'hit@5': 1.0, 'hit@10': 1.0, 'mrr': 0.5}
    """
    out = {f"hit@{k}": hit_at(ranking, relevant, k) for k in ks}
    out["mrr"] = mrr_at(ranking, relevant, RANK_DEPTH)
    return out


def summarize(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of per-question scores, with the count under "n"."""
    if not rows:
        return {"n": 0}
    return {"n": len(rows), **{k: round(mean(r[k] for r in rows), 4) for k in rows[0]}}


def evaluate_run(qrels: Mapping[str, Mapping], run: Mapping[str, Mapping[Hashable, float]],
                 ks: Iterable[int] = KS) -> dict[str, float]:
    """Mean scores of a whole run over the queries of `qrels` that have a relevant item (a query
    missing from the run scores 0)."""
    rows = [question_scores(ranked(run.get(q, {})), rel, ks) for q, rel in qrels.items()
            if any(v > 0 for v in rel.values())]
    return summarize(rows)


def group_by(rows: Sequence[dict], key: str, field: str = "scores") -> dict[str, dict[str, float]]:
    """`summarize` per distinct value of `row[key]` (rows without that key are left out).

    >>> group_by([{"doc": "a", "scores": {"hit@1": 1.0}}, {"doc": "b", "scores": {"hit@1": 0.0}}], "doc")
    {'a': {'n': 1, 'hit@1': 1.0}, 'b': {'n': 1, 'hit@1': 0.0}}
    """
    keys = sorted({r[key] for r in rows if r.get(key) is not None and r.get(field)})
    return {k: summarize([r[field] for r in rows if r.get(key) == k and r.get(field)]) for k in keys}


def percentiles(values: Sequence[float], ps: Iterable[int] = (50, 95)) -> dict[str, float]:
    """Nearest-rank percentiles, rounded to 0.01.

    >>> percentiles([1, 2, 3, 4, 100], (50, 95, 99))
    {'p50': 3, 'p95': 100, 'p99': 100}
    """
    if not values:
        return {f"p{p}": 0.0 for p in ps}
    s = sorted(values)
    return {f"p{p}": round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 2) for p in ps}
