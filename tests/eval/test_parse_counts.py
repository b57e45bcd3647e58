"""The parse-count report reads a manifest's stated counts and sets the parser's beside them."""
from unirag.eval.parse_counts import count_corpus, table
from unirag.parsers.samples import make_sample_pdf


def test_counts_of_a_generated_document_against_its_manifest(tmp_path):
    make_sample_pdf(tmp_path / "pdfs" / "solar.pdf")
    (tmp_path / "MANIFEST.tsv").write_text(
        "slug\tfile\tcontents\nsolar\tpdfs/solar.pdf\treport: 2 figures (bar chart, line chart), 1 table, 1 numbered display equation\n"
        "gone\tpdfs/missing.pdf\t2 tables\n")
    rows = count_corpus(tmp_path / "MANIFEST.tsv", ocr="off", workers=1)
    solar, gone = rows
    assert solar["expected"] == {"figure": "2", "table": "1", "formula": "1", "numbered formula": "1"}
    assert solar["parsed"]["figure"] == 2 and solar["parsed"]["table"] == 1 and solar["parsed"]["formula"] == 1
    assert "missing.pdf" in gone["error"] and not gone["parsed"]
    assert "| solar | 2 / 2 (1.0x) | 1 / 1 (1.0x) | 1 / 1 (1.0x), 1 numbered |" in table(rows)
    assert "| figure | 1 | 2 | 2 | 1.0 | 1.0 | 1.0 | - | - |" in table(rows)  # the missing file is left out
