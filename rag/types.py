"""Data carriers shared by every stage: Document, Chunk, Query, Hit, Citation, Answer.

Each is a frozen dataclass validated on construction. Ids are content hashes, so the
same content always gets the same id and re-ingesting cannot duplicate it.

>>> c = Chunk(doc_id="report", modality="table", page=2, text="| a | b |", bbox=(10, 20, 200, 80))
>>> c.id == Chunk(doc_id="report", modality="table", page=2, text="| a | b |", bbox=(10, 20, 200, 80)).id
True
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MODALITIES = ("text", "figure", "table", "formula", "image", "page")
VISUAL_MODALITIES = ("figure", "table", "formula", "image", "page")

BBox = tuple[float, float, float, float]


def content_hash(*parts: object, n: int = 16) -> str:
    """Stable hex digest of the given parts (used for chunk and document ids)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, ensure_ascii=False, sort_keys=True, default=str).encode())
        h.update(b"\x1f")
    return h.hexdigest()[:n]


def _check_bbox(bbox: object, where: str) -> BBox | None:
    if bbox is None:
        return None
    if not isinstance(bbox, (tuple, list)) or len(bbox) != 4:
        raise ValueError(f"{where}: expected bbox as 4 numbers (x0, y0, x1, y1), got {bbox!r}")
    x0, y0, x1, y1 = (round(float(v), 2) for v in bbox)
    if x1 < x0 or y1 < y0:
        raise ValueError(f"{where}: expected x0<=x1 and y0<=y1 in bbox, got {bbox!r}")
    return (x0, y0, x1, y1)


