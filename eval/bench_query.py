"""Query latency at scale: retrieve + rerank (no LLM) over a synthetic collection of N chunks
(100,000 by default), with baselines measured in the same run.

    .venv/bin/python eval/bench_query.py --chunks 100000 --queries 300 [--db /tmp/bench100k] [--json out.json]

The collection: documents of 50 chunks with the modality mix of a real technical corpus
(text 70 %, figure 10 %, table 10 %, formula 5 %, page 5 %), texts drawn from a Zipf-distributed
vocabulary (so BM25 sees realistic posting-list lengths) with log-normal lengths around the
real chunk sizes, and vectors of the default encoder's dimension. Embedding 100k chunks with
the real encoder would take ~6 min of both cores (~290 passages/s) and more on a shared
machine, so vectors are synthetic but not uniform noise: each document has a topic centre,
chunks scatter around it (real embeddings cluster; uniform random vectors are HNSW's worst case,
which would overstate the cost), and the visual channel is zero for chunks without a crop,
as the real encoder makes it. Queries go through the real path: the default encoder embeds
the question text (a few words sampled from a chunk plus filler), then dense + BM25 + label
search, fusion and the reranker. The store is built once per --db and reused.

Baselines in the same run: a bare Chroma vector query (ids only) and bm25s scoring alone.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from unirag.eval.metrics import percentiles  # noqa: E402
from unirag.rag.types import Chunk, Document, Query  # noqa: E402

MIX = (("text", 0.70), ("figure", 0.10), ("table", 0.10), ("formula", 0.05), ("page", 0.05))
CHARS = {"text": 450, "figure": 160, "table": 600, "formula": 80, "page": 2500}  # median chunk lengths
PER_DOC = 50
TOPICS = 400
ENGLISH = ("battery solar panel output temperature rainfall city energy storage model training loss "
           "accuracy layer attention network data results method experiment baseline table figure "
           "equation value rate growth cost efficiency power voltage current signal frequency noise").split()


def _vocab(rng: np.random.Generator, size: int = 30000) -> np.ndarray:
    syllables = np.array(["ka", "to", "ri", "mel", "sun", "dor", "vi", "lan", "qu", "pe", "ex", "ion"])
    made = {"".join(rng.choice(syllables, rng.integers(2, 5))) for _ in range(size * 2)}
    words = ENGLISH + sorted(made - set(ENGLISH))
    return np.array(words[:size])


def _text(rng, vocab, probs, n_chars: int) -> str:
    n_words = max(3, int(n_chars / 6.5))
    return " ".join(vocab[rng.choice(len(vocab), n_words, p=probs)])


def synthetic_docs(n_chunks: int, dim: int, visual_dim: int, seed: int = 0):
    """Yield (Document, vectors) for `n_chunks` synthetic chunks (see the module docstring)."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng)
    ranks = np.arange(1, len(vocab) + 1)
    probs = (1 / ranks) / (1 / ranks).sum()  # Zipf
    centres = rng.standard_normal((TOPICS, dim)).astype(np.float32)
    kinds = [k for k, _ in MIX]
    weights = np.array([w for _, w in MIX])
    for d in range(0, n_chunks, PER_DOC):
        doc_id = f"doc{d // PER_DOC:05d}"
        topic = rng.integers(TOPICS)
        chunks = []
        n = min(PER_DOC, n_chunks - d)
        for i, kind in enumerate(rng.choice(kinds, n, p=weights)):
            length = int(CHARS[kind] * rng.lognormal(0, 0.5))
            text = _text(rng, vocab, probs, length)
            caption = ""
            if kind in ("figure", "table"):
                caption = f"{kind.title()} {i + 1}: {_text(rng, vocab, probs, 60)}"
                text = f"{caption}\n{text}"
            chunks.append(Chunk(doc_id=doc_id, modality=kind, page=i // 5 + 1, text=text, order=i,
                                caption=caption, bbox=(0, i, 100, i + 10)))
        vecs = centres[topic] + 0.9 * rng.standard_normal((n, dim)).astype(np.float32)
        has_pixels = np.array([c.modality in ("figure", "table", "page") for c in chunks])
        vecs[:, dim - visual_dim:] *= has_pixels[:, None]
        text_part, vis_part = vecs[:, : dim - visual_dim], vecs[:, dim - visual_dim:]
        text_part /= np.linalg.norm(text_part, axis=1, keepdims=True)
        vis_part /= np.maximum(np.linalg.norm(vis_part, axis=1, keepdims=True), 1e-12)
        yield Document(doc_id, f"{doc_id}.pdf", doc_id, chunks[-1].page, tuple(chunks)), vecs


