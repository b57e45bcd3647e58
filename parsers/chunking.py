"""Turns page units into `Chunk`s: merges text blocks into paragraph-sized chunks, keeps
the section path and reading order, and links visual chunks to their text neighbours."""
from __future__ import annotations

import re
from dataclasses import replace

from unirag.rag.types import Chunk

from unirag.parsers.layout import SectionPath, Unit, union

MIN_CHARS, TARGET_CHARS = 300, 1200
_FAMILY = {"f": r"(?:Figure|Fig\.?)", "t": r"(?:Table|Tab\.)", "图": "图", "表": "表"}
_LABEL = re.compile(r"^(Figure|Fig\.?|FIGURE|Table|TABLE|Tab\.|图|表)\s*([A-Z]?[\dIVX]+(?:[.\-]\d+)?)")


class ChunkBuilder:
    """Feed pages in order with `add_page`, then call `chunks()` once."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        self.section = SectionPath()
        self._order = 0
        self._chunks: list[Chunk] = []
        self._pending: list[Unit] = []
        self._pending_meta: tuple[int, str] = (0, "")  # order, section of the pending text chunk

    def add_page(self, page_no: int, units: list[Unit], page_text: str, page_box) -> None:
        self._emit("page", page_no, page_text, page_box)
        for u in units:
            if u.kind == "heading":
                if any(p.kind != "heading" for p in self._pending):
                    self._flush(page_no)
                self.section.push(u.level, u.text)
                self._append(u)
                self._pending_meta = (self._pending_meta[0], str(self.section))
            elif u.kind == "text":
                size = sum(len(p.text) + 1 for p in self._pending)
                if size >= MIN_CHARS and (size + len(u.text) > TARGET_CHARS or self._new_column(u)):
                    self._flush(page_no)
                self._append(u)
            else:
                if u.kind != "formula":
                    self._flush(page_no)
                self._emit(u.kind, page_no, u.text, u.bbox, caption=u.payload.get("caption", ""),
                           image=u.payload.get("image"), meta=_meta(u))
        self._flush(page_no)

    def chunks(self) -> list[Chunk]:
        return _continued(_link(sorted(self._chunks, key=lambda c: c.order)))

    def _new_column(self, u: Unit) -> bool:
        """The unit starts higher up or beside the pending text: a column break."""
        if not self._pending:
            return False
        box = union(p.bbox for p in self._pending)
        return u.bbox[1] < box[1] - 5 or u.bbox[0] >= box[2] or u.bbox[2] <= box[0]

    def _append(self, u: Unit) -> None:
        if not self._pending:
            self._pending_meta = (self._next_order(), str(self.section))
        self._pending.append(u)

    def _flush(self, page_no: int) -> None:
        if not self._pending:
            return
        text = "\n".join(u.text for u in self._pending)
        order, section = self._pending_meta
        self._chunks.append(Chunk(doc_id=self.doc_id, modality="text", page=page_no, text=text,
                                  bbox=union(u.bbox for u in self._pending), order=order, section=section))
        self._pending = []

    def _emit(self, modality, page_no, text, bbox, caption="", image=None, meta=None) -> None:
        self._chunks.append(Chunk(doc_id=self.doc_id, modality=modality, page=page_no, text=text,
                                  bbox=tuple(bbox), order=self._next_order(), section=str(self.section),
                                  caption=caption, image=image, meta=meta or {}))

    def _next_order(self) -> int:
        self._order += 1
        return self._order - 1


def _meta(u: Unit) -> dict:
    return {k: v for k, v in u.payload.items() if k not in ("image", "caption")}


def _continued(chunks: list[Chunk]) -> list[Chunk]:
    """Marks a table split across pages: an uncaptioned table that opens a page (no text chunk
    before it) with as many columns as the table that closes the page before (no text chunk
    after it) gets `meta["continues"]`, the id of that table."""
    out = list(chunks)
    last_on_page: dict[int, Chunk] = {}
    first_on_page: dict[int, Chunk] = {}
    for c in chunks:
        if c.modality in ("text", "table", "figure"):
            last_on_page[c.page] = c
            first_on_page.setdefault(c.page, c)
    for i, c in enumerate(out):
        prev = last_on_page.get(c.page - 1)
        if c.modality == "table" and not c.caption and first_on_page.get(c.page) is c and prev is not None \
                and prev.modality == "table" and prev.meta.get("cols") == c.meta.get("cols"):
            out[i] = replace(c, meta={**c.meta, "continues": prev.id}, id=c.id)
    return out


def _link(chunks: list[Chunk]) -> list[Chunk]:
    """Links each figure/table/formula to the text chunks just before and after it on its
    page, and to text chunks that mention its label ("Figure 2", "Table 1")."""
    texts = [c for c in chunks if c.modality == "text"]
    out = []
    for c in chunks:
        if c.modality not in ("figure", "table", "formula"):
            out.append(c)
            continue
        same_page = [t for t in texts if t.page == c.page]
        before = [t for t in same_page if t.order < c.order][-1:]
        after = [t for t in same_page if t.order > c.order][:1]
        links = [t.id for t in before + after]
        m = _LABEL.match(c.caption)
        if m:
            word = _FAMILY[m.group(1)[0].lower()]
            ref = re.compile(rf"{word}\s*{re.escape(m.group(2))}(?![\d.])", re.I)
            links += [t.id for t in texts if ref.search(t.text) and t.id not in links][:3]
        out.append(replace(c, links=tuple(links), id=c.id))
    return out
