"""Raster image files become `image` documents: the picture plus its OCR'd content."""
import io
import shutil

import pymupdf
import pytest
from PIL import Image

from unirag.parsers import ParseError, parser_for
from unirag.parsers.image_parser import ImageParser
from unirag.parsers.samples import make_sample_pdf

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr not installed")


@pytest.fixture(scope="module")
def page_png(tmp_path_factory):
    pdf = make_sample_pdf(tmp_path_factory.mktemp("img") / "solar.pdf")
    with pymupdf.open(pdf) as d:
        return d[0].get_pixmap(dpi=150).tobytes("png")


@needs_tesseract
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photographed_page_is_an_image_document_with_ocr_text(tmp_path, page_png, fmt):
    path = tmp_path / f"scan.{fmt.lower()}"
    Image.open(io.BytesIO(page_png)).convert("RGB").save(path, fmt)
    doc = parser_for(path, {"name": "pymupdf"}).parse(path)
    image = [c for c in doc.chunks if c.modality == "image"]
    assert len(image) == 1 and image[0].image.startswith(b"\x89PNG") and image[0].page == 1
    assert "solar" in image[0].text.lower()  # the OCR text is the surrogate
    assert any(c.modality == "text" for c in doc.chunks)  # and the page is segmented like a scan
    assert doc.source == str(path) and doc.n_pages == 1


def test_odd_images_are_normalised(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (300, 200), (0, 80, 80, 0)).save(path, "JPEG")
    doc = ImageParser(ocr="off").parse(path)
    assert Image.open(io.BytesIO(doc.chunks[-1].image)).mode == "RGB"


@pytest.mark.parametrize("content, problem", [
    (b"", "cannot decode it as an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "cannot decode it as an image"),
])
def test_bad_images_name_the_file(tmp_path, content, problem):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ParseError, match=f"bad.png: {problem}"):
        parser_for(path, {}).parse(path)


def test_decompression_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(path)  # 100 M pixels, a few KB on disk
    with pytest.raises(ParseError, match="bomb.png: image of 10000x10000 pixels is larger"):
        parser_for(path, {}).parse(path)
