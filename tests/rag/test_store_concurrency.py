"""An embedded store opened in one process sees what another process writes, and a read that
keeps failing ends in one clear error."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from chromadb.errors import InternalError

from unirag.rag.store import chroma
from unirag.rag.store.chroma import ChromaStore, StoreBusyError
from unirag.rag.types import Chunk, Document

DIM = 8

WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from unirag.rag.store.chroma import ChromaStore
    from unirag.rag.types import Chunk, Document

    store, first, n, dim = ChromaStore(path=sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for i in range(first, first + n):
        chunk = Chunk(doc_id=f"d{i}", modality="text", page=1, text=f"chunk {i}")
        doc = Document(doc_id=f"d{i}", source=f"d{i}.pdf", sha256=str(i), n_pages=1, chunks=[chunk])
        store.add(doc, np.eye(1, dim, i % dim, dtype=np.float32))
""")


def write_elsewhere(path, first: int, n: int) -> None:
    """Add documents d{first}..d{first+n-1} from another process; d{i}'s vector is unit axis i % DIM."""
    subprocess.run([sys.executable, "-c", WRITER, str(path), str(first), str(n), str(DIM)], check=True)


def add_here(store: ChromaStore, i: int) -> None:
    chunk = Chunk(doc_id=f"d{i}", modality="text", page=1, text=f"chunk {i}")
    store.add(Document(doc_id=f"d{i}", source=f"d{i}.pdf", sha256=str(i), n_pages=1, chunks=[chunk]),
              np.eye(1, DIM, i % DIM, dtype=np.float32))


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(chroma, "COUNT_TTL", 0.0)
    monkeypatch.setattr(chroma, "BACKOFF", 0.0)


@pytest.mark.parametrize("before", [0, 2], ids=["empty", "loaded"])
def test_a_store_open_before_another_process_writes_finds_what_it_wrote(tmp_path, before):
    store = ChromaStore(path=tmp_path)
    for i in range(before):
        add_here(store, i)
    assert len(store.search(np.eye(DIM, dtype=np.float32)[0], k=10)) == before  # vector index loaded
    old_version = store.version()
    write_elsewhere(tmp_path, before, 3)
    found = {h.chunk.doc_id for h in store.search(np.ones(DIM, np.float32), k=10)}
    assert found == {f"d{i}" for i in range(before + 3)}  # without a reopen, the new three were missing
    assert store.search(np.eye(DIM, dtype=np.float32)[before + 2], k=1)[0].chunk.doc_id == f"d{before + 2}"
    assert store.version() != old_version  # the keyword index rebuilds
    assert store.version() == store.version()  # reading changes nothing on disk: no more reopens


def test_a_store_opened_after_another_process_wrote_finds_it_though_an_older_one_is_open(tmp_path):
    older = ChromaStore(path=tmp_path)
    add_here(older, 0)
    assert len(older.search(np.ones(DIM, np.float32), k=10)) == 1
    write_elsewhere(tmp_path, 1, 2)
    newer = ChromaStore(path=tmp_path)  # Chroma would hand it the older one's loaded segments
    assert {h.chunk.doc_id for h in newer.search(np.ones(DIM, np.float32), k=10)} == {"d0", "d1", "d2"}


def test_a_read_that_fails_while_another_process_writes_is_retried_on_a_reopened_store(tmp_path):
    store = ChromaStore(path=tmp_path)
    add_here(store, 0)
    failures = iter([InternalError("Error creating hnsw segment reader: Nothing found on disk")] * 2)
    opened = []

    def read(col):
        opened.append(col)
        error = next(failures, None)
        if error:
            raise error
        return col.count()

    assert store._read("counting", read) == 1
    assert len({id(c) for c in opened}) == 3  # each retry on a freshly opened collection


def test_a_read_that_keeps_failing_raises_one_clear_error(tmp_path):
    store = ChromaStore(path=tmp_path)
    add_here(store, 0)

    def read(col):
        raise InternalError("Error creating hnsw segment reader: Nothing found on disk")

    with pytest.raises(StoreBusyError, match=r"another process is probably writing it.*--chroma-url"):
        store._read("searching", read)


def test_own_writes_never_reopen_the_store(tmp_path):
    store = ChromaStore(path=tmp_path)
    add_here(store, 0)
    col = store._open()
    add_here(store, 1)
    store.version()
    assert store._open() is col
