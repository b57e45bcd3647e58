"""Text for an image query: OCR of the words in the picture (labels, legend, title), so a
cropped chart finds its page through its text as well as through its pixels."""
from __future__ import annotations

import io
import logging

log = logging.getLogger("unirag.query")
MAX_PIXELS = 40_000_000  # refuse decompression bombs
MIN_SIDE = 1200


def image_text(image: bytes, languages: str = "eng+chi_sim") -> str:
    """The text Tesseract reads in a PNG/JPEG (or any format Pillow decodes)."""
    from PIL import Image

    from unirag.parsers.ocr import OcrUnavailable, PageOcr

    try:
        with Image.open(io.BytesIO(image)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ValueError(f"{im.width}x{im.height} pixels is more than {MAX_PIXELS}")
            gray = im.convert("L")
            scale = min(3.0, MIN_SIDE / max(gray.size))  # small crops: enlarge so Tesseract sees the words
            if scale > 1:
                gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS)
            buf = io.BytesIO()
            gray.save(buf, "PNG")
    except Exception as e:
        raise ValueError(f"query image: cannot decode it as an image ({type(e).__name__}: {e})") from e
    try:
        page = PageOcr(languages).read(buf.getvalue())
    except OcrUnavailable as e:
        log.warning("query image: %s; searching by pixels only", e)
        return ""
    return " ".join(" ".join(line.text for line in page.lines).split())
