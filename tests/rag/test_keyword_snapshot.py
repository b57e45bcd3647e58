"""The keyword index kept in a file beside an embedded store: loaded by a new process instead of
rebuilt, rebuilt when stale, refused (and rebuilt) when corrupt, and scoring exactly as bm25s."""
import json
import logging

import numpy as np
import pytest

from unirag.rag.encoders import make_encoder
from unirag.rag.retrieval import snapshot as snapshot_module
from unirag.rag.retrieval.keyword import INDEX_FILE, KeywordIndex
from unirag.rag.retrieval.snapshot import Bm25Scores, IndexFileError, Snapshot
from unirag.rag.store import ChromaStore
from unirag.rag.text import tokenize
from unirag.rag.types import Chunk, Document, Query

TEXTS = ["Table 2: Rainfall in Oslo is 763 mm a year", "Figure 1: panel temperature peaks at 14:00",
         "电池储能系统的效率为百分之九十", "Solar panels on the roof; rainfall washes them", "储能效率 Table 3 efficiency"]
QUESTIONS = ["rainfall Oslo", "储能效率", "panel temperature Table 2", "efficiency of Table 3", "nothing matches zzz"]
ENCODER = make_encoder("hash", dim=32)


def add(store: ChromaStore, doc_id: str, texts: list[str]) -> None:
    chunks = [Chunk(doc_id=doc_id, modality="table" if "Table" in t else "text", page=i + 1, text=t)
              for i, t in enumerate(texts)]
    store.add(Document(doc_id=doc_id, source=f"{doc_id}.pdf", sha256=doc_id, n_pages=len(chunks), chunks=chunks),
              ENCODER.embed_documents(chunks))


def results(index: KeywordIndex) -> list:
    return [[(h.chunk.id, h.score) for h in index.search(Query(text=q), 10)]
            + [h.chunk.id for h in index.labelled(Query(text=q), 10)] for q in QUESTIONS]


def no_build(monkeypatch) -> None:
    def refuse(self, version):
        raise AssertionError("the index was rebuilt instead of loaded")

    monkeypatch.setattr(KeywordIndex, "_build", refuse)


@pytest.fixture
def db(tmp_path):
    add(ChromaStore(path=tmp_path), "d", TEXTS)
    return tmp_path


def test_a_new_process_loads_the_saved_index_and_ranks_the_same(db, monkeypatch):
    built = results(KeywordIndex(ChromaStore(path=db)))
    assert (db / INDEX_FILE).is_file() and any(built)
    assert (db / INDEX_FILE).stat().st_mode & 0o777 == db.stat().st_mode & 0o644  # readable as the store is
    no_build(monkeypatch)
    assert results(KeywordIndex(ChromaStore(path=db))) == built  # ids and scores, to the bit


def test_a_stale_index_is_rebuilt(db, monkeypatch):
    KeywordIndex(ChromaStore(path=db)).update()
    add(ChromaStore(path=db), "e", ["Oslo rainfall record of 2024"])  # another writer
    fresh = KeywordIndex(ChromaStore(path=db))
    assert {h.chunk.doc_id for h in fresh.search(Query(text="Oslo rainfall"), 10)} == {"d", "e"}
    ChromaStore(path=db).delete("e")
    after_delete = KeywordIndex(ChromaStore(path=db))
    assert {h.chunk.doc_id for h in after_delete.search(Query(text="Oslo rainfall"), 10)} == {"d"}
    no_build(monkeypatch)  # the rebuilt file names the store as it is now
    assert results(KeywordIndex(ChromaStore(path=db))) == results(after_delete)


