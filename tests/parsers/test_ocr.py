"""OCR of scanned pages: hOCR parsing, and the per-page language choice (English pages are
read with "eng" alone, Chinese pages fall back to all configured languages)."""
from __future__ import annotations

import shutil
import subprocess

import pymupdf
import pytest

from unirag.parsers.ocr import OcrUnavailable, PageOcr, parse_hocr

HOCR = b"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body>
<div class='ocr_page' title='bbox 0 0 1275 1650'>
 <div class='ocr_carea' title="bbox 50 300 600 340"><p class='ocr_par' title="bbox 50 300 600 340">
  <span class='ocr_line' title="bbox 50 300 600 320; baseline 0 0; x_size 20; x_descenders 5; x_ascenders 5">
   <span class='ocrx_word' title='bbox 50 300 150 320; x_wconf 90'>Hello</span>
   <span class='ocrx_word' title='bbox 160 300 260 320; x_wconf 80'>world</span>
  </span>
  <span class='ocr_line' title="bbox 50 322 200 340; x_size 20">
   <span class='ocrx_word' title='bbox 50 322 100 340; x_wconf 70'>&#27169;&#22411;</span>
   <span class='ocrx_word' title='bbox 102 322 200 340; x_wconf 60'>&#20013;</span>
  </span>
 </p></div>
 <div class='ocr_carea' title="bbox 50 400 600 420"><p class='ocr_par' title="bbox 50 400 600 420">
  <span class='ocr_line' title="bbox 50 400 600 420; x_size 30">
   <span class='ocrx_word' title='bbox 50 400 60 420; x_wconf 0'> </span>
  </span>
 </p></div>
</div></body></html>"""

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed (apt-get install tesseract-ocr)")


def test_parse_hocr_lines_in_points():
    lines, conf = parse_hocr(HOCR, 72 / 150)
    assert [ln.text for ln in lines] == ["Hello world", "模型中"]  # no spaces between CJK words
    assert lines[0].bbox == pytest.approx((24.0, 144.0, 288.0, 153.6))
    assert lines[0].size == 9.6 and lines[0].block == lines[1].block == 0
    assert conf == 75.0  # empty words are ignored


def _scanned_page(text: str, font: str) -> pymupdf.Document:
    src = pymupdf.open()
    page = src.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(60, 80, 535, 400), text, fontsize=14, fontname=font)
    pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    out = pymupdf.open()
    out.new_page(width=595, height=842).insert_image(pymupdf.Rect(0, 0, 595, 842), stream=pix.tobytes("png"))
    return out


@needs_tesseract
def test_english_page_is_read_with_english_only():
    doc = _scanned_page("The garbage collector must relocate items to be saved\n"
                        "in order to coalesce the isolated blocks of free storage.", "helv")
    (page,) = PageOcr("eng+chi_sim").lines([doc[0]])
    assert page.languages == "eng" and page.confidence > 80
    assert "garbage collector must relocate" in " ".join(ln.text for ln in page.lines)


@needs_tesseract
def test_chinese_page_falls_back_to_all_languages():
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "chi_sim" not in langs:
        pytest.skip("tesseract-ocr-chi-sim is not installed")
    doc = _scanned_page("模型中将直线弹簧弹力和直线阻尼器产生的阻尼力修正为竖直方向的分量即可。\n"
                        "本次的小学期任务中，我们设计了一个卷积神经网络加速器。", "china-s")
    (page,) = PageOcr("eng+chi_sim").lines([doc[0]])
    text = "".join(ln.text for ln in page.lines)
    assert page.languages == "chi_sim+eng"
    assert "弹簧弹力" in text and "神经网络" in text


@needs_tesseract
def test_missing_language_data_is_unavailable():
    doc = _scanned_page("Hello", "helv")
    with pytest.raises(OcrUnavailable, match="tesseract -l xx_nope"):
        PageOcr("xx_nope").lines([doc[0]])


@needs_tesseract
def test_batched_images_read_as_one_by_one():
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "chi_sim" not in langs:
        pytest.skip("tesseract-ocr-chi-sim is not installed")
    from unirag.parsers.ocr import _render

    pages = [_scanned_page("The first page talks about storage blocks.", "helv")[0],
             _scanned_page("本次的小学期任务中，我们设计了一个卷积神经网络加速器。", "china-s")[0],
             _scanned_page("A third page: relocation of items.", "helv")[0]]
    ocr = PageOcr("eng+chi_sim", jobs=2)
    one_by_one = [ocr.read(*_render(p, 150)) for p in pages]
    batched = ocr.lines(pages)  # two processes, one of them reads two images
    assert [p.languages for p in batched] == ["eng", "chi_sim+eng", "eng"]
    assert [[ln.bbox for ln in p.lines] for p in batched] == [[ln.bbox for ln in p.lines] for p in one_by_one]
    assert "storage blocks" in batched[0].lines[0].text and "relocation" in batched[2].lines[0].text


def test_low_confidence_words_can_be_dropped():
    lines, conf = parse_hocr(HOCR, 72 / 150, min_word_conf=75)
    assert [ln.text for ln in lines] == ["Hello world"] and conf == 75.0  # the mean keeps every word
