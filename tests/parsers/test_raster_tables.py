"""Tables drawn in pixels: ruling lines found in gray images, cells from OCR word boxes."""
from __future__ import annotations

import shutil

import numpy as np
import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from unirag.parsers import PdfParser
from unirag.parsers.image_parser import ImageParser
from unirag.parsers.ocr import OcrWord
from unirag.parsers.raster_tables import RuleMap, band_box, cell_rows, is_table

ROWS = [["Site", "Cycles", "Capacity"], ["Aldmere", "412", "97.1"], ["Brookfield", "398", "95.4"],
        ["Corran", "377", "98.3"]]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")


def draw_table(grid: bool, rule_gray: int = 0, size: int = 28) -> Image.Image:
    """ROWS as a picture: booktabs rules (top, under the header, bottom) or a full grid."""
    font = ImageFont.load_default(size=size)
    col_x, row_h, width = [40, 320, 520], int(size * 2), 760
    top = 100
    im = Image.new("L", (width + 80, top + row_h * len(ROWS) + 120), 255)
    d = ImageDraw.Draw(im)
    d.text((40, 30), "Table 1: Capacity retained per site", fill=0, font=font)
    for i, row in enumerate(ROWS):
        for x, cell in zip(col_x, row):
            d.text((x + 10, top + i * row_h + size // 3), cell, fill=0, font=font)
    bottom = top + row_h * len(ROWS)
    ys = [top + i * row_h for i in range(len(ROWS) + 1)] if grid else [top, top + row_h, bottom]
    for y in ys:
        d.line([(30, y), (width, y)], fill=rule_gray, width=2)
    if grid:
        for x in [30, *col_x[1:], width]:
            d.line([(x, top), (x, bottom)], fill=rule_gray, width=2)
    return im


def gray(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("L"))


@pytest.mark.parametrize("grid", [False, True])
def test_rules_bound_the_table_header_included(grid):
    bands = RuleMap(gray(draw_table(grid))).bands()
    assert len(bands) == 1
    x0, y0, x1, y1 = band_box(bands[0])
    assert (y0 <= 101 and y1 >= 100 + 56 * 4 - 1) and x0 <= 33 and x1 >= 758  # header row and full width


def test_faint_grey_rules_are_found():
    (band,) = RuleMap(gray(draw_table(grid=True, rule_gray=235))).bands()
    assert len(band) == 5


def test_a_frame_around_a_booktabs_table_is_not_the_table():
    im = draw_table(grid=False)
    d = ImageDraw.Draw(im)
    d.rectangle([5, 5, im.width - 6, im.height - 6], outline=0, width=2)
    rules = RuleMap(gray(im))
    (band,) = rules.bands()
    assert band_box(band)[1] >= 99 and band_box(band)[0] >= 29  # the table's own top rule, not the frame
    assert not rules.vertical_rules(band_box(band))[1:-1]


def test_two_grids_under_each_other_are_two_tables():
    a, b = gray(draw_table(grid=True)), gray(draw_table(grid=True))
    stacked = np.vstack([a, np.full((60, a.shape[1]), 255, np.uint8), b])
    assert len(RuleMap(stacked).bands()) == 2


def test_a_plot_panel_or_text_is_not_ruled():
    im = Image.new("L", (600, 400), 255)
    d = ImageDraw.Draw(im)
    d.rectangle([50, 50, 550, 350], fill=225)  # a grey panel: its edges are not thin rules
    d.text((60, 370), "Some words of running text under a panel " * 2, fill=0, font=ImageFont.load_default(size=14))
    assert RuleMap(gray(im)).bands() == []


def _word(text, x0, y0, x1, y1):
    return OcrWord(text, (x0, y0, x1, y1), 90.0)


def test_cells_from_word_gaps_allow_a_spanning_header():
    words = [_word("Results for all runs", 40, 0, 260, 10),  # spans the value columns
             _word("m", 0, 20, 8, 30), _word("Bias", 100, 20, 130, 30), _word("%", 200, 20, 210, 30),
             _word("error", 213, 20, 250, 30)]
    for i, (m, bias, err) in enumerate([("2", "1.1662", "61.0"), ("4", "1.0792", "40.9"), ("8", "1.0386", "28.2")]):
        y = 40 + 14 * i
        words += [_word(m, 0, y, 8, y + 10), _word(bias, 95, y, 140, y + 10), _word(err, 220, y, 250, y + 10)]
    rows = cell_rows(words, (0, 0, 260, 90), [], [])
    assert rows[1:] == [["m", "Bias", "% error"], ["2", "1.1662", "61.0"], ["4", "1.0792", "40.9"],
                        ["8", "1.0386", "28.2"]]
    assert is_table(rows)


def test_lines_of_prose_are_not_a_table():
    long = "a line of an error log that runs across the whole box and goes on"
    assert not is_table([[long, "x"], [long, "y"], [long, ""]])


@needs_tesseract
@pytest.mark.parametrize("grid", [False, True])
def test_a_picture_of_a_table_is_parsed_into_cells(grid, tmp_path):
    path = tmp_path / "table.png"
    draw_table(grid).save(path)
    doc = ImageParser(ocr_languages="eng").parse(path)
    (table,) = [c for c in doc.chunks if c.modality == "table"]
    assert "| Site | Cycles | Capacity |" in table.text
    assert "| Brookfield | 398 | 95.4 |" in table.text and "| Corran | 377 | 98.3 |" in table.text
    assert table.caption.startswith("Table 1") and table.image


@needs_tesseract
def test_a_raster_figure_that_is_a_table_becomes_a_table(tmp_path):
    png = tmp_path / "grid.png"
    draw_table(grid=True).save(png)
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "Results of the field study are summarised in the picture below.", fontsize=10)
    page.insert_image(pymupdf.Rect(72, 100, 72 + 420, 100 + 252), filename=str(png))
    page.insert_text((72, 372), "Figure 3: Capacity retained per site.", fontsize=9)
    pdf.save(tmp_path / "doc.pdf")
    doc = PdfParser(ocr_languages="eng").parse(tmp_path / "doc.pdf")
    (table,) = [c for c in doc.chunks if c.modality == "table"]
    assert not [c for c in doc.chunks if c.modality == "figure"]
    assert "| Aldmere | 412 | 97.1 |" in table.text and table.caption.startswith("Figure 3")


def test_a_drawn_box_is_not_a_table():
    """A legend or call-out: a box (rounded corners too) with lines of text in it."""
    im = Image.new("L", (500, 300), 255)
    d = ImageDraw.Draw(im)
    d.rounded_rectangle([40, 40, 460, 260], radius=12, outline=120, width=2)
    font = ImageFont.load_default(size=22)
    for i, label in enumerate(["11+ years", "6-10 years", "3-5 years", "1-2 years"]):
        d.rectangle([70, 70 + 45 * i, 130, 90 + 45 * i], fill=90)
        d.text((150, 66 + 45 * i), label, fill=0, font=font)
    assert RuleMap(gray(im)).bands() == []
