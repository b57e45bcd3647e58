"""BEIR folders and ViDoRe-style page-image files, made here, scored through the CLI."""
import json
import shutil

import pymupdf
import pytest

from unirag.eval.formats import load_beir, load_pages, safe_id
from unirag.pipelines.cli import main


def _beir(folder):
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": "d1", "title": "Gearbox", "text": "The gearbox oil of turbine WT-3 was replaced in March."},
              {"_id": "d2", "title": "Battery", "text": "The Corran battery pack kept 98.3% of its capacity."},
              {"_id": "d3", "title": "", "text": "Evening state of charge was lowest in December."}]
    queries = [{"_id": "q1", "text": "gearbox oil replaced turbine"}, {"_id": "q2", "text": "battery capacity Corran"},
               {"_id": "q3", "text": "not judged"}]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in corpus))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(r) for r in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n")
    return folder


def test_load_beir(tmp_path):
    data = load_beir(_beir(tmp_path / "b"))
    assert set(data.corpus) == {"d1", "d2", "d3"} and data.corpus["d2"]["title"] == "Battery"
    assert data.queries == {"q1": "gearbox oil replaced turbine", "q2": "battery capacity Corran"}
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    with pytest.raises(ValueError, match="expected a BEIR folder"):
        load_beir(tmp_path)


def test_eval_beir_through_the_cli(tmp_path):
    folder = _beir(tmp_path / "b")
    out = tmp_path / "out"
    args = ["eval", "--beir", str(folder), "--db", str(tmp_path / "db"), "--out", str(out), "--encoder", "hash", "-q"]
    assert main(args) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["retrieval"]["ALL"]["n"] == 2 and m["retrieval"]["ALL"]["hit@1"] == 1.0
    assert m["indexed"] == 3
    run = json.loads((out / "run.json").read_text())
    assert max(run["q1"], key=run["q1"].get) == "d1"
    assert main(args) == 0  # a second run reuses the stored corpus
    assert json.loads((out / "metrics.json").read_text())["indexed"] == 0


def _page_png(text):
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=150)
    page.insert_text((20, 70), text, fontsize=18)
    return page.get_pixmap(dpi=150).tobytes("png")


def test_load_pages_jsonl_with_paths(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "p1.png").write_bytes(_page_png("Gearbox oil"))
    rows = [{"query": "gearbox", "image": "img/p1.png", "page_id": "p1"},
            {"query": "", "image": "img/p1.png", "page_id": "p2"}]
    (tmp_path / "set.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    data = load_pages(tmp_path / "set.jsonl")
    assert set(data.pages) == {"p1", "p2"} and data.queries == {"q1": "gearbox"} and data.qrels == {"q1": {"p1": 1}}
    (tmp_path / "bad.jsonl").write_text(json.dumps({"query": "x", "image": "missing.png", "page_id": "p"}))
    with pytest.raises(ValueError, match="expected `image`"):
        load_pages(tmp_path / "bad.jsonl")
    assert safe_id("a/b") != safe_id("a_b")


def test_eval_page_images_through_the_cli(tmp_path):
    if not shutil.which("tesseract"):
        pytest.skip("tesseract not installed")
    (tmp_path / "img").mkdir()
    texts = {"turbine/3": "Gearbox oil replaced", "clinic": "Battery pack capacity", "winter": "December evenings"}
    rows = []
    for pid, text in texts.items():
        name = f"{safe_id(pid)}.png"
        (tmp_path / "img" / name).write_bytes(_page_png(text))
        rows.append({"query": f"which page says {text.lower()}", "image": f"img/{name}", "page_id": pid})
    (tmp_path / "set.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "out"
    assert main(["eval", "--pages", str(tmp_path / "set.jsonl"), "--db", str(tmp_path / "db"), "--out", str(out),
                 "--encoder", "hash", "-q"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["indexed"] == 3 and m["retrieval"]["ALL"]["n"] == 3
    assert m["retrieval"]["ALL"]["hit@1"] == 1.0  # found through the OCR text of each page image
    run = json.loads((out / "run.json").read_text())
    assert set(run["q1"]) <= set(texts)  # dataset page ids, not the file-safe ones


def test_load_pages_parquet_with_image_bytes(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    png = _page_png("Battery")
    rows = [{"query": "battery", "image": {"bytes": png, "path": None}, "page_id": "b1"},
            {"query": "cells", "image": {"bytes": png, "path": None}, "page_id": "b1"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "set.parquet")
    data = load_pages(tmp_path / "set.parquet")
    assert data.pages == {"b1": png} and data.qrels == {"q1": {"b1": 1}, "q2": {"b1": 1}}
