"""Element-level targets: was the right figure/table/formula chunk retrieved, not just its page.

The QA records name a page and a modality, not a region, so for figure/table/formula
questions the target is honestly "a chunk of that modality on an evidence page". Image
queries record where the picture was cut from (`crop_bbox_pt`), so their target is a
chunk on the page whose box overlaps that crop by at least half of the smaller box.
Other questions (text, page layout, multi-page) have no element target.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

ELEMENT_MODALITIES = ("figure", "table", "formula")
MIN_OVERLAP = 0.5
ELEMENT_TOP = 5  # chunks kept per question in results.jsonl to read element misses


def overlap(a: tuple, b: tuple) -> float:
    """Intersection area over the smaller box's area (0 when either box is empty).

    >>> overlap((0, 0, 10, 10), (5, 0, 10, 10)), overlap((0, 0, 1, 1), (2, 2, 3, 3))
    (1.0, 0.0)
    """
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return max(w, 0) * max(h, 0) / smaller if smaller > 0 else 0.0


def element_target(rec) -> Callable | None:
    """A predicate over chunks for one QA record, or None when it has no element target.

    >>> from unirag.eval.qa import QARecord
    >>> from unirag.rag.types import Chunk
    >>> rec = QARecord("q", "?", "table", "en", frozenset({("a", 2)}), True, "1", (), None)
    >>> is_target = element_target(rec)
    >>> is_target(Chunk("a", "table", 2, "t")), is_target(Chunk("a", "text", 2, "t"))
    (True, False)
    """
    if rec.crop_bbox and rec.relevant:
        return lambda c: ((c.doc_id, c.page) in rec.relevant and c.modality != "page"
                          and c.bbox is not None and overlap(c.bbox, rec.crop_bbox) >= MIN_OVERLAP)
    if rec.modality in ELEMENT_MODALITIES and rec.relevant:
        return lambda c: c.modality == rec.modality and (c.doc_id, c.page) in rec.relevant
    return None


def rank_elements(hits: Iterable, is_target: Callable, limit: int = 10) -> tuple[list[str], set[str]]:
    """The first `limit` chunk ids among the hits and which of them are targets."""
    ids, targets = [], set()
    for h in hits:
        if h.chunk.id not in ids:
            ids.append(h.chunk.id)
            if is_target(h.chunk):
                targets.add(h.chunk.id)
            if len(ids) == limit:
                break
    return ids, targets


def element_top(hits: Iterable, is_target: Callable, limit: int = ELEMENT_TOP) -> list[list]:
    """The first `limit` distinct chunks as [doc, page, modality, is_target], for reading why a
    question's element was missed (not parsed, or ranked below other chunks of its page)."""
    out: list[list] = []
    seen: set[str] = set()
    for h in hits:
        if h.chunk.id in seen:
            continue
        seen.add(h.chunk.id)
        out.append([h.chunk.doc_id, h.chunk.page, h.chunk.modality, bool(is_target(h.chunk))])
        if len(out) == limit:
            break
    return out
