"""Pure retrieval metrics over plain data: rankings of (doc, page) and sets of relevant pages."""
from __future__ import annotations

from statistics import mean
from typing import Iterable, Sequence

KS = (1, 5, 10)


def rank_pages(hits: Iterable, limit: int = 10) -> list[tuple[str, int]]:
    """Distinct (doc, page) pairs in the order their first chunk appears among the hits."""
    out: list[tuple[str, int]] = []
    for h in hits:
        key = (h.chunk.doc_id, h.chunk.page)
        if key not in out:
            out.append(key)
            if len(out) == limit:
                break
    return out


def first_relevant(ranking: Sequence, relevant: set | frozenset) -> int | None:
    """1-based rank of the first relevant item, or None."""
    return next((i for i, item in enumerate(ranking, 1) if item in relevant), None)


def question_scores(ranking: Sequence, relevant: set | frozenset, ks: Iterable[int] = KS) -> dict[str, float]:
    """Hit@k and reciprocal rank (within the first 10) of one question.

    >>> question_scores([("a", 1), ("b", 2)], {("b", 2)})
    {'hit@1': 0.0, 'hit@5': 1.0, 'hit@10': 1.0, 'mrr': 0.5}
    """
    r = first_relevant(ranking[:10], relevant)
    out = {f"hit@{k}": float(r is not None and r <= k) for k in ks}
    out["mrr"] = 1.0 / r if r else 0.0
    return out


def summarize(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of per-question scores, with the count under "n"."""
    if not rows:
        return {"n": 0}
    return {"n": len(rows), **{k: round(mean(r[k] for r in rows), 4) for k in rows[0]}}


def percentiles(values: Sequence[float], ps: Iterable[int] = (50, 95)) -> dict[str, float]:
    if not values:
        return {f"p{p}": 0.0 for p in ps}
    s = sorted(values)
    return {f"p{p}": round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 2) for p in ps}
