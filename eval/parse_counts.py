"""Counts of figures, tables and formulas the parser emits per document, beside the counts a
`MANIFEST.tsv` describes in words ("7 figures (...), 9 tables, ~19 numbered display equations").

    python eval/parse_counts.py --manifest ../shared/corpus/MANIFEST.tsv [--ocr off] [--json out.json]

The manifest's `contents` column is free text; `expected()` reads the numbers it states (a "~" marks
an estimate; "no formulas" is 0) and leaves a kind out where the text gives no number.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import json
import multiprocessing
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = ("figure", "table", "formula")
_NUM = r"(?<![\w.])(~?\d+)\s+(?:(?!(?:figure|chart|table|formula|equation)s?\b)[\w/-]+\s+){0,3}?"
_PATTERNS = {
    "figure": re.compile(_NUM + r"(?:figures?|charts?)\b"),
    "table": re.compile(_NUM + r"tables?\b"),
    "formula": re.compile(_NUM + r"(?:formulas?|equations?)\b"),
}
_NONE = {"formula": re.compile(r"\bno (?:numbered )?formulas\b"), "figure": re.compile(r"\btext only\b"),
         "table": re.compile(r"\btext only\b")}


def expected(contents: str) -> dict[str, str]:
    """The counts a manifest description states, as written ("~19" keeps its "~").

    >>> expected("7 figures (vector plots), 9 tables, ~19 numbered display equations")
    {'figure': '7', 'table': '9', 'formula': '~19'}
    >>> expected("slide deck: 3 raster charts (score line chart), 1 fusion-rule table with formulas")
    {'figure': '3', 'table': '1'}
    >>> expected("20 figures (图3.3 and 图5.3 are tables embedded as images), no formulas")
    {'figure': '20', 'formula': '0'}
    """
    out = {}
    for kind in KINDS:
        m = _PATTERNS[kind].search(contents)
        if m:
            out[kind] = m.group(1)
        elif _NONE[kind].search(contents):
            out[kind] = "0"
    return out


def _count(path: str, ocr: str) -> tuple[str, dict[str, int] | str]:
    from unirag.parsers import ParseError, PdfParser

    try:
        doc = PdfParser(ocr=ocr).parse(path)
    except ParseError as e:
        return path, str(e)
    c = Counter(ch.modality for ch in doc.chunks)
    return path, {k: c.get(k, 0) for k in (*KINDS, "page")}


def count_corpus(manifest: Path, ocr: str = "auto", workers: int = 2) -> list[dict]:
    rows = list(csv.DictReader(manifest.open(encoding="utf-8"), delimiter="\t"))
    paths = {str(manifest.parent / r["file"]): r for r in rows}
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        results = dict(pool.map(_count, paths, [ocr] * len(paths)))
    out = []
    for path, r in paths.items():
        got = results[path]
        out.append({"doc": r.get("slug") or Path(path).stem, "expected": expected(r.get("contents", "")),
                    "parsed": got if isinstance(got, dict) else {}, "error": "" if isinstance(got, dict) else got})
    return out


def table(rows: list[dict]) -> str:
    lines = ["| document | " + " | ".join(f"{k}s expected / parsed" for k in KINDS) + " |",
             "|---|" + "---|" * len(KINDS)]
    for r in rows:
        cells = [f"{r['expected'].get(k, '?')} / {r['parsed'].get(k, '-')}" for k in KINDS]
        lines.append(f"| {r['doc']} | " + " | ".join(cells) + " |" + (f" {r['error']}" if r["error"] else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", required=True, type=Path)
    ap.add_argument("--ocr", default="auto", choices=("auto", "off", "force"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    rows = count_corpus(args.manifest, args.ocr, args.workers)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
