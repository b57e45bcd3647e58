"""PNG/JPEG (and other raster) files as `image` documents.

The picture becomes one `image` chunk (a PNG of it, its OCR text as the surrogate) and, so
that a scanned page or a photographed table is searchable in the same way as a PDF page, it is
also placed on a one-page PDF and run through `PdfParser` with OCR (text blocks, tables and
figures found on it, and the `page` chunk).

>>> ImageParser().to_dict()["name"]
'image'
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pymupdf

from unirag.rag.types import Chunk, Document

from unirag.parsers.base import ParseError
from unirag.parsers.pymupdf_parser import PdfParser

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
MAX_PIXELS = 60_000_000  # decompression-bomb guard
MAX_SIDE = 2400  # larger pictures are scaled down before OCR and storage
ASSUMED_DPI = 150  # the picture is placed on the page at this resolution


def _normalized_png(path: Path) -> bytes:
    """RGB PNG of the file's first frame, at most MAX_SIDE pixels on a side."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, with a clearer message
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ParseError(path, f"image of {im.width}x{im.height} pixels is larger than the "
                                       f"{MAX_PIXELS:,}-pixel limit (decompression bomb?)")
            im.seek(0)
            rgb = im.convert("RGB")
            rgb.thumbnail((MAX_SIDE, MAX_SIDE))
            buf = io.BytesIO()
            rgb.save(buf, "PNG")
            return buf.getvalue()
    except ParseError:
        raise
    except Exception as e:
        raise ParseError(path, f"cannot decode it as an image ({type(e).__name__}: {e})") from e


class ImageParser:
    """Parses one raster image file into a `Document` with an `image` chunk."""

    def __init__(self, ocr_languages: str = "eng+chi_sim", ocr: str = "force") -> None:
        self.ocr_languages = ocr_languages
        self.ocr = ocr

    def to_dict(self) -> dict:
        return {"name": "image", "ocr_languages": self.ocr_languages, "ocr": self.ocr}

    def parse(self, path: str | Path, doc_id: str | None = None) -> Document:
        path = Path(path)
        doc_id = doc_id or path.stem
        png = _normalized_png(path)
        pdf = pymupdf.open()
        w, h = pymupdf.open("png", png)[0].rect.br
        scale = 72 / ASSUMED_DPI
        page = pdf.new_page(width=w * scale, height=h * scale)
        page.insert_image(page.rect, stream=png)
        with tempfile.TemporaryDirectory() as tmp:
            tmp_pdf = Path(tmp) / f"{doc_id}.pdf"
            pdf.save(tmp_pdf)
            pdf.close()
            try:
                inner = PdfParser(ocr=self.ocr, ocr_languages=self.ocr_languages,
                                  ocr_dpi=ASSUMED_DPI).parse(tmp_pdf, doc_id=doc_id)
            except ParseError as e:
                raise ParseError(path, e.reason) from e
        page_text = next((c.text for c in inner.chunks if c.modality == "page"), "")
        box = (0.0, 0.0, round(w * scale, 2), round(h * scale, 2))
        image = Chunk(doc_id=doc_id, modality="image", page=1, text=page_text, bbox=box, image=png,
                      caption=path.name, order=len(inner.chunks))
        chunks = list(inner.chunks) + [image]
        warnings = tuple(w for w in inner.warnings if "scanned" not in w.lower())
        return Document(doc_id=doc_id, source=str(path), sha256=Document.file_sha256(path), n_pages=1,
                        chunks=tuple(chunks), title=inner.title or path.stem, warnings=warnings)
