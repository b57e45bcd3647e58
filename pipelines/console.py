"""Answers and ingest reports as text in a terminal: what the CLI and the terminal chat print.

>>> import io
>>> from unirag.rag.types import Answer
>>> out = io.StringIO()
>>> _ = print_stream(iter(["The pack ", "stores 12 kWh.", Answer(question="q", text="The pack stores 12 kWh.")]), "q", out)
>>> print(out.getvalue().strip())
Q: q
A: The pack stores 12 kWh.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from unirag.rag.generation.phrases import phrase
from unirag.rag.types import Answer, Hit

EVIDENCE_SHOWN = 5  # hits printed under a reply that does not answer, so the user can look
SNIPPET_CHARS = 200  # characters of a hit's text shown in a listing


def print_stream(pieces: Iterable[str | Answer], question: str, out: TextIO | None = None) -> Answer:
    """Print an answer as `Pipeline.stream` produces it, then its citations; returns the Answer."""
    out = out or sys.stdout
    print(f"Q: {question}", file=out)
    print("A: ", end="", file=out, flush=True)
    streamed = ""
    answer = None
    for piece in pieces:
        if isinstance(piece, Answer):
            answer = piece
        else:
            streamed += piece
            print(piece, end="", file=out, flush=True)
    print(file=out)
    if answer is None:
        raise RuntimeError("the answer stream ended without an answer")
    if streamed.strip() != answer.text:  # the generator withdrew the streamed reply
        print(f"A (final): {answer.text}", file=out)
    print_answer(answer, out=out, header=False)
    return answer


def hit_json(hit: Hit, rank: int) -> dict:
    """One ranked piece of evidence as `--json` prints it."""
    c = hit.chunk
    return {"rank": rank, "doc": c.doc_id, "page": c.page, "modality": c.modality, "bbox": c.bbox,
            "score": round(hit.score, 4), "chunk": c.id, "crop": hit.crop_path or None,
            "caption": c.caption, "text": c.text[:SNIPPET_CHARS]}



def print_hits(hits: Iterable[Hit], out: TextIO | None = None, indent: str = "") -> None:
    """Ranked hits, one line each: rank, doc, page, kind, region, score, crop, and a snippet."""
    out = out or sys.stdout
    for i, h in enumerate(hits, 1):
        c = h.chunk
        region = "" if c.bbox is None else " region (" + ", ".join(f"{v:.0f}" for v in c.bbox) + ")"
        crop = f" crop {h.crop_path}" if h.crop_path else ""
        snippet = " ".join((c.caption or c.text).split())[:SNIPPET_CHARS // 2]
        print(f"{indent}{i:>2}. {c.doc_id} p.{c.page} {c.modality}{region} score {h.score:.3f}{crop}", file=out)
        if snippet:
            print(f"{indent}    {snippet}", file=out)


def print_answer(answer: Answer, out: TextIO | None = None, header: bool = True) -> None:
    out = out or sys.stdout
    if header:
        print(f"Q: {answer.question}", file=out)
        print(f"A: {answer.text}", file=out)
    if not answer.found:
        print(f"   ({phrase('not_answered', answer.question)})", file=out)
        print_hits(answer.hits[:EVIDENCE_SHOWN], out, indent="   ")
    for i, c in enumerate(answer.citations, 1):
        region = "" if c.bbox is None else " region (" + ", ".join(f"{v:.0f}" for v in c.bbox) + ")"
        crop = f" crop {c.source}" if c.source else ""
        print(f"   [{i}] {c.doc_id} p.{c.page} {c.modality}{region}{crop}", file=out)
    if answer.generator == "extractive":
        print(f"   ({phrase('no_llm', answer.question)})", file=out)


def printable(text: str) -> str:
    """Undecodable bytes in file names (lone surrogates) shown as escapes instead of crashing print."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def print_report(report, out: TextIO | None = None, err: TextIO | None = None) -> None:
    """An IngestReport: one `error:` line per failed file, warnings, then a summary line."""
    out, err = out or sys.stdout, err or sys.stderr
    for path, reason in report.failed:
        print(printable(f"error: {path}: {reason}"), file=err)
    for w in report.warnings:
        print(printable(f"warning: {w}"), file=err)
    print(f"ingested {len(report.added)} document(s), {report.pages} pages, {report.chunks} chunks "
          f"in {report.seconds:.1f} s; {len(report.skipped)} unchanged, {len(report.failed)} failed", file=out)
