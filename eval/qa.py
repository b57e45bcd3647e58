"""QA sets as plain records (the format of the shared corpus README): one JSON object a line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple


class QARecord(NamedTuple):
    id: str
    question: str
    modality: str
    lang: str
    relevant: frozenset  # {(doc, page)} from evidence_pages + alt_pages (or doc/page)
    answerable: bool
    answer: str
    aliases: tuple
    query_image: Path | None
    crop_bbox: tuple | None = None  # image queries: where on the page the picture was cut (points)
    doc: str | None = None  # the record's main document (first evidence page's, if not given)
    in_text: bool | None = None  # whether the answer is printed in the evidence pages' text layer


def _page(e: dict | int, doc: str | None) -> tuple[str | None, int]:
    """An evidence entry: {"doc", "page"}, or a bare page number of the record's own doc."""
    return (e["doc"], int(e["page"])) if isinstance(e, dict) else (doc, int(e))


def _pages(rec: dict) -> frozenset:
    pages = [_page(e, rec.get("doc")) for key in ("evidence_pages", "alt_pages") for e in rec.get(key) or []]
    if not pages and rec.get("doc") and rec.get("page") is not None:
        pages = [(rec["doc"], int(rec["page"]))]
    return frozenset(pages)


def load_qa(path: str | Path, modality: str | None = None) -> list[QARecord]:
    """Read a QA JSONL file; relative `query_image` paths resolve against the file's folder."""
    path = Path(path)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            image = (path.parent / r["query_image"]) if r.get("query_image") else None
            answerable = r.get("answerable", r.get("answer") != "UNANSWERABLE") and r.get("page") is not None
            out.append(QARecord(
                id=str(r["id"]), question=r.get("question", ""), modality=modality or r.get("modality", "text"),
                lang=r.get("lang", "en"), relevant=_pages(r), answerable=bool(answerable),
                answer=str(r.get("answer", "")), aliases=tuple(r.get("answer_aliases") or ()), query_image=image,
                crop_bbox=tuple(map(float, r["crop_bbox_pt"])) if r.get("crop_bbox_pt") else None,
                doc=r.get("doc") or next((d for d, _ in sorted(_pages(r))), None),
                in_text=r.get("answer_in_text")))
        except (KeyError, ValueError, TypeError) as e:
            raise ValueError(f"{path}:{n}: expected a QA record with id/question/doc/page, got error {e!r}") from e
    return out
