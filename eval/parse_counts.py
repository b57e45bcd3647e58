"""Counts of figures, tables and formulas the parser emits per document, beside the counts a
`MANIFEST.tsv` describes in words ("7 figures (...), 9 tables, ~19 numbered display equations").

    python eval/parse_counts.py --manifest ../shared/corpus/MANIFEST.tsv [--ocr off] [--json out.json]

The manifest's `contents` column is free text; `expected()` reads the numbers it states (a "~" marks
an estimate; "no formulas" is 0) and leaves a kind out where the text gives no number.

The manifest gives counts, not regions, so precision and recall are bounded, not measured: of
`parsed` elements at most min(parsed, expected) can be right. `summary()` gives per kind, over
the documents with a stated count: the totals, the over-detection ratio (parsed / expected),
those bounds, and the documents parsed at more than OVER times (or under UNDER times) the count.
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
NUMBERED = "numbered formula"  # formulas with an equation number, set against a count the manifest calls numbered
_NUM = r"(?<![\w.])(~?\d+)\s+(?:(?!(?:figure|chart|table|formula|equation)s?\b)[\w/-]+\s+){0,3}?"
_PATTERNS = {
    "figure": re.compile(_NUM + r"(?:figures?|charts?)\b"),
    "table": re.compile(_NUM + r"tables?\b"),
    "formula": re.compile(_NUM + r"(?:formulas?|equations?)\b"),
}
OVER = 1.5  # parsed / expected above this: the document is over-detected for that kind
UNDER = 0.5  # parsed / expected below this: under-detected
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


def _number(stated: str) -> int:
    return int(stated.lstrip("~"))


def summary(rows: list[dict]) -> dict[str, dict]:
    """Per kind, over the documents that state a count and parsed without error: n (documents),
    expected and parsed totals, over_ratio (parsed / expected), precision_bound (sum of
    min(parsed, expected) / parsed), recall_bound (the same / expected), and the documents
    over- and under-detected (ratio above OVER, below UNDER; a stated 0 with any parsed is over).

    >>> rows = [{"doc": "a", "expected": {"figure": "2"}, "parsed": {"figure": 6}, "error": ""},
    ...         {"doc": "b", "expected": {"figure": "~4"}, "parsed": {"figure": 3}, "error": ""}]
    >>> s = summary(rows)["figure"]
    >>> s["over_ratio"], s["precision_bound"], s["recall_bound"], s["over"], s["under"]
    (1.5, 0.556, 0.833, ['a'], [])
    """
    out = {}
    for kind in (*KINDS, NUMBERED):
        docs = [(r["doc"], _number(r["expected"][kind]), r["parsed"].get(kind, 0))
                for r in rows if kind in r["expected"] and not r["error"]]
        exp, got = sum(e for _, e, _ in docs), sum(p for _, _, p in docs)
        right = sum(min(e, p) for _, e, p in docs)
        out[kind] = {"n": len(docs), "expected": exp, "parsed": got,
                     "over_ratio": round(got / exp, 3) if exp else None,
                     "precision_bound": round(right / got, 3) if got else None,
                     "recall_bound": round(right / exp, 3) if exp else None,
                     "over": [d for d, e, p in docs if p > OVER * e or (e == 0 and p > 0)],
                     "under": [d for d, e, p in docs if p < UNDER * e]}
    return out


def _ratio(stated: str | None, parsed: int | None) -> str:
    if stated is None or parsed is None or _number(stated) == 0:
        return ""
    return f" ({parsed / _number(stated):.1f}x)"


def _count(path: str, ocr: str) -> tuple[str, dict[str, int] | str]:
    from unirag.parsers import ParseError, PdfParser

    try:
        doc = PdfParser(ocr=ocr).parse(path)
    except ParseError as e:
        return path, str(e)
    c = Counter(ch.modality for ch in doc.chunks)
    numbered = sum(1 for ch in doc.chunks if ch.modality == "formula" and ch.meta.get("number"))
    return path, {**{k: c.get(k, 0) for k in (*KINDS, "page")}, NUMBERED: numbered}


def count_corpus(manifest: Path, ocr: str = "auto", workers: int = 2) -> list[dict]:
    rows = list(csv.DictReader(manifest.open(encoding="utf-8"), delimiter="\t"))
    paths = {str(manifest.parent / r["file"]): r for r in rows}
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        results = dict(pool.map(_count, paths, [ocr] * len(paths)))
    out = []
    for path, r in paths.items():
        got = results[path]
        stated = expected(r.get("contents", ""))
        if "formula" in stated and re.search(r"\bnumbered\b", r.get("contents", "")):
            stated[NUMBERED] = stated["formula"]
        out.append({"doc": r.get("slug") or Path(path).stem, "expected": stated,
                    "parsed": got if isinstance(got, dict) else {}, "error": "" if isinstance(got, dict) else got})
    return out


def table(rows: list[dict]) -> str:
    """Markdown: per document, expected / parsed (parsed as a multiple of expected) per kind,
    then the `summary` per kind."""
    lines = ["| document | " + " | ".join(f"{k}s expected / parsed" for k in KINDS) + " |",
             "|---|" + "---|" * len(KINDS)]
    for r in rows:
        cells = [f"{r['expected'].get(k, '?')} / {r['parsed'].get(k, '-')}"
                 + _ratio(r["expected"].get(k), r["parsed"].get(k)) for k in KINDS]
        if NUMBERED in r["parsed"]:
            cells[-1] += f", {r['parsed'][NUMBERED]} numbered"
        lines.append(f"| {r['doc']} | " + " | ".join(cells) + " |" + (f" {r['error']}" if r["error"] else ""))
    lines += ["", "| kind | docs | expected | parsed | parsed/expected | precision bound | recall bound | "
              "over-detected | under-detected |", "|---|---|---|---|---|---|---|---|---|"]
    for kind, s in summary(rows).items():
        lines.append(f"| {kind} | {s['n']} | {s['expected']} | {s['parsed']} | {s['over_ratio']} | "
                     f"{s['precision_bound']} | {s['recall_bound']} | {', '.join(s['over']) or '-'} | "
                     f"{', '.join(s['under']) or '-'} |")
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
        args.json.write_text(json.dumps({"documents": rows, "summary": summary(rows)}, indent=2, ensure_ascii=False),
                             encoding="utf-8")
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
