"""Parsing speed on a folder of PDFs, side by side, in one run:

1. raw PyMuPDF `page.get_text()` over every page (the baseline);
2. LlamaIndex's `PyMuPDFReader` (text only), when `llama-index-readers-file` is installed;
3. unirag's `PdfParser`, one process, with the seconds per stage (text, OCR, tables,
   figures, formulas, crops, layout);
4. unirag's `PdfParser` end to end over a pool of `--workers` processes: without OCR, with
   OCR of scanned pages only (`figure_ocr=False`), and with OCR of scanned pages and raster
   figures (the default), with CPU seconds (workers and their Tesseract children) beside
   wall seconds;

plus each result's speed as a share of the baseline and the figure/table/formula/text
chunk counts per document.

    .venv/bin/python eval/bench_parse.py --docs /path/to/pdfs --workers 2 [--json out.json]

`run_bench(folder, workers)` returns the same numbers as a dict.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pymupdf

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from unirag.parsers import PdfParser  # noqa: E402
from unirag.rag.timing import STAGES, StageTimer  # noqa: E402

KINDS = ("figure", "table", "formula", "text")


def pdf_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"bench_parse: expected a folder of PDFs, got {str(folder)!r}")
    files = sorted(folder.glob("*.pdf"))
    if not files:
        raise ValueError(f"bench_parse: no *.pdf files in {folder}")
    return files


def bench_get_text(files: list[Path]) -> dict:
    """Raw PyMuPDF text extraction of every page, one process."""
    start, pages = time.perf_counter(), 0
    for path in files:
        with pymupdf.open(path) as pdf:
            for page in pdf:
                page.get_text()
                pages += 1
    return _speed(pages, time.perf_counter() - start)


def bench_llama(files: list[Path]) -> dict | None:
    """LlamaIndex `PyMuPDFReader().load_data` per file (one Document per page); None if
    `llama-index-readers-file` is not installed."""
    try:
        from llama_index.readers.file import PyMuPDFReader
    except ImportError:
        return None
    reader = PyMuPDFReader()
    start, pages = time.perf_counter(), 0
    with warnings.catch_warnings():  # it imports the deprecated `fitz` name on first use
        warnings.simplefilter("ignore", FutureWarning)
        for path in files:
            pages += len(reader.load_data(file_path=path))
    return _speed(pages, time.perf_counter() - start)


def bench_stages(files: list[Path], ocr: str = "auto") -> dict:
    """`PdfParser` in this process, with seconds per stage summed over all files."""
    timer, parser, pages = StageTimer(), PdfParser(ocr=ocr), 0
    start = time.perf_counter()
    for path in files:
        pages += parser.parse(path, timer=timer).n_pages
    out = _speed(pages, time.perf_counter() - start)
    out["stages"] = {s: round(timer.seconds.get(s, 0.0), 2) for s in STAGES}
    return out


def _parse_one(args: tuple[str, str, bool]) -> dict:
    path, ocr, figure_ocr = args
    doc = PdfParser(ocr=ocr, figure_ocr=figure_ocr).parse(path)
    counts = Counter(c.modality for c in doc.chunks)
    return {"doc": doc.doc_id, "pages": doc.n_pages, "warnings": len(doc.warnings),
            **{k: counts.get(k, 0) for k in KINDS}}


def _cost(path: Path) -> float:
    """Rough parse cost for scheduling: pages, times 10 when the first page has no text (scan)."""
    with pymupdf.open(path) as pdf:
        scanned = len(pdf[0].get_text().strip()) < 30
        return pdf.page_count * (10 if scanned else 1)


def bench_pool(files: list[Path], workers: int, ocr: str, figure_ocr: bool = True) -> dict:
    """`PdfParser` over a pool of `workers` processes, costliest files first."""
    order = sorted(files, key=_cost, reverse=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(_parse_one, [(str(p), ocr, figure_ocr) for p in order]))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers and Tesseract, once reaped
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = _speed(sum(r["pages"] for r in rows), wall)
    out.update(cpu_s=round(cpu, 2), workers=workers, docs=sorted(rows, key=lambda r: r["doc"]))
    return out


def run_bench(folder: str | Path, workers: int = 2, llama: bool = True) -> dict:
    """Every measurement above over the PDFs in `folder`, as a plain dict."""
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"bench_parse: expected workers as an int >= 1, got {workers!r}")
    files = pdf_files(folder)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    out: dict[str, Any] = {"folder": str(folder), "files": len(files), "cpus": os.cpu_count()}
    out["get_text"] = bench_get_text(files)
    out["llama_pymupdf_reader"] = bench_llama(files) if llama else None
    out["unirag_stages"] = bench_stages(files)
    out["unirag_pool_no_ocr"] = bench_pool(files, workers, "off")
    out["unirag_pool_scan_ocr"] = bench_pool(files, workers, "auto", figure_ocr=False)
    out["unirag_pool_ocr"] = bench_pool(files, workers, "auto")
    base = out["get_text"]["pages_per_s"]
    for key in ("llama_pymupdf_reader", "unirag_stages", "unirag_pool_no_ocr", "unirag_pool_scan_ocr",
                "unirag_pool_ocr"):
        if out[key]:
            out[key]["vs_get_text"] = round(out[key]["pages_per_s"] / base, 4) if base else None
    return out


def _speed(pages: int, seconds: float) -> dict:
    return {"pages": pages, "seconds": round(seconds, 2), "pages_per_s": round(pages / max(seconds, 1e-9), 2)}


def report(res: dict) -> str:
    """The results as plain-text tables."""
    lines = [f"{res['files']} PDFs in {res['folder']} ({res['cpus']} CPUs)", "",
             f"{'method':34s} {'pages':>6s} {'wall s':>8s} {'pages/s':>9s} {'CPU s':>8s} {'x get_text':>11s}"]
    names = {"get_text": "PyMuPDF page.get_text()", "llama_pymupdf_reader": "LlamaIndex PyMuPDFReader",
             "unirag_stages": "unirag PdfParser, 1 process, all OCR",
             "unirag_pool_no_ocr": f"unirag pool x{res['unirag_pool_ocr']['workers']}, no OCR",
             "unirag_pool_scan_ocr": f"unirag pool x{res['unirag_pool_ocr']['workers']}, OCR of scans",
             "unirag_pool_ocr": f"unirag pool x{res['unirag_pool_ocr']['workers']}, OCR scans+figures"}
    for key, name in names.items():
        r = res[key]
        if r is None:
            lines.append(f"{name:34s} (not installed: pip install llama-index-readers-file)")
            continue
        cpu = f"{r['cpu_s']:8.1f}" if "cpu_s" in r else f"{'':8s}"
        ratio = f"{r['vs_get_text']:11.4f}" if "vs_get_text" in r else f"{1:11.4f}"
        lines.append(f"{name:34s} {r['pages']:6d} {r['seconds']:8.2f} {r['pages_per_s']:9.2f} {cpu} {ratio}")
    stages = res["unirag_stages"]["stages"]
    lines += ["", "unirag seconds per stage (1 process): "
              + ", ".join(f"{s} {v:.2f}" for s, v in stages.items())]
    lines += ["", f"{'document':26s} {'pages':>5s} " + " ".join(f"{k:>8s}" for k in KINDS) + "  (OCR run)"]
    for row in res["unirag_pool_ocr"]["docs"]:
        lines.append(f"{row['doc'][:26]:26s} {row['pages']:5d} " + " ".join(f"{row[k]:8d}" for k in KINDS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", required=True, help="folder of PDFs")
    ap.add_argument("--workers", type=int, default=2, help="processes for the end-to-end runs")
    ap.add_argument("--no-llama", action="store_true", help="skip the LlamaIndex reader")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    res = run_bench(args.docs, args.workers, llama=not args.no_llama)
    print(report(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
