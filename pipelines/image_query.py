"""Text for an image query: OCR (Tesseract through PyMuPDF) of the words in the picture,
so a cropped chart finds its page through its labels and legend."""
from __future__ import annotations

import logging
import os

log = logging.getLogger("unirag.query")


def image_text(image: bytes, languages: str = "eng+chi_sim") -> str:
    import pymupdf

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        doc = pymupdf.open(stream=image, filetype=None)
        pdf = pymupdf.open("pdf", doc.convert_to_pdf())
        page = pdf[0]
        text = page.get_text(textpage=page.get_textpage_ocr(language=languages, dpi=150, full=True))
    except Exception as e:
        raise ValueError(f"query image: cannot read or OCR it ({type(e).__name__}: {e})") from e
    text = " ".join(text.split())
    if not text:
        log.warning("query image: OCR found no text; retrieval will have little to go on")
    return text or "figure"
