"""DOCX, PPTX and HTML through unstructured onto the same chunk kinds, offline."""
import pytest

pytest.importorskip("unstructured")
docx = pytest.importorskip("docx")
pptx = pytest.importorskip("pptx")

from unirag.parsers import ParseError, parser_for  # noqa: E402
from unirag.parsers.office import OfficeParser  # noqa: E402


def make_docx(path):
    d = docx.Document()
    d.add_heading("Pump maintenance report", 1)
    d.add_paragraph("Pump P-7 runs at 40 Hz. It was serviced in May after a bearing failure.")
    d.add_heading("Results", 2)
    d.add_paragraph("Table 1: Pump speeds after service")
    t = d.add_table(rows=3, cols=2)
    for i, row in enumerate([("pump", "speed (Hz)"), ("P-7", "40"), ("P-9", "50")]):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    d.add_paragraph("The speeds in Table 1 are within the rated range of the drives.")
    d.save(path)
    return path


def make_pptx(path):
    p = pptx.Presentation()
    for title, body in [("Wind farm", "Turbine T3 output 2.1 MW"), ("Costs", "Maintenance 12,000 EUR a year")]:
        s = p.slides.add_slide(p.slide_layouts[1])
        s.shapes.title.text = title
        s.placeholders[1].text = body
    p.save(path)
    return path


def test_docx_text_sections_and_table(tmp_path):
    doc = OfficeParser().parse(make_docx(tmp_path / "pumps.docx"))
    kinds = [c.modality for c in doc.chunks]
    assert kinds.count("table") == 1 and "text" in kinds and kinds.count("page") == 1
    table = next(c for c in doc.chunks if c.modality == "table")
    assert table.caption == "Table 1: Pump speeds after service"
    assert "| P-7 | 40 |" in table.text and "<table>" in table.meta["html"]
    assert table.section == "Pump maintenance report > Results"
    text = next(c for c in doc.chunks if "bearing failure" in c.text)
    assert text.section.startswith("Pump maintenance report")
    referring = next(c for c in doc.chunks if "within the rated range" in c.text)
    assert referring.id in table.links  # the paragraph that cites "Table 1" is linked


def test_pptx_slides_are_pages(tmp_path):
    doc = OfficeParser().parse(make_pptx(tmp_path / "wind.pptx"))
    assert doc.n_pages == 2
    pages = {c.page: c.text for c in doc.chunks if c.modality == "page"}
    assert "Turbine T3 output 2.1 MW" in pages[1] and "12,000 EUR" in pages[2]


def test_html_table(tmp_path):
    path = tmp_path / "spec.html"
    path.write_text("<html><body><h1>Spec</h1><p>The drive is rated for 55 kW continuous load.</p>"
                    "<table><tr><th>part</th><th>kW</th></tr><tr><td>drive</td><td>55</td></tr></table>"
                    "</body></html>")
    doc = parser_for(path, {"name": "pymupdf"}).parse(path)
    table = next(c for c in doc.chunks if c.modality == "table")
    assert table.text.splitlines()[0] == "| part | kW |"


def test_broken_office_file_names_the_file(tmp_path):
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ParseError, match="broken.docx: cannot read it as DOCX"):
        OfficeParser().parse(bad)
