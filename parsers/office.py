"""DOCX, PPTX and HTML through `unstructured` (pip install 'unirag[office]'), mapped onto the
same chunk kinds as PDFs: text (grouped under their heading path), table (markdown surrogate,
HTML in `meta["html"]`, caption linked), formula, and one `page` chunk per page or slide.
Office files carry no page geometry, so chunks have no bbox; pages are slide numbers for PPTX
and page-break counts for DOCX.

unstructured's element classifier counts sentences with a spaCy model it downloads on first
use; offline (here, in CI) we hand it a rule-based spaCy sentencizer instead.
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from unirag.rag.factory import require
from unirag.rag.types import Chunk, Document

from unirag.parsers.base import ParseError
from unirag.parsers.captions import TABLE_RE
from unirag.parsers.chunking import TARGET_CHARS, _link
from unirag.parsers.layout import SectionPath
from unirag.parsers.tables import to_markdown

log = logging.getLogger(__name__)
OFFICE_SUFFIXES = (".docx", ".pptx", ".html", ".htm")
TEXT_KINDS = ("NarrativeText", "Text", "UncategorizedText", "ListItem", "Address", "EmailAddress",
              "FigureCaption", "Title", "Header")


@functools.lru_cache(maxsize=1)
def _sentencizer():
    spacy = require("spacy", "office")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _partition(path: Path) -> list:
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    require("unstructured", "office")
    import unstructured.nlp.tokenize as tokenize
    from unstructured.partition.auto import partition

    try:
        import spacy

        spacy.load("en_core_web_sm")
    except (ImportError, OSError):
        tokenize._get_nlp = _sentencizer  # no model installed: do not try to download one
    return partition(filename=str(path), skip_infer_table_types=[])


def html_rows(html: str) -> list[list[str]]:
    """Cell texts of an HTML table, row by row.

    >>> html_rows("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td> 2 </td></tr></table>")
    [['a', 'b'], ['1', '2']]
    """
    from lxml import html as lhtml

    root = lhtml.fromstring(html)
    return [[" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")] for tr in root.iter("tr")]


class OfficeParser:
    """Parses .docx/.pptx/.html files with unstructured.

    >>> OfficeParser().to_dict()
    {'name': 'office'}
    """

    def to_dict(self) -> dict:
        return {"name": "office"}

    def parse(self, path: str | Path, doc_id: str | None = None) -> Document:
        path = Path(path)
        if path.suffix.lower() not in OFFICE_SUFFIXES:
            raise ParseError(path, f"not an office file: expected one of {OFFICE_SUFFIXES}")
        try:
            elements = _partition(path)
        except ImportError:
            raise
        except Exception as e:
            raise ParseError(path, f"cannot read it as {path.suffix.lower()[1:].upper()} "
                                   f"({type(e).__name__}: {e})") from e
        doc_id = doc_id or path.stem
        chunks = _Builder(doc_id).build(elements)
        if not chunks:
            raise ParseError(path, "no text found in the file")
        title = next((c.text for c in chunks if c.modality == "text"), "").split("\n")[0][:200]
        return Document(doc_id=doc_id, source=str(path), sha256=Document.file_sha256(path),
                        n_pages=max(c.page for c in chunks), chunks=tuple(chunks), title=title)


class _Builder:
    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        self.section = SectionPath()
        self.chunks: list[Chunk] = []
        self.pending: list[str] = []
        self.pending_section = ""
        self.page_text: dict[int, list[str]] = {}
        self.page = 1

    def build(self, elements: list) -> list[Chunk]:
        captions = [i for i, e in enumerate(elements) if TABLE_RE.match(e.text or "")]
        used: set[int] = set()
        for i, e in enumerate(elements):
            page = getattr(e.metadata, "page_number", None) or self.page
            if page != self.page:
                self._flush()
                self.page = page
            text = (e.text or "").strip()
            kind = e.category
            if kind == "PageBreak" or not text or i in used:
                continue
            self.page_text.setdefault(self.page, []).append(text)
            if kind == "Table":
                cap = next((j for j in (i - 1, i + 1) if j in captions and j not in used), None)
                if cap is not None:
                    used.add(cap)
                    self._drop_pending_caption(elements[cap].text.strip())
                self._table(e, elements[cap].text.strip() if cap is not None else "")
            elif kind == "Formula":
                self._flush()
                self._emit("formula", text)
            elif kind == "Title" and (getattr(e.metadata, "category_depth", None) or 0) <= 2:
                self._flush()
                self.section.push(int(getattr(e.metadata, "category_depth", None) or 0), text)
                self._add_text(text)
            elif kind in TEXT_KINDS or kind == "Title":
                self._add_text(text)
        self._flush()
        for page, texts in sorted(self.page_text.items()):
            self.chunks.append(Chunk(doc_id=self.doc_id, modality="page", page=page, text="\n".join(texts),
                                     order=len(self.chunks)))
        return _link(sorted(self.chunks, key=lambda c: c.order))

    def _add_text(self, text: str) -> None:
        if sum(len(t) + 1 for t in self.pending) + len(text) > TARGET_CHARS:
            self._flush()
        if not self.pending:
            self.pending_section = str(self.section)
        self.pending.append(text)

    def _drop_pending_caption(self, caption: str) -> None:
        if self.pending and self.pending[-1] == caption:
            self.pending.pop()

    def _flush(self) -> None:
        if self.pending:
            self.chunks.append(Chunk(doc_id=self.doc_id, modality="text", page=self.page,
                                     text="\n".join(self.pending), order=len(self.chunks),
                                     section=self.pending_section))
            self.pending = []

    def _table(self, element, caption: str) -> None:
        self._flush()
        html = getattr(element.metadata, "text_as_html", None) or ""
        rows = [r for r in html_rows(html) if any(r)] if html else []
        width = max((len(r) for r in rows), default=0)
        body = to_markdown([r + [""] * (width - len(r)) for r in rows]) if width else element.text
        self._emit("table", f"{caption}\n{body}" if caption else body, caption=caption, meta={"html": html})

    def _emit(self, modality: str, text: str, caption: str = "", meta: dict | None = None) -> None:
        self.chunks.append(Chunk(doc_id=self.doc_id, modality=modality, page=self.page, text=text,
                                 order=len(self.chunks), section=str(self.section), caption=caption,
                                 meta=meta or {}))

