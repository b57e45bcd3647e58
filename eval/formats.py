"""Public benchmark formats, read from local files, scored with unirag.

BEIR (a folder): `corpus.jsonl` ({"_id", "title", "text"} a line), `queries.jsonl`
({"_id", "text"}), `qrels/<split>.tsv` (header, then `query-id  corpus-id  score`). Each corpus
entry becomes a one-chunk text document (doc id = corpus id) in the pipeline's store.

ViDoRe-style page-image retrieval (one `.jsonl` or `.parquet` file): rows with `query`,
`image` and `page_id`. `image` is a path (relative to the file), PNG/JPEG bytes, or a
`{"bytes": ...}` dict as Hugging Face parquet files store it; rows with an empty query only add
a page. Each page image becomes a one-page PDF (no text layer, so unirag OCRs it) and goes
through the normal ingest; doc id = page id (made file-name safe). Parquet needs pyarrow.

Both give the BEIR triple (corpus/pages, queries `{qid: text}`, qrels `{qid: {id: grade}}`);
`score(pipeline, queries, qrels)` runs every query and returns the run and `evaluate_run`'s
metrics (hit@k, recall@k, MRR@10, nDCG@k over documents / pages).
"""
from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
from pathlib import Path
from typing import NamedTuple

import pymupdf

from unirag.eval.metrics import evaluate_run
from unirag.rag.types import Chunk, Document


class BeirSet(NamedTuple):
    corpus: dict  # {doc_id: {"title", "text"}}
    queries: dict  # {qid: text}
    qrels: dict  # {qid: {doc_id: grade}}


class PageSet(NamedTuple):
    pages: dict  # {page_id: image bytes}
    queries: dict  # {qid: text}
    qrels: dict  # {qid: {page_id: 1}}


