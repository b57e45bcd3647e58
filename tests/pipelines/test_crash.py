"""Crash safety: `unirag ingest` killed with SIGKILL at random points, then run again, ends with
exactly the collection an uninterrupted run builds (chunk ids, metadata, vectors, crop files,
keyword index), with no duplicates, no orphan crops and no half-written document."""
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


def run_ingest(docs: Path, db: Path, workers: int | None = None) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(ingest_cmd(docs, db, workers), env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - start


def kill_after(docs: Path, db: Path, delay: float, workers: int | None = None, crops: int = 0) -> bool:
    """Start an ingest and SIGKILL its whole process group (parser workers too) `delay` seconds
    after it started, or after it wrote its `crops`-th crop file (the store phase); False if it
    finished first."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(ingest_cmd(docs, db, workers), env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while crops and proc.poll() is None and len(list(db.glob("crops/*/*.png"))) < crops:
        time.sleep(0.005)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def state(db: Path) -> str:
    """What a killed run left: how many documents are complete / half-written."""
    if not (db / "chroma").is_dir():
        return "no store yet"
    try:
        docs = ChromaStore(path=db).docs()
    except Exception as e:  # noqa: BLE001 - describing, not asserting
        return f"unreadable ({type(e).__name__})"
    finally:  # embedded Chroma caches a store per process: drop it, the next run changes the files
        SharedSystemClient.clear_system_cache()
    partial = sum(not d["complete"] for d in docs.values())
    return f"{len(docs) - partial} complete, {partial} half-written"


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
    seconds = run_ingest(docs, db)
    return snapshot(db), seconds


def crash_trials(docs: Path, reference, tmp_path: Path, trials: int) -> list[str]:
    want, seconds = reference
    rng = random.Random(SEED)
    log = []
    for trial in range(trials):
        db = tmp_path / f"db{trial}"
        # odd trials parse in the ingest process itself, so parse, embed and store alternate per
        # document; even ones parse in worker processes and store each document as it comes
        workers = 1 if trial % 2 else None
        # a first kill anywhere in the run (start-up, parse, embed, store), sometimes a second
        # one during the repair run, then a run left to finish
        # half of the first kills come at a random time, half a random moment after a random crop
        # file was written (timing alone rarely hits the short store phase on a fast machine)
        if trial % 4 < 2:
            kills = [(rng.uniform(0.2, 1.1 * seconds), 0)]
        else:
            kills = [(rng.uniform(0.0, 0.3), rng.randint(1, len(want["crops"])))]
        kills += [(rng.uniform(0.2, seconds), 0)] if rng.random() < 0.3 else []
        for delay, crops in kills:
            killed = kill_after(docs, db, delay, workers, crops)
            when = f"{delay:.2f} s" + (f" after crop {crops}" if crops else "")
            log.append(f"trial {trial}: {'killed' if killed else 'finished'} at {when} -> {state(db)}")
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
    assert sum(": killed " in ln for ln in log) >= 15, log  # most kills land before the run ends
    n_docs = len(reference[0]["docs"])
    mid_batch = [ln for ln in log if ": killed " in ln and "complete" in ln and f"{n_docs} complete" not in ln
                 and not ln.endswith("-> 0 complete, 0 half-written")]
    assert mid_batch, log  # some kills landed between the first document stored and the last


def test_a_second_run_after_a_clean_one_changes_nothing(docs, reference, tmp_path):
    db = tmp_path / "db"
    run_ingest(docs, db)
    run_ingest(docs, db)
    assert_same(snapshot(db), reference[0])
