"""Context assembly: retrieved hits in, numbered evidence sources for a prompt out.

A figure, table or formula brings its caption and the text around it or referring to it
(`Chunk.caption`, `Chunk.context`, and any retrieved chunk it `links` to). Duplicates are
merged: the same chunk twice, a whole-page hit and element hits on that page (the page
adds only the lines the elements do not already hold), elements whose regions overlap.
Sources are grouped by page, numbered in order, and cut to a token budget; what was cut
is said in `Context.cut`. Instruction-like sentences are removed (`guard.drop_instructions`)
and listed in `Context.removed`.

>>> from unirag.rag.types import Chunk, Hit
>>> page = Chunk(doc_id="d", modality="page", page=2, text="Results\\nTable 1: Capacity\\n| site | % |\\n| A | 97 |")
>>> table = Chunk(doc_id="d", modality="table", page=2, text="| site | % |\\n| A | 97 |", caption="Table 1: Capacity")
>>> ctx = build_context([Hit(table, 0.9), Hit(page, 0.8), Hit(table, 0.7)])
>>> print(ctx.render())
[1] d p.2 (table)
Table 1: Capacity
| site | % |
| A | 97 |
Also on this page: Results
>>> [c.label() for c in ctx.citations()]
['[d p.2]']
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from collections.abc import Sequence

from unirag.rag.generation.extractive import citation
from unirag.rag.generation.guard import drop_instructions
from unirag.rag.text import tokenize
from unirag.rag.types import Chunk, Citation, Hit

_CJK = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]")
ELEMENTS = ("figure", "table", "formula", "image")
_CITE_FIRST = {"image": 1, "text": 2, "page": 3}  # figures, tables and formulas: 0
MIN_PART_TOKENS = 40  # a source is truncated to fit the budget only if this much of it still fits


def estimate_tokens(text: str) -> int:
    """A cheap token count: one per CJK character, one per four other characters.

    >>> estimate_tokens("twelve chars"), estimate_tokens("电池容量")
    (3, 4)
    """
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


@dataclass(frozen=True)
class Source:
    """One numbered piece of evidence: merged hits (the first is the one cited) and the text shown."""

    number: int
    hits: tuple[Hit, ...]
    text: str
    tokens: int

    @property
    def chunk(self) -> Chunk:
        return self.hits[0].chunk

    @property
    def citation(self) -> Citation:
        return citation(self.hits[0])

    def citation_for(self, answer: str) -> Citation:
        """The merged hit that shares most words with `answer` (an element before its whole page)."""
        words = set(tokenize(answer))
        shared = [len(words & set(tokenize(f"{h.chunk.caption} {h.chunk.text}"))) for h in self.hits]
        best = max(range(len(self.hits)), key=lambda i: (shared[i], self.hits[i].chunk.modality != "page", -i))
        return citation(self.hits[best])

    def header(self) -> str:
        c = self.chunk
        return f"[{self.number}] {c.doc_id} p.{c.page} ({c.modality})"

    def visuals(self) -> tuple[Hit, ...]:
        """Merged hits that are figures, tables or formulas with a crop (bytes or a file)."""
        return tuple(h for h in self.hits if h.chunk.modality in ELEMENTS and (h.chunk.image or h.crop_path))


@dataclass(frozen=True)
class Context:
    sources: tuple[Source, ...]
    tokens: int
    cut: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def render(self) -> str:
        return "\n\n".join(f"{s.header()}\n{s.text}" for s in self.sources)

    def source(self, number: int) -> Source | None:
        return next((s for s in self.sources if s.number == number), None)

    def citations(self) -> list[Citation]:
        return [s.citation for s in self.sources]


def _overlap(a: Chunk, b: Chunk) -> float:
    """Share of the smaller box covered by the intersection of two boxes (0 without boxes)."""
    if a.bbox is None or b.bbox is None:
        return 0.0
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a.bbox, b.bbox
    w = min(ax1, bx1) - max(ax0, bx0)
    h = min(ay1, by1) - max(ay0, by0)
    area = min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
    return max(w, 0) * max(h, 0) / area if area > 0 else 0.0


def _same_unit(a: Chunk, b: Chunk) -> bool:
    """Whether two distinct chunks belong in one source."""
    if a.doc_id != b.doc_id:
        return False
    if a.page == b.page and "page" in (a.modality, b.modality):
        return True
    if a.modality in ELEMENTS and b.id in a.links or b.modality in ELEMENTS and a.id in b.links:
        return True
    return a.page == b.page and a.modality != "text" and b.modality != "text" and _overlap(a, b) >= 0.8


def _groups(hits: list[Hit]) -> list[list[Hit]]:
    """Union the ranked, unique hits into sources; each group keeps rank order."""
    parent = list(range(len(hits)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(hits)):
        for j in range(i):
            if _same_unit(hits[i].chunk, hits[j].chunk):
                parent[root(i)] = root(j)
    groups: dict[int, list[Hit]] = {}
    for i, h in enumerate(hits):
        groups.setdefault(root(i), []).append(h)
    out = []
    for g in groups.values():  # the cited hit: the best element, else the best text, else the page
        g.sort(key=lambda h: _CITE_FIRST.get(h.chunk.modality, 0))
        out.append(g)
    return out


def _element_text(c: Chunk, group: list[Hit]) -> str:
    lines = []
    if c.caption and c.caption.strip() not in c.text:
        lines.append(c.caption.strip())
    lines.append(c.text.strip())
    linked_text = any(h.chunk.id in c.links and h.chunk.modality == "text" for h in group)
    if c.context and not linked_text:
        lines.append(f"Nearby text: {c.context.strip()}")
    return "\n".join(x for x in lines if x)


def _body(group: list[Hit]) -> str:
    first, rest = group[0].chunk, [h.chunk for h in group[1:]]
    if first.modality == "page":
        return first.text.strip()
    parts = [_element_text(first, group) if first.modality in ELEMENTS else first.text.strip()]
    for c in sorted((c for c in rest if c.modality != "page"), key=lambda c: (c.page, c.order)):
        text = _element_text(c, group) if c.modality in ELEMENTS else c.text.strip()
        parts.append(text if c.page == first.page else f"(p.{c.page}) {text}")
    shown = " ".join(" ".join(parts).split())
    for page in (c for c in rest if c.modality == "page"):
        extra = [ln.strip() for ln in page.text.splitlines() if ln.strip() and " ".join(ln.split()) not in shown]
        if extra:
            parts.append("Also on this page: " + " ".join(extra))
    return "\n".join(parts)


def _truncate(text: str, tokens: int) -> str:
    out = text[: max(tokens, 1) * 4]
    while estimate_tokens(out) > tokens and len(out) > 1:
        out = out[: int(len(out) * 0.9)]
    return (out.rsplit(" ", 1)[0] if " " in out else out) + " …"


def build_context(hits: Sequence[Hit], max_tokens: int = 1200) -> Context:
    """Numbered sources from ranked `hits`, grouped by page, within `max_tokens` (estimated)."""
    if max_tokens < MIN_PART_TOKENS:
        raise ValueError(f"build_context: expected max_tokens >= {MIN_PART_TOKENS}, got {max_tokens}")
    unique: dict[str, Hit] = {}
    for h in hits:
        unique.setdefault(h.chunk.id, h)
    groups = _groups(list(unique.values()))
    page_rank: dict[tuple[str, int], int] = {}
    for rank, h in enumerate(unique.values()):
        page_rank.setdefault((h.chunk.doc_id, h.chunk.page), rank)
    groups.sort(key=lambda g: (page_rank[(g[0].chunk.doc_id, g[0].chunk.page)], g[0].chunk.order))

    sources: list[Source] = []
    cut: list[str] = []
    removed: list[str] = []
    used = 0
    for group in groups:
        text, dropped = drop_instructions(_body(group))
        removed.extend(dropped)
        c = group[0].chunk
        what = f"{c.doc_id} p.{c.page} ({c.modality})"
        if not text:
            cut.append(f"{what}: nothing left after removing instruction-like text")
            continue
        header = estimate_tokens(f"[{len(sources) + 1}] {what}") + 1
        need = header + estimate_tokens(text)
        room = max_tokens - used
        if need > room:
            if room - header < MIN_PART_TOKENS:
                cut.append(f"{what}: dropped, {need} tokens over the {max_tokens}-token budget")
                continue
            text = _truncate(text, room - header)
            cut.append(f"{what}: truncated to {room} of {need} tokens")
            need = header + estimate_tokens(text)
        sources.append(Source(len(sources) + 1, tuple(group), text, need))
        used += need
    return Context(tuple(sources), used, tuple(cut), tuple(removed))