@dataclass(frozen=True)
class Chunk:
    """One retrievable unit of a document: a text block, figure, table, formula, image or page.

    `text` is the text surrogate every chunk has (for visual chunks: caption, text inside
    the figure, table markdown, formula text). `image` holds a PNG crop for visual chunks.
    `bbox` is in PDF points on `page` (1-based). `order` is the reading-order position in
    the document; `section` is the heading path ("2 Method > 2.1 Data"). `context` is text
    that helps find the chunk without being part of it (filled by `unirag.rag.context.contextualize`).
    """

    doc_id: str
    modality: str
    page: int
    text: str
    bbox: BBox | None = None
    order: int = 0
    section: str = ""
    caption: str = ""
    image: bytes | None = field(default=None, repr=False, compare=False)
    links: tuple[str, ...] = ()  # ids of linked chunks (caption neighbours, referring paragraphs)
    context: str = ""  # text pulled along for search: document title, neighbouring/referring text
    meta: dict = field(default_factory=dict, compare=False)
    id: str = ""

    def __post_init__(self) -> None:
        where = f"Chunk(doc_id={self.doc_id!r}, page={self.page!r})"
        if not isinstance(self.doc_id, str) or not self.doc_id:
            raise ValueError(f"{where}: expected a non-empty doc_id string, got {self.doc_id!r}")
        if self.modality not in MODALITIES:
            raise ValueError(f"{where}: expected modality in {MODALITIES}, got {self.modality!r}")
        if not isinstance(self.page, int) or self.page < 1:
            raise ValueError(f"{where}: expected page as an int >= 1, got {self.page!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"{where}: expected text as str, got {type(self.text).__name__}")
        if self.image is not None and not isinstance(self.image, bytes):
            raise ValueError(f"{where}: expected image as PNG bytes, got {type(self.image).__name__}")
        object.__setattr__(self, "bbox", _check_bbox(self.bbox, where))
        object.__setattr__(self, "links", tuple(self.links))
        if not self.id:
            object.__setattr__(
                self, "id", content_hash(self.doc_id, self.modality, self.page, self.bbox, self.text)
            )

    @property
    def is_visual(self) -> bool:
        return self.modality in VISUAL_MODALITIES


@dataclass(frozen=True)
class Document:
    """A parsed source file: its id (file stem by default), content hash, pages and chunks."""

    doc_id: str
    source: str
    sha256: str
    n_pages: int
    chunks: tuple[Chunk, ...] = ()
    title: str = ""
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.doc_id:
            raise ValueError(f"Document({self.source!r}): expected a non-empty doc_id")
        object.__setattr__(self, "chunks", tuple(self.chunks))
        bad = [c.id for c in self.chunks if c.doc_id != self.doc_id]
        if bad:
            raise ValueError(f"Document({self.doc_id!r}): chunks {bad[:3]} belong to another doc_id")

    @staticmethod
    def file_sha256(path: str | Path) -> str:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()


@dataclass(frozen=True)
class Query:
    """What a user asks: text, an image (PNG/JPEG bytes), or both; plus metadata filters."""

    text: str = ""
    image: bytes | None = field(default=None, repr=False)
    modalities: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ValueError(f"Query: expected text as str, got {type(self.text).__name__}")
        if not self.text.strip() and not self.image:
            raise ValueError("Query: expected non-empty text or an image, got neither")
        unknown = set(self.modalities) - set(MODALITIES)
        if unknown:
            raise ValueError(f"Query: expected modalities from {MODALITIES}, got {sorted(unknown)}")
        object.__setattr__(self, "modalities", tuple(self.modalities))
        object.__setattr__(self, "doc_ids", tuple(self.doc_ids))
        object.__setattr__(self, "pages", tuple(int(p) for p in self.pages))


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score (higher is better) and where the score came from."""

    chunk: Chunk
    score: float
    sources: tuple[str, ...] = ()  # e.g. ("dense", "bm25")
    crop_path: str = ""


def hit_pages(hits: Iterable[Hit], limit: int) -> list[tuple[str, int]]:
    """Distinct (doc, page) pairs in the order their first chunk appears among the hits, at most `limit`."""
    out: list[tuple[str, int]] = []
    for h in hits:
        key = (h.chunk.doc_id, h.chunk.page)
        if key not in out:
            out.append(key)
            if len(out) == limit:
                break
    return out


@dataclass(frozen=True)
class Citation:
    """Where an answer's evidence is: document, page, region (bbox in PDF points) and chunk."""

    doc_id: str
    page: int
    bbox: BBox | None
    chunk_id: str
    modality: str
    source: str = ""

    def label(self) -> str:
        return f"[{self.doc_id} p.{self.page}]"


@dataclass(frozen=True)
class Evidence:
    """One retrieved hit as shown beside an answer: where it is and how strongly it was found."""

    doc_id: str
    page: int
    modality: str
    bbox: BBox | None
    score: float
    crop_path: str = ""
    chunk_id: str = ""
    sources: tuple[str, ...] = ()

    @classmethod
    def from_hit(cls, hit: Hit) -> Evidence:
        c = hit.chunk
        return cls(c.doc_id, c.page, c.modality, c.bbox, round(float(hit.score), 6), hit.crop_path, c.id,
                   tuple(hit.sources))

    def label(self) -> str:
        return f"[{self.doc_id} p.{self.page}]"


ANSWER_STATUSES = ("answered", "deferred", "refused")
EVIDENCE_HITS = 5  # how many top hits every answer carries as evidence when none are given


@dataclass(frozen=True)
class Answer:
    """An answer: `short` is the value itself (empty when none was extracted), `text` the readable
    reply with citations, `evidence` the top hits (on every answer, refusals included).

    `status` is "answered", "deferred" (the answer can only be seen in a cited figure) or
    "refused" (the documents do not appear to hold it); `found` is False exactly when refused.

    >>> a = Answer("q", "Not found.", found=False)
    >>> a.status, a.found, a.evidence
    ('refused', False, ())
    >>> Answer("q", "See Figure 2.", status="deferred").found
    True
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    generator: str = ""
    found: bool = True
    short: str = ""
    evidence: tuple[Evidence, ...] = ()
    status: str = ""

    def __post_init__(self) -> None:
        status = self.status or ("answered" if self.found else "refused")
        if status not in ANSWER_STATUSES:
            raise ValueError(f"Answer: expected status in {ANSWER_STATUSES}, got {self.status!r}")
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "found", status != "refused")
        object.__setattr__(self, "hits", tuple(self.hits))
        object.__setattr__(self, "citations", tuple(self.citations))
        evidence = tuple(self.evidence) or tuple(Evidence.from_hit(h) for h in self.hits[:EVIDENCE_HITS])
        object.__setattr__(self, "evidence", evidence)
