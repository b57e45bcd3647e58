import numpy as np
import pytest

from unirag.rag.store import ChromaStore, where_clause
from unirag.rag.types import Chunk, Document, Query


def doc(doc_id="d", sha="s1", texts=("alpha", "beta"), image=None):
    chunks = [Chunk(doc_id=doc_id, modality="figure" if image else "text", page=i + 1, text=t,
                    bbox=(0, 0, 10, 10), image=image) for i, t in enumerate(texts)]
    return Document(doc_id=doc_id, source=f"{doc_id}.pdf", sha256=sha, n_pages=len(texts), chunks=chunks)


def vecs(n, dim=4):
    v = np.eye(dim, dtype=np.float32)[:n]
    return v


def test_add_search_and_metadata_round_trip(tmp_path):
    store = ChromaStore(path=tmp_path)
    store.add(doc(), vecs(2))
    hits = store.search(np.array([0, 1, 0, 0], np.float32), k=2)
    assert [h.chunk.text for h in hits] == ["beta", "alpha"]
    assert hits[0].chunk.page == 2 and hits[0].chunk.bbox == (0, 0, 10, 10)
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert store.docs() == {"d": {"sha256": "s1", "chunks": 2, "expected": 2, "source": "d.pdf", "complete": True}}


def test_re_adding_a_document_replaces_it_without_duplicates(tmp_path):
    store = ChromaStore(path=tmp_path)
    store.add(doc(image=b"\x89PNG old"), vecs(2))
    store.add(doc(sha="s2", texts=("gamma",), image=b"\x89PNG new"), vecs(1))
    assert store.count() == 1 and store.docs()["d"]["sha256"] == "s2"
    crops = list((tmp_path / "crops" / "d").iterdir())
    assert len(crops) == 1 and crops[0].read_bytes() == b"\x89PNG new"


def test_delete_removes_chunks_and_crops(tmp_path):
    store = ChromaStore(path=tmp_path)
    store.add(doc(image=b"\x89PNG"), vecs(2))
    store.add(doc("e"), vecs(2))
    store.delete("d")
    assert set(store.docs()) == {"e"} and not (tmp_path / "crops" / "d").exists()


def test_filters(tmp_path):
    store = ChromaStore(path=tmp_path)
    store.add(doc(), vecs(2))
    q = Query(text="x", pages=(1,), doc_ids=("d",))
    hits = store.search(np.ones(4, np.float32), k=5, where=where_clause(q))
    assert [h.chunk.page for h in hits] == [1]
    assert where_clause(Query(text="x")) is None


def test_encoder_mismatch_is_refused(tmp_path):
    store = ChromaStore(path=tmp_path)
    store.check_encoder({"name": "hash", "dim": 4})
    store.check_encoder({"name": "hash", "dim": 4})
    with pytest.raises(ValueError, match="built with encoder"):
        ChromaStore(path=tmp_path).check_encoder({"name": "text"})


def test_vector_count_must_match(tmp_path):
    with pytest.raises(ValueError, match="expected 2 vectors, got 1"):
        ChromaStore(path=tmp_path).add(doc(), vecs(1))


def test_a_replacement_cut_short_reads_as_incomplete_and_is_redone(tmp_path, monkeypatch):
    store = ChromaStore(path=tmp_path)
    store.add(doc(texts=("alpha", "beta"), image=b"\x89PNG old"), vecs(2))
    monkeypatch.setattr(store, "_prune", lambda *args: None)  # as if killed right after the upsert
    store.add(doc(sha="s2", texts=("gamma",), image=b"\x89PNG new"), vecs(1))
    d = store.docs()["d"]
    assert d["sha256"] == "" and not d["complete"] and d["chunks"] == 3  # both versions, still searchable
    monkeypatch.undo()
    store.add(doc(sha="s2", texts=("gamma",), image=b"\x89PNG new"), vecs(1))
    assert store.docs()["d"]["complete"] and store.count() == 1
    assert [p.read_bytes() for p in (tmp_path / "crops" / "d").iterdir()] == [b"\x89PNG new"]


def test_crop_folders_without_a_stored_document_are_orphans(tmp_path):
    store = ChromaStore(path=tmp_path)
    store.add(doc(image=b"\x89PNG"), vecs(2))
    (tmp_path / "crops" / "ghost").mkdir()
    assert store.orphan_crops() == [tmp_path / "crops" / "ghost"]
