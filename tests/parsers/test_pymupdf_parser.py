"""PdfParser on the repo's generated sample documents: golden summary, chunk kinds,
reading order, OCR of the scanned twin and bad inputs."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pymupdf
import pytest

from unirag.parsers import ParseError, PdfParser, make_parser, parser_from_dict
from unirag.parsers.samples import make_sample_pdf, make_scanned_pdf, make_two_column_pdf

GOLDEN = Path(__file__).parent / "golden" / "sample_pdf.json"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return make_sample_pdf(tmp_path_factory.mktemp("sample") / "solar.pdf")


@pytest.fixture(scope="module")
def doc(sample):
    return PdfParser(ocr="off").parse(sample)


def summary(doc) -> list[dict]:
    return [{"modality": c.modality, "page": c.page, "section": c.section, "text": c.text[:60],
             "bbox": [round(v) for v in c.bbox]} for c in doc.chunks]


def test_golden_summary(doc):
    got = summary(doc)
    if os.environ.get("UNIRAG_UPDATE_GOLDEN") == "1":
        rows = ",\n".join(json.dumps(row, ensure_ascii=False) for row in got)
        GOLDEN.write_text(f"[\n{rows}\n]\n")  # one chunk a line: readable diffs
    expected = json.loads(GOLDEN.read_text())
    assert got == expected, "parser output changed; rerun with UNIRAG_UPDATE_GOLDEN=1 if intended"


def test_document_fields(doc, sample):
    assert doc.doc_id == "solar" and doc.n_pages == 3
    assert doc.sha256 == doc.file_sha256(sample)
    assert doc.title == "Solar Battery Field Study"
    assert doc.warnings == ()
    assert [c.order for c in doc.chunks] == sorted(c.order for c in doc.chunks)
    assert len({c.order for c in doc.chunks}) == len(doc.chunks)
    assert PdfParser().parse(sample, doc_id="custom").doc_id == "custom"


def test_one_page_chunk_per_page(doc):
    pages = [c for c in doc.chunks if c.modality == "page"]
    assert [c.page for c in pages] == [1, 2, 3]
    assert all(c.bbox == (0, 0, 595, 842) and c.image is None for c in pages)
    assert "Solar Battery Field Study" in pages[0].text


def test_every_kind_present_with_crops(doc):
    kinds = {c.modality for c in doc.chunks}
    assert kinds == {"text", "figure", "table", "formula", "page"}
    for c in doc.chunks:
        assert c.page >= 1 and c.bbox is not None
        if c.modality in ("figure", "table", "formula"):
            assert c.image is not None and c.image.startswith(PNG)


def test_figures_have_captions_and_inner_text(doc):
    figs = [c for c in doc.chunks if c.modality == "figure"]
    assert [c.caption.split(":")[0] for c in figs] == ["Figure 1", "Figure 2"]
    vector = figs[0]
    assert vector.page == 2 and vector.text.startswith("Figure 1: Mean daily energy")
    for label in ("36.2 kWh", "Brookfield", "kWh per day"):  # only inside the vector chart
        assert label in vector.text
    assert figs[1].page == 3  # raster chart
    texts = {c.id: c for c in doc.chunks if c.modality == "text"}
    assert vector.links and all(i in texts for i in vector.links)
    assert any("Figure 1 compares" in texts[i].text for i in vector.links)


def test_table_markdown_holds_numbers(doc):
    (table,) = [c for c in doc.chunks if c.modality == "table"]
    assert table.page == 2 and table.caption.startswith("Table 1:")
    assert table.text.startswith("Table 1:")
    assert "| Corran | 31.7 | 377 | 98.3 |" in table.text
    assert {k: table.meta[k] for k in ("rows", "cols")} == {"rows": 4, "cols": 4}
    assert table.meta["html"].startswith("<table><tr><th>Site</th>") and "<td>98.3</td>" in table.meta["html"]
    prose = " ".join(c.text for c in doc.chunks if c.modality == "text")
    assert "98.3" not in prose and "Table 1: Peak" not in prose  # no duplication


def test_formula_with_equation_number(doc):
    (formula,) = [c for c in doc.chunks if c.modality == "formula"]
    assert formula.page == 1 and formula.text.endswith("(1)")
    assert "0.012" in formula.text and formula.meta["number"] == "1"
    prose = " ".join(c.text for c in doc.chunks if c.modality == "text")
    assert "0.012" not in prose


def test_sections_from_headings(doc):
    sections = {c.section for c in doc.chunks if c.modality == "text"}
    assert "2 Method > 2.1 Sites and Equipment" in sections
    assert "3 Results > 3.1 Battery Temperatures" in sections
    assert "4 Conclusion" in sections
    table = next(c for c in doc.chunks if c.modality == "table")
    assert table.section == "3 Results > 3.1 Battery Temperatures"
    for c in doc.chunks:
        if c.modality == "text":
            assert len(c.text) <= 1500


def test_two_column_reading_order(tmp_path):
    doc = PdfParser().parse(make_two_column_pdf(tmp_path / "two.pdf"))
    text = "\n".join(c.text for c in doc.chunks if c.modality == "text")
    marks = [text.index(m) for m in ("Two Column Layout Test", "Left one", "Left two", "Right one", "Right two")]
    assert marks == sorted(marks)


def test_running_headers_and_page_numbers_dropped(tmp_path):
    pdf = pymupdf.open()
    for i in range(4):
        page = pdf.new_page()
        page.insert_text((72, 40), "ACME Quarterly Review", fontsize=9)
        page.insert_text((300, 820), str(i + 1), fontsize=9)
        page.insert_textbox(pymupdf.Rect(72, 100, 520, 400), f"Body text of page {i + 1}. " * 20, fontsize=10)
    pdf.save(tmp_path / "headers.pdf")
    doc = PdfParser().parse(tmp_path / "headers.pdf")
    texts = [c.text for c in doc.chunks if c.modality == "text"]
    assert len(texts) == 4 and not any("ACME" in t for t in texts)
    assert all(not t.strip().endswith(("1", "2", "3", "4")) or "page" in t for t in texts)
    assert not any("ACME" in c.text for c in doc.chunks if c.modality == "page")
    assert all(f"page {c.page}" in c.text for c in doc.chunks if c.modality == "page")


def test_alternating_headers_of_a_small_scanned_page_are_dropped(tmp_path):
    """A book scanned onto a larger sheet: the running headers sit on the first text row, well
    inside the page, and alternate between even and odd pages."""
    pdf = pymupdf.open()
    for i in range(8):
        page = pdf.new_page()
        header = f"{180 + i} SMITH AND JONES" if i % 2 else f"COUNTING SHEEP {180 + i}"
        page.insert_text((120, 180), header, fontsize=9)
        page.insert_textbox(pymupdf.Rect(120, 200, 480, 600), f"Body text of page {i + 1}. " * 20, fontsize=10)
    pdf.save(tmp_path / "book.pdf")
    doc = PdfParser().parse(tmp_path / "book.pdf")
    assert len([c for c in doc.chunks if c.modality == "text"]) == 8
    assert not any("SMITH" in c.text or "SHEEP" in c.text for c in doc.chunks)


def test_scanned_twin_is_ocred(sample, tmp_path):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    scanned = make_scanned_pdf(sample, tmp_path / "scanned.pdf")
    doc = PdfParser(ocr_languages="eng").parse(scanned)
    pages = [c for c in doc.chunks if c.modality == "page"]
    assert len(pages) == 3 and doc.warnings == ()
    assert "Solar Battery Field Study" in pages[0].text
    assert "ventilation louvres" in pages[2].text
    assert any(c.modality == "text" and c.page == 2 and "Brookfield" in c.text for c in doc.chunks)
    (table,) = [c for c in doc.chunks if c.modality == "table"]  # segmented from the OCR lines
    assert table.page == 2 and table.caption.startswith("Table 1") and table.image.startswith(PNG)
    assert "Corran" in table.text and "98.3" in table.text
    figures = sorted((c for c in doc.chunks if c.modality == "figure"), key=lambda c: c.page)
    assert [(f.page, f.caption[:8]) for f in figures] == [(2, "Figure 1"), (3, "Figure 2")]  # ink regions
    assert all(f.image.startswith(PNG) for f in figures)
    assert "Aldmere" in figures[0].text and "Jan Feb Mar" in figures[1].text  # labels join the figure
    assert not [c for c in doc.chunks if c.modality == "formula" and c.page == 3]  # not read as an equation
    assert not any("Jan Feb" in c.text for c in doc.chunks if c.modality == "text")


def test_scanned_without_ocr_warns(sample, tmp_path):
    scanned = make_scanned_pdf(sample, tmp_path / "scanned.pdf")
    doc = PdfParser(ocr="off").parse(scanned)
    assert [c.modality for c in doc.chunks] == ["page", "page", "page"]
    assert len(doc.warnings) == 3 and "OCR is off" in doc.warnings[0]


def test_missing_tesseract_is_a_warning(sample, tmp_path, monkeypatch):
    from unirag.parsers.ocr import OcrUnavailable, PageOcr

    def fail(self, images, languages):
        raise OcrUnavailable("OCR failed (tesseract not found)")

    monkeypatch.setattr(PageOcr, "_run", fail)  # every reader: pages, figures and ruled table regions
    doc = PdfParser().parse(make_scanned_pdf(sample, tmp_path / "scanned.pdf"))
    assert [c.modality for c in doc.chunks] == ["page", "page", "page"]
    assert any("tesseract not found" in w for w in doc.warnings)
    assert any("3 scanned page(s)" in w for w in doc.warnings)


def test_bad_page_is_skipped_with_warning(sample, monkeypatch):
    from unirag.parsers.page_units import PageUnits

    real = PageUnits.units

    def flaky(self, page, lines, scanned, images=None):
        if page.number == 1:
            raise RuntimeError("boom")
        return real(self, page, lines, scanned, images)

    monkeypatch.setattr(PageUnits, "units", flaky)
    doc = PdfParser().parse(sample)
    assert any("page 2 skipped" in w and "boom" in w for w in doc.warnings)
    assert {c.page for c in doc.chunks if c.modality != "page"} == {1, 3}
    assert len([c for c in doc.chunks if c.modality == "page"]) == 3


# ---- bad input ------------------------------------------------------------------------


def _raises(path: Path, match: str, **cfg) -> ParseError:
    with pytest.raises(ParseError, match=match) as info:
        PdfParser(**cfg).parse(path)
    assert str(path) in str(info.value) and info.value.path == str(path)
    return info.value


def test_missing_file(tmp_path):
    _raises(tmp_path / "nope.pdf", "file not found")


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    _raises(tmp_path / "empty.pdf", r"empty file \(0 bytes\)")


def test_text_file_renamed(tmp_path):
    (tmp_path / "notes.pdf").write_text("hello, I am plain text\n")
    err = _raises(tmp_path / "notes.pdf", "not a PDF")
    assert "b'hello, I'" in err.reason


def test_truncated_pdf(sample, tmp_path):
    data = sample.read_bytes()
    (tmp_path / "half.pdf").write_bytes(data[: len(data) // 2])
    _raises(tmp_path / "half.pdf", "truncated or corrupt PDF")


def test_encrypted_pdf(sample, tmp_path):
    enc = tmp_path / "locked.pdf"
    with pymupdf.open(sample) as src:
        src.save(enc, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
    _raises(enc, "encrypted PDF; pass a password")
    _raises(enc, "password is wrong", password="nope")
    doc = PdfParser(password="x").parse(enc)
    assert doc.n_pages == 3 and any(c.modality == "table" for c in doc.chunks)


def test_too_many_pages(sample):
    _raises(sample, r"too many pages \(3 > max_pages=2\)", max_pages=2)


# ---- config ---------------------------------------------------------------------------


def test_config_round_trip():
    p = PdfParser(crop_dpi=90, ocr="off", password="secret")
    cfg = p.to_dict()
    assert "password" not in cfg
    assert parser_from_dict(cfg).to_dict() == cfg


def test_bad_config_and_unknown_name():
    with pytest.raises(ValueError, match="expected ocr in"):
        PdfParser(ocr="sometimes")
    with pytest.raises(ValueError, match="crop_dpi"):
        PdfParser(crop_dpi=0)
    with pytest.raises(ValueError, match=r"Unknown parser 'docx'.*'office', 'pymupdf'\]"):
        make_parser("docx")


def test_raster_figure_is_read_by_ocr(sample):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    doc = PdfParser(ocr_languages="eng").parse(sample)
    raster = next(c for c in doc.chunks if c.modality == "figure" and c.page == 3)
    assert raster.caption.startswith("Figure 2")
    assert "State of charge" in raster.text and "Jan Feb Mar" in raster.text  # words only in the pixels
    assert raster.meta["ocr_text"] in raster.text
    vector = next(c for c in doc.chunks if c.modality == "figure" and c.page == 2)
    assert "ocr_text" not in vector.meta  # its labels are in the text layer


def _png(color: tuple[int, int, int], size=(200, 150)) -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, *size), False)
    pix.set_rect(pix.irect, color)
    return pix.tobytes("png")


def test_side_by_side_images_are_two_figures_and_logos_are_dropped(tmp_path):
    pdf = pymupdf.open()
    logo = _png((200, 30, 30), (40, 40))
    for i in range(5):
        page = pdf.new_page(width=595, height=842)
        page.insert_image(pymupdf.Rect(20, 20, 60, 60), stream=logo)  # the same corner logo on every page
        page.insert_text((72, 120), f"Page {i + 1} body text about the measurements.", fontsize=10)
    page = pdf[2]
    page.insert_image(pymupdf.Rect(72, 200, 300, 371), stream=_png((30, 120, 200)))
    page.insert_image(pymupdf.Rect(295, 200, 523, 371), stream=_png((30, 200, 90)))  # overlaps the first by 5 pt
    page.insert_text((80, 390), "Figure 3: Left panel.", fontsize=9)
    page.insert_text((310, 390), "Figure 4: Right panel.", fontsize=9)
    pdf.save(tmp_path / "panels.pdf")
    figures = [c for c in PdfParser(ocr="off").parse(tmp_path / "panels.pdf").chunks if c.modality == "figure"]
    assert sorted((c.page, c.caption) for c in figures) == [(3, "Figure 3: Left panel."), (3, "Figure 4: Right panel.")]
    assert all(c.bbox[1] >= 199 for c in figures)  # no logo figures, and the logo is not merged in



def test_coarse_ornaments_and_icons_on_a_picture_are_not_figures(tmp_path):
    """A slide with a bullet shape stored at a few pixels, a corner panel stretched from a small
    bitmap and a photo with app icons pasted on it: one figure, the photo."""
    pdf = pymupdf.open()
    page = pdf.new_page(width=960, height=540)
    page.insert_image(pymupdf.Rect(32, 80, 99, 137), stream=_png((10, 40, 80), (27, 23)))  # bullet
    page.insert_image(pymupdf.Rect(-13, 7, 266, 559), stream=_png((10, 40, 80), (111, 219)))  # panel
    page.insert_image(pymupdf.Rect(500, 100, 900, 500), stream=_png((120, 120, 120), (600, 600)))  # photo
    for x in (540, 700):
        page.insert_image(pymupdf.Rect(x, 150, x + 100, 250), stream=_png((230, 90, 20), (150, 150)))  # icons
    page.insert_text((120, 120), "A point made on the slide", fontsize=14)
    pdf.save(tmp_path / "slide.pdf")
    figures = [c for c in PdfParser(ocr="off").parse(tmp_path / "slide.pdf").chunks if c.modality == "figure"]
    assert [tuple(round(v) for v in c.bbox) for c in figures] == [(500, 100, 900, 500)]

def _grid(page: pymupdf.Page, y0: float, rows: list[list[str]], x0: float = 72, w: float = 110, h: float = 18):
    for i in range(len(rows) + 1):
        page.draw_line((x0, y0 + i * h), (x0 + w * len(rows[0]), y0 + i * h), width=0.8)
    for j in range(len(rows[0]) + 1):
        page.draw_line((x0 + j * w, y0), (x0 + j * w, y0 + h * len(rows)), width=0.8)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            page.insert_text((x0 + j * w + 5, y0 + i * h + 12.5), cell, fontsize=9)


def test_table_split_across_pages_is_noted(tmp_path):
    pdf = pymupdf.open()
    first = pdf.new_page(width=595, height=842)
    first.insert_text((72, 560), "Table 4: Cell voltages by hour.", fontsize=9)
    _grid(first, 600, [["Hour", "Cell A", "Cell B"]] + [[f"{h}:00", f"3.{h}", f"3.{h + 1}"] for h in range(5)])
    second = pdf.new_page(width=595, height=842)
    _grid(second, 60, [[f"{h}:00", f"3.{h}", f"3.{h + 1}"] for h in range(5, 11)])  # no caption, no header
    second.insert_text((72, 220), "The voltages stayed within the limits.", fontsize=10)
    pdf.save(tmp_path / "split.pdf")
    tables = [c for c in PdfParser(ocr="off").parse(tmp_path / "split.pdf").chunks if c.modality == "table"]
    assert [t.page for t in tables] == [1, 2]
    assert "continues" not in tables[0].meta and tables[1].meta["continues"] == tables[0].id


def _drawn_row(text: str) -> pymupdf.Document:
    """A page holding `text` as glyph outlines (filled paths), not as text."""
    src = pymupdf.open()
    src.new_page(width=400, height=40).insert_text((10, 25), text, fontsize=11)
    svg = src[0].get_svg_image(text_as_path=True)
    return pymupdf.open(stream=pymupdf.open("svg", svg.encode()).convert_to_pdf(), filetype="pdf")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_an_equation_drawn_as_glyph_outlines_is_read_as_a_formula(tmp_path):
    pdf = pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 300), "The loss of the student model is set as follows. " * 8,
                        fontsize=11)
    page.show_pdf_page(pymupdf.Rect(100, 320, 500, 360), _drawn_row("loss = a(CE(p, y)) + (1 - a)(KL(p, q))"), 0)
    page.show_pdf_page(pymupdf.Rect(100, 380, 500, 420), _drawn_row("Drawn words without a relation"), 0)
    page.insert_textbox(pymupdf.Rect(72, 440, 520, 700), "More text of the report follows here. " * 8, fontsize=11)
    pdf.save(tmp_path / "drawn.pdf")
    chunks = PdfParser(ocr="auto").parse(tmp_path / "drawn.pdf").chunks
    (formula,) = [c for c in chunks if c.modality == "formula"]
    assert formula.text.startswith("loss =") and 320 <= formula.bbox[1] < formula.bbox[3] <= 360
    assert any(c.modality == "text" and "without a relation" in c.text for c in chunks)


def test_figures_of_many_pages_are_read_in_one_ocr_batch(sample, tmp_path, monkeypatch):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    from unirag.parsers.ocr import PageOcr

    path = tmp_path / "repeated.pdf"
    with pymupdf.open(sample) as src, pymupdf.open() as out:
        for page in (2, 0, 2):  # the page with the raster chart, twice, not one after the other
            out.insert_pdf(src, from_page=page, to_page=page)
        out.save(path)
    calls = []
    read = PageOcr.images
    monkeypatch.setattr(PageOcr, "images", lambda self, images: calls.append(len(images)) or read(self, images))
    doc = PdfParser(ocr_languages="eng").parse(path)
    figures = [c for c in doc.chunks if c.modality == "figure"]
    assert [f.page for f in figures] == [1, 3] and all("State of charge" in f.text for f in figures)
    assert calls == [1]  # one batch for the document; the repeated chart is read once


def test_a_build_slide_showing_the_previous_page_picture_again_adds_no_figure(sample, tmp_path):
    path = tmp_path / "builds.pdf"
    with pymupdf.open(sample) as src, pymupdf.open() as out:
        for _ in range(3):
            out.insert_pdf(src, from_page=2, to_page=2)
        out.save(path)
    doc = PdfParser(ocr="off").parse(path)
    assert [c.page for c in doc.chunks if c.modality == "figure"] == [1]
    assert [c.page for c in doc.chunks if c.modality == "page"] == [1, 2, 3]  # the slides' text stays
