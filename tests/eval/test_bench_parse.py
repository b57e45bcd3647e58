"""eval/bench_parse.py on the repo's generated text sample documents (no OCR needed)."""
from __future__ import annotations

import json

import pytest

from unirag.eval.bench_parse import main, run_bench
from unirag.parsers.samples import make_sample_docs


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    for path in make_sample_docs(folder):
        if "scanned" in path.name:  # keep the test quick: no Tesseract run
            path.unlink()
    return folder


def test_run_bench_measures_every_method(folder):
    res = run_bench(folder, workers=1, llama=False)
    assert res["files"] == 2 and res["llama_pymupdf_reader"] is None
    for key in ("get_text", "unirag_stages", "unirag_pool_no_ocr", "unirag_pool_scan_ocr", "unirag_pool_ocr"):
        assert res[key]["pages"] == 4 and res[key]["pages_per_s"] > 0
    assert set(res["unirag_stages"]["stages"]) >= {"text", "ocr", "tables", "figures", "formulas", "crops", "figure_ocr"}
    docs = {r["doc"]: r for r in res["unirag_pool_ocr"]["docs"]}
    assert docs["solar_field_study"]["figure"] == 2 and docs["solar_field_study"]["table"] == 1
    assert 0 < res["unirag_pool_no_ocr"]["vs_get_text"] < 1


def test_main_prints_and_writes_json(folder, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--docs", str(folder), "--workers", "1", "--no-llama", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "PyMuPDF page.get_text()" in printed and "solar_field_study" in printed
    assert json.loads(out.read_text())["files"] == 2


def test_bad_folder_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no \\*.pdf files"):
        run_bench(tmp_path)
    with pytest.raises(ValueError, match="expected workers"):
        run_bench(tmp_path, workers=0)
