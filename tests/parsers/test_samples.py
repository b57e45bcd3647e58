"""The generated sample documents are deterministic and hold the answers they promise."""
from __future__ import annotations

import pymupdf

from unirag.parsers import PdfParser
from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs, make_sample_pdf


def test_sample_bytes_are_stable(tmp_path):
    a = make_sample_pdf(tmp_path / "a.pdf").read_bytes()
    b = make_sample_pdf(tmp_path / "b.pdf").read_bytes()
    assert a == b and a.startswith(b"%PDF")


def test_sample_docs(tmp_path):
    paths = make_sample_docs(tmp_path / "docs")
    assert [p.name for p in paths] == ["solar_field_study.pdf", "solar_field_study_scanned.pdf",
                                       "wind_maintenance_note.pdf"]
    with pymupdf.open(paths[1]) as scanned:
        assert scanned.page_count == 3 and all(not p.get_text().strip() for p in scanned)


def test_questions_answered_on_their_page(tmp_path):
    doc = PdfParser(ocr="off").parse(make_sample_pdf(tmp_path / "s.pdf"))
    assert 4 <= len(SAMPLE_QUESTIONS) <= 6
    assert {q["modality"] for q in SAMPLE_QUESTIONS} >= {"text", "figure", "table", "formula"}
    for q in SAMPLE_QUESTIONS:
        chunks = [c for c in doc.chunks if c.page == q["page"] and c.modality == q["modality"]]
        assert chunks, q
        if q["modality"] != "figure" or q["page"] == 2:  # figure 2 is a raster chart: answer in pixels only
            assert any(q["answer"].rstrip("%") in c.text for c in chunks), q
