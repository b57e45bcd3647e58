"""FigureFinder on drawn charts: white backdrops that reach past the chart."""
from __future__ import annotations

import pymupdf

from unirag.parsers import PdfParser
from unirag.parsers.figures import clipped_backdrops


def chart_on_backdrop(path, backdrop=(60, 60, 300, 340)):
    """A bar chart drawn on a white, unstroked backdrop that runs on over its caption and
    the first line of the text below (as spreadsheet charts pasted into papers do)."""
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.draw_rect(pymupdf.Rect(backdrop), color=None, fill=(1, 1, 1))
    for i in range(8):
        page.draw_rect(pymupdf.Rect(80 + 25 * i, 190 - 12 * i, 95 + 25 * i, 200), color=None, fill=(0.2, 0.4, 0.8))
    page.draw_line((75, 200), (290, 200), color=(0, 0, 0))
    page.draw_line((75, 80), (75, 200), color=(0, 0, 0))
    page.insert_text((150, 215), "Quarter", fontsize=8)
    page.insert_text((60, 240), "Figure 1. Sales by region for every quarter of the year.", fontsize=8)
    page.insert_text((60, 262), "Body text starts here and runs on as a paragraph of the paper.", fontsize=10)
    page.insert_textbox(pymupdf.Rect(60, 380, 520, 700), "More body text of the paper. " * 30, fontsize=10)
    pdf.save(path)
    return path


def test_backdrop_is_cut_back_to_the_chart(tmp_path):
    pdf = pymupdf.open(chart_on_backdrop(tmp_path / "chart.pdf"))
    page = pdf[0]
    caption = (60, 233, 290, 242)
    cut = clipped_backdrops(page, page.get_bboxlog(), [caption])
    assert len(cut) == 1
    (whole, part), = cut.items()
    assert whole[3] > 330 and part[3] < caption[1]  # the part above the caption, no lower
    assert part[0] >= 74 and part[2] <= 292  # and no wider than the bars and axes


def test_chart_keeps_its_caption_and_leaves_the_text_below(tmp_path):
    doc = PdfParser(ocr="off").parse(chart_on_backdrop(tmp_path / "chart.pdf"))
    figs = [c for c in doc.chunks if c.modality == "figure"]
    assert len(figs) == 1
    assert figs[0].text.startswith("Figure 1. Sales by region") and "Quarter" in figs[0].text
    assert "Body text starts here" not in figs[0].text and figs[0].bbox[3] < 233
    assert any(c.modality == "text" and c.text.startswith("Body text starts here") for c in doc.chunks)


def test_backdrop_with_only_labels_on_it_is_left_alone(tmp_path):
    pdf = pymupdf.open(chart_on_backdrop(tmp_path / "chart.pdf", backdrop=(60, 60, 300, 225)))
    page = pdf[0]
    assert clipped_backdrops(page, page.get_bboxlog(), [(60, 233, 290, 242)]) == {}


def _bars(page, x0, y0, label):
    for i in range(8):
        page.draw_rect(pymupdf.Rect(x0 + 12 * i, y0 + 80 - 8 * i, x0 + 8 + 12 * i, y0 + 90), color=None, fill=(0.2, 0.4, 0.8))
    page.draw_line((x0 - 5, y0 + 90), (x0 + 100, y0 + 90), color=(0, 0, 0))
    page.draw_line((x0 - 5, y0), (x0 - 5, y0 + 90), color=(0, 0, 0))
    page.insert_text((x0 + 30, y0 + 102), label, fontsize=7)


def test_panels_under_one_caption_are_one_figure(tmp_path):
    pdf = pymupdf.open()
    page = pdf.new_page()
    for i, label in enumerate(("(a) cora", "(b) citeseer", "(c) pubmed")):
        _bars(page, 70 + 130 * i, 80, label)  # three subplots side by side, 25 points apart
    page.insert_text((70, 200), "Figure 2. Accuracy on three graphs.", fontsize=8)
    _bars(page, 70, 420, "one more chart")  # a figure of its own further down
    page.insert_text((70, 540), "Figure 3. Another chart.", fontsize=8)
    page.insert_textbox(pymupdf.Rect(60, 230, 520, 400), "Body text of the paper. " * 30, fontsize=10)
    pdf.save(tmp_path / "panels.pdf")
    figs = [c for c in PdfParser(ocr="off").parse(tmp_path / "panels.pdf").chunks if c.modality == "figure"]
    assert [f.caption for f in figs] == ["Figure 2. Accuracy on three graphs.", "Figure 3. Another chart."]
    assert figs[0].bbox[0] < 70 and figs[0].bbox[2] > 400  # all three panels
    assert all(label in figs[0].text for label in ("cora", "citeseer", "pubmed"))
