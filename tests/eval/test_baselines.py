"""The two baselines on the generated sample documents."""
import shutil

import pymupdf
import pytest

from unirag.eval.baselines import Bm25Pages, LlamaIndexText, make_baseline
from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    return [p for p in make_sample_docs(tmp_path_factory.mktemp("base")) if "scanned" not in p.name]


def test_bm25_pages_ranks_evidence_pages(docs):
    b = Bm25Pages()
    built = b.build(docs)
    assert built["pages"] == 4 and built["pages_per_s"] > 0
    ranking = b.rank("Which turbine had its gearbox oil replaced?", 3)
    assert ranking[0] == (docs[1].stem, 1)
    assert b.rank("zzzz qqqq") == []  # no known token: nothing, not random pages
    hits = sum(b.rank(q["question"], 1) == [(docs[0].stem, q["page"])] for q in SAMPLE_QUESTIONS)
    assert hits >= 3


def test_bm25_pages_ocrs_pages_without_text_and_caches(tmp_path):
    if not shutil.which("tesseract"):
        pytest.skip("tesseract not installed")
    src = pymupdf.open()
    page = src.new_page(width=300, height=120)
    page.insert_text((20, 60), "Gearbox inspection schedule", fontsize=20)
    png = page.get_pixmap(dpi=150).tobytes("png")
    scan = pymupdf.open()
    scan.new_page(width=300, height=120).insert_image(pymupdf.Rect(0, 0, 300, 120), stream=png)
    path = tmp_path / "scan.pdf"
    scan.save(path)
    b = Bm25Pages(cache_dir=tmp_path / "cache")
    b.build([path])
    assert b.rank("gearbox schedule") == [("scan", 1)]
    cached = list((tmp_path / "cache").glob("bm25_pages_scan_*.json"))
    assert len(cached) == 1 and "Gearbox" in cached[0].read_text()


def test_rank_before_build_and_unknown_names():
    with pytest.raises(ValueError, match="call build"):
        Bm25Pages().rank("x")
    with pytest.raises(ValueError, match="expected one of"):
        make_baseline("nope")


def test_llamaindex_text_baseline(docs):
    pytest.importorskip("llama_index.readers.file")
    b = LlamaIndexText(depth=10)
    built = b.build(docs)
    assert built["pages"] == 4
    ranking = b.rank("Which turbine had its gearbox oil replaced?", 10)
    assert ranking[0] == (docs[1].stem, 1)
    assert len(ranking) == len(set(ranking)) <= 4
