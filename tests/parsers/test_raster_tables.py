"""Tables drawn in pixels read into cells: word boxes to cells, pictures and scanned tables to table chunks."""
from __future__ import annotations

import shutil

import pymupdf
import pytest

from unirag.parsers import PdfParser
from unirag.parsers.image_parser import ImageParser
from unirag.parsers.ocr import OcrWord
from unirag.parsers.raster_tables import cell_rows, is_table

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")


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
def test_a_picture_of_a_table_is_parsed_into_cells(grid, tmp_path, draw_table):
    path = tmp_path / "table.png"
    draw_table(grid).save(path)
    doc = ImageParser(ocr_languages="eng").parse(path)
    (table,) = [c for c in doc.chunks if c.modality == "table"]
    assert "| Site | Cycles | Capacity |" in table.text
    assert "| Brookfield | 398 | 95.4 |" in table.text and "| Corran | 377 | 98.3 |" in table.text
    assert table.caption.startswith("Table 1") and table.image


@needs_tesseract
def test_a_raster_figure_that_is_a_table_becomes_a_table(tmp_path, draw_table):
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
