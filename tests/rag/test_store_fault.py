"""The UNIRAG_FAULT_KILL_AFTER_CHUNKS test hook of ChromaStore.add: an ingest SIGKILLed right after
the first, a middle or the last chunk of a document leaves that document incomplete, and the next
ingest completes it to exactly the chunks and crops of a clean ingest."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from unirag.parsers.samples import make_sample_pdf, make_two_column_pdf
from unirag.rag.store import ChromaStore
from unirag.rag.store.chroma import FAULT_KILL_AFTER_CHUNKS

ROOT = Path(__file__).resolve().parents[2]


def ingest(file: Path, db: Path, kill_after: int | None = None) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_KILL_AFTER_CHUNKS, None)
    if kill_after is not None:
        env[FAULT_KILL_AFTER_CHUNKS] = str(kill_after)
    cmd = [sys.executable, "-m", "unirag.pipelines.cli", "ingest", str(file), "--db", str(db), "--encoder", "hash", "-q"]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, timeout=300).returncode


def stored(db: Path) -> tuple[dict, set[str], set[str]]:
    """(docs(), chunk ids, crop files) of the store at `db`."""
    try:
        store = ChromaStore(path=db)
        ids = {c.id for c in store.all_chunks()}
        crops = {str(p.relative_to(db)) for p in (db / "crops").rglob("*") if p.is_file()}
        return store.docs(), ids, crops
    finally:  # embedded Chroma caches a store per process; the next ingest changes the files
        SharedSystemClient.clear_system_cache()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The document (report.pdf), an earlier version of it under the same id, and a clean store's state."""
    root = tmp_path_factory.mktemp("fault")
    new, old = make_sample_pdf(root / "new" / "report.pdf"), make_two_column_pdf(root / "old" / "report.pdf")
    assert ingest(new, root / "clean") == 0
    return new, old, stored(root / "clean")


@pytest.mark.parametrize("earlier,where", [(False, "first"), (False, "middle"),
                                           (True, "first"), (True, "middle"), (True, "last")])
def test_a_kill_after_a_chunk_leaves_the_document_incomplete_and_a_rerun_completes_it(files, tmp_path, earlier, where):
    new, old, (clean_docs, clean_ids, clean_crops) = files
    n = len(clean_ids)
    kill_after = {"first": 1, "middle": n // 2, "last": n}[where]
    db = tmp_path / "db"
    if earlier:  # a store holding another version of report.pdf: its stale chunks make "last" incomplete too
        assert ingest(old, db) == 0
    assert ingest(new, db, kill_after) == -signal.SIGKILL  # killed inside add, not after the ingest ended

    docs, ids, _ = stored(db)
    assert not docs["report"]["complete"]
    assert len(ids & clean_ids) == kill_after  # exactly the chunks up to the kill point went in
    assert ingest(new, db) == 0
    assert stored(db) == (clean_docs, clean_ids, clean_crops)


def test_a_kill_after_the_last_chunk_of_a_new_document_leaves_it_complete(files, tmp_path):
    """Nothing of an earlier version to prune: the store already holds the whole document."""
    new, _, clean = files
    assert ingest(new, tmp_path / "db", len(clean[1])) == -signal.SIGKILL
    assert stored(tmp_path / "db") == clean
