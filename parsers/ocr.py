"""OCR of scanned pages with Tesseract through PyMuPDF."""
from __future__ import annotations

import os

import pymupdf

MIN_TEXT_CHARS = 30  # fewer characters than this counts as "no text layer"


class OcrUnavailable(RuntimeError):
    """Tesseract (or the requested language data) is not installed or failed."""


def looks_scanned(page: pymupdf.Page, text_chars: int) -> bool:
    """No real text layer, and images cover at least half of the page."""
    if text_chars >= MIN_TEXT_CHARS:
        return False
    page_area = abs(page.rect) or 1.0
    covered = 0.0
    for info in page.get_image_info():
        covered = max(covered, abs(pymupdf.Rect(info["bbox"]) & page.rect))
    return covered >= 0.5 * page_area


class PageOcr:
    """Builds an OCR text page for a page: `textpage(page)`.

    Keep a reference to the page while the returned text page is in use.
    """

    def __init__(self, languages: str = "eng+chi_sim", dpi: int = 150) -> None:
        self.languages = languages
        self.dpi = dpi

    def textpage(self, page: pymupdf.Page) -> pymupdf.TextPage:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # ~7x faster on few cores
        try:
            return page.get_textpage_ocr(language=self.languages, dpi=self.dpi, full=True)
        except Exception as exc:  # PyMuPDF raises RuntimeError/ValueError/FileNotFoundError
            raise OcrUnavailable(f"OCR failed ({type(exc).__name__}: {exc}); "
                                 "install tesseract-ocr and its language data") from exc
