"""Crash safety: `unirag ingest` killed with SIGKILL, then run again, ends with exactly the
collection an uninterrupted run builds (chunk ids, metadata, vectors, crop files, keyword index),
with no duplicates, no orphan crops and no half-written document. Every trial's first kill comes
from the UNIRAG_FAULT_KILL_AFTER_CHUNKS hook at a seeded random chunk, so it lands mid-ingest for
sure; some trials kill the repair run again at a random moment (start-up, parse, embed, store)."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_pdf, make_sample_docs, make_two_column_pdf
from unirag.rag.retrieval.keyword import KeywordIndex
from unirag.rag.store import ChromaStore
from unirag.rag.store.chroma import FAULT_KILL_AFTER_CHUNKS
from unirag.rag.types import Query

ROOT = Path(__file__).resolve().parents[2]
SEED = 7


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """The text-layer sample documents plus copies under other names (more documents, more
    points to die between); the scanned sample is left out to keep OCR time out of the trials."""
    folder = tmp_path_factory.mktemp("crash") / "docs"
    report, scanned, note = make_sample_docs(folder)
    scanned.unlink()
    make_two_column_pdf(folder / "two_column.pdf")
    for name in ("solar_copy_a", "solar_copy_b", "solar_copy_c", "solar_copy_d"):
        make_sample_pdf(folder / f"{name}.pdf")
    return folder


def ingest_cmd(docs: Path, db: Path, workers: int | None = None) -> list[str]:
    return [sys.executable, "-m", "unirag.pipelines.cli", "ingest", str(docs), "--db", str(db), "--encoder", "hash", "-q",
            *(["--workers", str(workers)] if workers else [])]


def run_ingest(docs: Path, db: Path, workers: int | None = None, kill_after_chunks: int | None = None) -> int:
    """Run an ingest to its end: its return code (-9 when the fault hook killed it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_KILL_AFTER_CHUNKS, None)
    if kill_after_chunks:
        env[FAULT_KILL_AFTER_CHUNKS] = str(kill_after_chunks)
    done = subprocess.run(ingest_cmd(docs, db, workers), env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, -signal.SIGKILL if kill_after_chunks else 0), done.stderr
    return done.returncode


def kill_after(docs: Path, db: Path, delay: float, workers: int | None = None) -> bool:
    """Start an ingest and SIGKILL its whole process group (parser workers too) `delay` seconds
    after it started; False if it finished first."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_KILL_AFTER_CHUNKS, None)
    proc = subprocess.Popen(ingest_cmd(docs, db, workers), env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def state(db: Path) -> tuple[int, int]:
    """What a killed run left: (complete documents, half-written ones)."""
    if not (db / "chroma").is_dir():
        return 0, 0
    try:
        docs = ChromaStore(path=db).docs()
    finally:  # embedded Chroma caches a store per process: drop it, the next run changes the files
        SharedSystemClient.clear_system_cache()
    partial = sum(not d["complete"] for d in docs.values())
    return len(docs) - partial, partial


def snapshot(db: Path) -> dict:
    """Everything the store holds, comparable across runs."""
    store = ChromaStore(path=db)
    res = store._open().get(include=["documents", "metadatas", "embeddings"])
    assert len(res["ids"]) == len(set(res["ids"])), "duplicate chunk ids"
    chunks = {cid: (text, meta, np.asarray(vec, np.float32))
              for cid, text, meta, vec in zip(res["ids"], res["documents"], res["metadatas"], res["embeddings"])}
    crops = {str(p.relative_to(db)): p.read_bytes() for p in (db / "crops").rglob("*") if p.is_file()}
    keyword = KeywordIndex(store)
    # every chunk's BM25 score per question (rank order among equal scores follows storage order)
    bm25 = {q["question"]: {h.chunk.id: round(h.score, 4) for h in keyword.search(Query(text=q["question"]), 10**6)}
            for q in SAMPLE_QUESTIONS}
    return {"chunks": chunks, "crops": crops, "docs": store.docs(), "bm25": bm25}


def assert_same(got: dict, want: dict) -> None:
    assert set(got["chunks"]) == set(want["chunks"])
    for cid, (text, meta, vec) in want["chunks"].items():
        g_text, g_meta, g_vec = got["chunks"][cid]
        assert (g_text, g_meta) == (text, meta), cid
        np.testing.assert_allclose(g_vec, vec, atol=1e-6)
    assert got["docs"] == want["docs"] and all(d["complete"] for d in got["docs"].values())
    referenced = {m["crop"] for _, m, _ in got["chunks"].values() if m["crop"]}
    assert set(got["crops"]) == referenced, "orphan or missing crop files"
    assert got["crops"] == want["crops"]
    assert got["bm25"] == want["bm25"]


@pytest.fixture(scope="module")
def reference(docs, tmp_path_factory):
    db = tmp_path_factory.mktemp("reference") / "db"
    start = time.perf_counter()
    run_ingest(docs, db)
    return snapshot(db), time.perf_counter() - start


def crash_trials(docs: Path, reference, tmp_path: Path, trials: int) -> list[str]:
    want, seconds = reference
    n_docs, n_chunks = len(want["docs"]), len(want["chunks"])
    rng = random.Random(SEED)
    log = []
    for trial in range(trials):
        db = tmp_path / f"db{trial}"
        # odd trials parse in the ingest process itself, so parse, embed and store alternate per
        # document; even ones parse in worker processes and store each document as it comes
        workers = 1 if trial % 2 else None
        chunk = rng.randint(1, n_chunks - 1)
        assert run_ingest(docs, db, workers, kill_after_chunks=chunk) == -signal.SIGKILL  # the hook fired
        complete, partial = state(db)
        log.append(f"trial {trial}: killed after chunk {chunk} of {n_chunks} -> {complete} complete, {partial} half-written")
        assert complete < n_docs, log  # the kill landed mid-ingest
        if trial % 4 < 2:  # kill the repair run too, at a random moment
            delay = rng.uniform(0.2, seconds)
            killed = kill_after(docs, db, delay, workers)
            log.append(f"trial {trial}: repair run {'killed' if killed else 'finished'} at {delay:.2f} s -> "
                       "{} complete, {} half-written".format(*state(db)))
        run_ingest(docs, db, workers)
        assert_same(snapshot(db), want)
        shutil.rmtree(db)
    print("\n".join(log))
    return log


def test_three_kills_then_rerun_match_an_uninterrupted_run(docs, reference, tmp_path):
    crash_trials(docs, reference, tmp_path, trials=3)


@pytest.mark.slow
def test_twenty_kills_then_rerun_match_an_uninterrupted_run(docs, reference, tmp_path):
    log = crash_trials(docs, reference, tmp_path, trials=20)
    assert any("repair run killed" in ln for ln in log), log  # some random kills landed too


def test_a_second_run_after_a_clean_one_changes_nothing(docs, reference, tmp_path):
    db = tmp_path / "db"
    assert run_ingest(docs, db) == run_ingest(docs, db) == 0
    assert_same(snapshot(db), reference[0])
