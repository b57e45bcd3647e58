"""Page images on demand: one PDF page rendered to PNG with PyMuPDF, the cited region
outlined. The PDF is only read; the highlight is drawn on an in-memory copy.

>>> import tempfile, pathlib
>>> from unirag.parsers.samples import make_sample_pdf
>>> pdf = make_sample_pdf(pathlib.Path(tempfile.mkdtemp()) / "s.pdf")
>>> page = PageRenderer().render(pdf, 1, bbox=(60, 60, 300, 120))
>>> page.png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", page.pages, page.size
(True, 3, (595.0, 842.0))
"""
from __future__ import annotations

import functools
import stat
from dataclasses import dataclass
from pathlib import Path

from unirag.rag.types import Document



def source_state(source: str | Path, sha256: str) -> str:
    """Whether a document's source file is still the one that was ingested ("ingested": same
    SHA-256 as stored), is gone ("missing") or holds something else ("changed"). A store names
    its source paths and is not trusted: the server shows, re-reads or removes only the file it
    ingested, never another file a store points at.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.pdf"
    >>> _ = f.write_bytes(b"%PDF-1.4")
    >>> source_state(f, Document.file_sha256(f)), source_state(f, "0" * 64), source_state(f.with_name("b.pdf"), "")
    ('ingested', 'changed', 'missing')
    """
    try:
        st = Path(source).stat()
    except OSError:
        return "missing"
    if not stat.S_ISREG(st.st_mode):
        return "missing"
    return "ingested" if sha256 and _sha256(str(source), st.st_size, st.st_mtime_ns) == sha256 else "changed"


@functools.lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:  # size and time key the cache: a rewrite is hashed again
    return Document.file_sha256(path)


class PageRenderError(LookupError):
    """The page cannot be rendered (file gone, not a PDF, no such page). The message names the
    file; `reason` alone does not, for answers a server sends to its users."""

    def __init__(self, pdf: Path, reason: str):
        super().__init__(f"{pdf}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class PageImage:
    """A rendered page: the PNG, the document's page count and the page's size in PDF points
    (for a viewer to page through the document and find the outlined region on the image)."""

    png: bytes
    pages: int
    size: tuple[float, float]


class PageRenderer:
    """Renders page `page` (1-based) of a PDF to PNG bytes, with `bbox` (PDF points) outlined."""

    def __init__(self, zoom: float = 1.5, color: tuple[float, float, float] = (0.95, 0.1, 0.1)):
        self.zoom = float(zoom)
        self.color = tuple(color)

    def to_dict(self) -> dict:
        return {"zoom": self.zoom, "color": list(self.color)}

    def render(self, pdf: str | Path, page: int, bbox: tuple[float, float, float, float] | None = None) -> PageImage:
        import pymupdf

        pdf = Path(pdf)
        if not pdf.is_file():
            raise PageRenderError(pdf, "the source file is no longer there (moved or deleted); "
                                       "re-ingest it to see its pages")
        try:
            doc = pymupdf.open(pdf)
        except Exception as e:
            raise PageRenderError(pdf, "the source file cannot be opened as a PDF") from e
        with doc:
            if not 1 <= page <= doc.page_count:
                raise PageRenderError(pdf, f"expected a page from 1 to {doc.page_count}, got {page}")
            p = doc[page - 1]
            if bbox is not None:
                r = pymupdf.Rect(bbox) & p.rect  # keep it on the page
                if not r.is_empty:
                    p.draw_rect(r + (-3, -3, 3, 3), color=self.color, fill=(1.0, 0.9, 0.2),
                                fill_opacity=0.18, width=2.5, overlay=True)
            png = p.get_pixmap(matrix=pymupdf.Matrix(self.zoom, self.zoom), alpha=False).tobytes("png")
            return PageImage(png, doc.page_count, (round(p.rect.width, 2), round(p.rect.height, 2)))