def test_index_built_by_other_tokenizing_code_is_stale(db, monkeypatch):
    KeywordIndex(ChromaStore(path=db)).update()
    store = ChromaStore(path=db)
    key = store.content_key()
    assert key and Snapshot.load(db / INDEX_FILE, key, {"k1": 1.2, "b": 0.75}, (0, 0)) is not None
    monkeypatch.setattr(snapshot_module, "code_fingerprint", lambda: "other code")
    assert Snapshot.load(db / INDEX_FILE, key, {"k1": 1.2, "b": 0.75}, (0, 0)) is None
    assert Snapshot.load(db / INDEX_FILE, key, {"k1": 1.5, "b": 0.75}, (0, 0)) is None


def _pickled(path):
    np.savez(path, data=np.array([object()], dtype=object), indices=np.zeros(1), indptr=np.zeros(2), page=np.zeros(1),
             record=np.zeros(1, np.uint8))


def _out_of_range(path):
    snap = KeywordIndex(ChromaStore(path=path.parent))._index()
    key = ChromaStore(path=path.parent).content_key()
    bad = Bm25Scores(snap.bm25.data, snap.bm25.indices + 1000, snap.bm25.indptr, snap.bm25.vocab, snap.bm25.rows)
    Snapshot(snap.version, bad, snap.ids, snap.modality, snap.doc_id, snap.page, snap.labels).save(
        path, key, {"k1": 1.2, "b": 0.75})


def _changed(**change):
    """A spoiler that rewrites a valid file with some of its arrays or record fields replaced."""
    def spoil(path):
        KeywordIndex(ChromaStore(path=path.parent)).update()
        with np.load(path) as z:
            arrays = dict(z)
        record = {**json.loads(arrays["record"].tobytes()), **{k: v for k, v in change.items() if k not in arrays}}
        arrays.update({k: v for k, v in change.items() if k in arrays})
        arrays["record"] = np.frombuffer(json.dumps(record).encode(), np.uint8)
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    return spoil


@pytest.mark.parametrize("spoil,message", [
    (_changed(vocab=[[1]]), "expected vocab, ids, modality and doc_id as lists of strings"),
    (_changed(labels=[["table", "3"]]), "expected labels as"),
    (_changed(page=np.int64(3)), "float32 scores and integer vectors"),
    (_changed(ids=["a"]), "of one length"),
    (lambda p: p.write_bytes(b"not an index"), "not a keyword index file"),
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "not a keyword index file"),
    (_pickled, "not a keyword index file"),  # object arrays need pickle: never loaded
    (_out_of_range, "expected score rows in range"),
])
def test_a_corrupt_index_is_refused_with_a_message_and_rebuilt(db, caplog, spoil, message):
    want = results(KeywordIndex(ChromaStore(path=db)))
    spoil(db / INDEX_FILE)
    with pytest.raises(IndexFileError, match=message):
        Snapshot.load(db / INDEX_FILE, ChromaStore(path=db).content_key() or "", {"k1": 1.2, "b": 0.75}, (0, 0))
    with caplog.at_level(logging.WARNING, logger="unirag.rag.retrieval.keyword"):
        assert results(KeywordIndex(ChromaStore(path=db))) == want
    assert f"{db / INDEX_FILE}" in caplog.text and "rebuilding it from the store" in caplog.text
    assert Snapshot.load(db / INDEX_FILE, ChromaStore(path=db).content_key() or "", {"k1": 1.2, "b": 0.75}, (0, 0)) is not None


def test_scores_equal_bm25s_exactly():
    import bm25s

    corpus = [tokenize(t) for t in TEXTS]
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    ours = Bm25Scores.from_bm25s(bm25, len(corpus))
    for q in QUESTIONS:
        tokens = [t for t in tokenize(q) if t in ours.vocab]
        if tokens:
            assert np.array_equal(ours.scores(tokens), bm25.get_scores(tokens))
    assert not ours.scores(["unknown-token"]).any()


def test_a_server_store_keeps_no_file(tmp_path):
    store = ChromaStore(path=tmp_path, url="http://127.0.0.1:9")  # nothing is opened for these
    assert store.content_key() is None and store.index_path(INDEX_FILE) is None