def build_store(db: Path, n_chunks: int, encoder_config: dict, dim: int, visual_dim: int,
                progress: bool = True) -> dict:
    """Create the synthetic collection at `db` unless it already holds `n_chunks` chunks."""
    from unirag.rag.store import ChromaStore

    store = ChromaStore(path=db)
    if store.count() == n_chunks:
        return {"built": False, "seconds": 0.0}
    if store.count():
        raise ValueError(f"{db}: holds {store.count()} chunks, expected {n_chunks} or none; use a new --db")
    t0 = time.perf_counter()
    store.check_encoder(encoder_config)
    for i, (doc, vecs) in enumerate(synthetic_docs(n_chunks, dim, visual_dim)):
        store.add(doc, vecs)
        if progress and i % 200 == 0:
            print(f"  building: {i * PER_DOC} chunks, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return {"built": True, "seconds": round(time.perf_counter() - t0, 1)}


def _queries(n: int, seed: int = 1) -> list[str]:
    """Questions of 4-9 words: some words from a stored chunk, some filler, a few naming a label."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(np.random.default_rng(0))
    out = []
    for i in range(n):
        words = list(rng.choice(vocab[:3000], rng.integers(3, 8))) + list(rng.choice(ENGLISH, 2))
        if i % 5 == 0:
            words.append(f"Table {rng.integers(1, 40)}" if i % 10 else f"Figure {rng.integers(1, 40)}")
        out.append("what is the " + " ".join(words))
    return out


def _time(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run_bench(db: str | Path, n_chunks: int = 100_000, n_queries: int = 300, reranker: str = "features",
              progress: bool = True) -> dict:
    """Build (or reuse) the collection and time each stage over `n_queries` questions (ms);
    `reranker` is a reranker name or "none"."""
    from unirag.pipelines.pipeline import DEFAULT_ENCODER, Pipeline
    from unirag.rag.encoders import encoder_from_dict
    from unirag.rag.encoders.pixels import PixelEncoder
    from unirag.rag.text import tokenize

    encoder = encoder_from_dict(DEFAULT_ENCODER)
    built = build_store(Path(db), n_chunks, encoder.to_dict(), encoder.dim, PixelEncoder().dim, progress)
    pipe = Pipeline(db=db, encoder=DEFAULT_ENCODER, reranker=None if reranker == "none" else {"name": reranker})
    store, retriever = pipe.store, pipe.retriever
    texts = _queries(n_queries)
    queries = [Query(text=t) for t in texts]
    t0 = time.perf_counter()
    retriever.keyword.search(queries[0], 10)  # builds the BM25 index once
    index_s = time.perf_counter() - t0
    pipe.retrieve(queries[0])  # loads the encoder
    vectors = {q.text: encoder.embed_query(q) for q in queries[:5]}
    col = store._open()
    snap = retriever.keyword._index()

    def bm25_alone(q: Query):
        tokens = [t for t in tokenize(q.text) if t in snap.bm25.vocab]
        if tokens:
            scores = snap.bm25.scores(tokens)
            np.argpartition(-scores, 50)[:50]

    depth = 50
    stages = {
        "chroma_vector_query_ids_only": _time(
            lambda q: col.query(query_embeddings=[vectors[q.text].tolist()], n_results=depth, include=[]), queries[:5] * 20),
        "bm25s_scores_alone": _time(bm25_alone, queries),
        "encode_query": _time(encoder.embed_query, queries),
        "dense_search_with_metadata": _time(lambda q: store.search(vectors[q.text], depth), queries[:5] * 20),
        "bm25_search_with_metadata": _time(lambda q: retriever.keyword.search(q, depth), queries),
        "label_search": _time(lambda q: retriever.keyword.labelled(q, depth), queries),
        "retrieve": _time(lambda q: retriever.retrieve(q, depth), queries),
        "retrieve_rerank": _time(lambda q: pipe.retrieve(q, 10), queries),
    }
    report: dict[str, Any] = {"chunks": store.count(), "queries": n_queries, "store": built, "bm25_index_s": round(index_s, 1),
              "reranker": reranker, "ms": {k: percentiles(v) for k, v in stages.items()}}
    full = report["ms"]["retrieve_rerank"]
    report["ratios_p50"] = {
        "vs_chroma_query": round(full["p50"] / max(report["ms"]["chroma_vector_query_ids_only"]["p50"], 1e-6), 1),
        "vs_bm25_alone": round(full["p50"] / max(report["ms"]["bm25s_scores_alone"]["p50"], 1e-6), 1),
    }
    return report


def _print(report: dict) -> None:
    print(f"{report['chunks']} chunks, {report['queries']} queries, reranker {report['reranker']}")
    for name, p in report["ms"].items():
        print(f"  {name:32s} p50 {p['p50']:8.2f} ms   p95 {p['p95']:8.2f} ms")
    r = report["ratios_p50"]
    print(f"  retrieve+rerank p50 = {r['vs_chroma_query']}x a bare Chroma query, {r['vs_bm25_alone']}x BM25 alone")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="/tmp/unirag-bench-query", help="store folder (built once, reused)")
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--reranker", default="features", help="reranker name, or none")
    ap.add_argument("--json", default=None, help="also write the report here")
    args = ap.parse_args(argv)
    report = run_bench(args.db, args.chunks, args.queries, args.reranker)
    _print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