def _jsonl(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                raise ValueError(f"{path}:{n}: expected a JSON object, got error {e}") from e
    return rows


def load_beir(folder: str | Path, split: str = "test") -> BeirSet:
    """Read a BEIR folder; queries without qrels in `split` are dropped."""
    folder = Path(folder)
    need = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        raise ValueError(f"{folder}: expected a BEIR folder (corpus.jsonl, queries.jsonl, qrels/{split}.tsv), "
                         f"missing {missing}")
    corpus = {str(r["_id"]): {"title": r.get("title", ""), "text": r.get("text", "")} for r in _jsonl(need[0])}
    qrels: dict = {}
    with open(need[2], encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if n == 1 and not row[-1].strip().lstrip("-").isdigit():
                continue  # header
            if len(row) < 3:
                raise ValueError(f"{need[2]}:{n}: expected query-id, corpus-id, score; got {row}")
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    queries = {str(r["_id"]): r["text"] for r in _jsonl(need[1]) if str(r["_id"]) in qrels}
    return BeirSet(corpus, queries, {q: rel for q, rel in qrels.items() if q in queries})


def _image(value, base: Path, where: str) -> bytes:
    if isinstance(value, dict):
        value = value.get("bytes") or value.get("path")
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        if value.startswith("data:"):
            return base64.b64decode(value.split(",", 1)[1])
        path = base / value
        if path.is_file():
            return path.read_bytes()
    raise ValueError(f"{where}: expected `image` as a file path, bytes or {{'bytes': ...}}, got {str(value)[:60]!r}")


def load_pages(path: str | Path) -> PageSet:
    """Read a ViDoRe-style file (see the module docstring)."""
    path = Path(path)
    if path.suffix == ".parquet":
        from unirag.rag.factory import require

        rows = require("pyarrow.parquet", "bench").read_table(path).to_pylist()
    elif path.suffix == ".jsonl":
        rows = _jsonl(path)
    else:
        raise ValueError(f"{path}: expected a .jsonl or .parquet file of {{query, image, page_id}} rows")
    pages, queries, qrels = {}, {}, {}
    for n, r in enumerate(rows, 1):
        where = f"{path}:{n}"
        if r.get("page_id") in (None, "") or r.get("image") is None:
            raise ValueError(f"{where}: expected `page_id` and `image`, got keys {sorted(r)}")
        pid = str(r["page_id"])
        if pid not in pages:
            pages[pid] = _image(r["image"], path.parent, where)
        if (r.get("query") or "").strip():
            qid = str(r.get("query_id") or f"q{n}")
            queries[qid] = r["query"]
            qrels.setdefault(qid, {})[pid] = 1
    return PageSet(pages, queries, qrels)


def safe_id(page_id: str) -> str:
    """A file-name-safe document id for a page id (a hash suffix keeps distinct ids distinct).

    >>> safe_id("doc_1.png")
    'doc_1.png'
    >>> safe_id("a/b c")[:4]
    'a_b_'
    """
    clean = re.sub(r"[^\w.\-]", "_", page_id)
    return clean if clean == page_id else f"{clean}_{hashlib.sha1(page_id.encode()).hexdigest()[:6]}"


def index_beir(pipeline, corpus: dict) -> int:
    """Store each corpus entry as a one-chunk text document (unchanged entries are skipped)."""
    from unirag.rag.indexing import embed_document

    pipeline.store.check_encoder(pipeline.encoder.to_dict())
    stored = pipeline.store.docs()
    added = 0
    for doc_id, entry in corpus.items():
        text = "\n".join(t for t in (entry.get("title"), entry.get("text")) if t)
        sha = hashlib.sha256(text.encode()).hexdigest()
        if stored.get(doc_id, {}).get("sha256") == sha or not text.strip():
            continue
        doc = Document(doc_id, f"beir:{doc_id}", sha, 1, (Chunk(doc_id, "text", 1, text),),
                       title=entry.get("title", ""))
        pipeline.store.add(doc, embed_document(pipeline.encoder, doc))
        added += 1
    return added


def index_pages(pipeline, pages: dict, workdir: str | Path, progress: bool = False) -> dict:
    """Write each page image as a one-page PDF under `workdir` and ingest them; returns
    {document id: page id}."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ids = {}
    for pid, data in pages.items():
        doc_id = safe_id(pid)
        ids[doc_id] = pid
        target = workdir / f"{doc_id}.pdf"
        if target.is_file():
            continue
        with pymupdf.open(stream=data) as img:
            pdf_bytes = img.convert_to_pdf()
        target.write_bytes(pdf_bytes)
    pipeline.ingest([workdir / f"{d}.pdf" for d in ids], progress=progress)
    return ids


def score(pipeline, queries: dict, qrels: dict, depth: int = 100, ids: dict | None = None) -> tuple[dict, dict]:
    """Run each query through `pipeline.retrieve`; a document's score is 1/rank of its first
    chunk. `ids` maps stored document ids back to the dataset's ids. Returns (run, metrics)."""
    ids = ids or {}
    run = {}
    for qid, text in queries.items():
        scores: dict = {}
        for h in pipeline.retrieve(text, top_k=depth):
            key = ids.get(h.chunk.doc_id, h.chunk.doc_id)
            scores.setdefault(key, 1.0 / (len(scores) + 1))
        run[qid] = scores
    return run, evaluate_run(qrels, run)


def run_format(pipeline, out: str | Path, beir: str | Path | None = None, pages: str | Path | None = None,
               split: str = "test", progress: bool = True) -> dict:
    """`unirag eval --beir DIR` / `--pages FILE`: index the set, score it, write OUT/metrics.json
    ({"retrieval": {"ALL": ...}, "dataset", "indexed"}) and OUT/run.json ({qid: {id: score}})."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if beir:
        data = load_beir(beir, split)
        indexed, ids, name = index_beir(pipeline, data.corpus), None, str(beir)
    elif pages:
        data = load_pages(pages)
        ids = index_pages(pipeline, data.pages, Path(pipeline.config["db"]) / "page_pdfs", progress)
        indexed, name = len(ids), str(pages)
    else:
        raise ValueError("expected a BEIR folder or a page-image file")
    run, metrics = score(pipeline, data.queries, data.qrels, ids=ids)
    result = {"retrieval": {"ALL": metrics}, "dataset": name, "indexed": indexed}
    (out / "metrics.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (out / "run.json").write_text(json.dumps(run, ensure_ascii=False))
    return result
