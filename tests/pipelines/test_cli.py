"""The unirag command line, including bad input in a batch."""
import json

import pytest

from unirag.parsers.samples import make_sample_docs
from unirag.pipelines.cli import main


@pytest.fixture()
def folder(tmp_path):
    docs = tmp_path / "docs"
    good = make_sample_docs(docs)
    (docs / "empty.pdf").write_bytes(b"")
    data = good[0].read_bytes()
    (docs / "truncated.pdf").write_bytes(data[: len(data) // 3])
    (docs / "notes.txt").write_text("not a pdf")
    (docs / "fake.pdf").write_text("plain text pretending to be a PDF")
    return docs, good


def test_bad_files_get_one_error_line_each_and_the_rest_is_ingested(folder, tmp_path, capsys):
    docs, good = folder
    code = main(["ingest", str(docs), "--db", str(tmp_path / "db"), "--encoder", "hash", "-q"])
    out, err = capsys.readouterr()
    assert code == 1
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 4
    for name in ("empty.pdf", "truncated.pdf", "notes.txt", "fake.pdf"):
        assert sum(name in ln for ln in errors) == 1, (name, errors)
    assert f"ingested {len(good)} document(s)" in out and "4 failed" in out
    # a second run ingests nothing new and loses nothing
    code = main(["ingest", str(docs), "--db", str(tmp_path / "db"), "--encoder", "hash", "-q"])
    out, _ = capsys.readouterr()
    assert code == 1 and f"{len(good)} unchanged" in out


def test_query_prints_answer_and_citations(folder, tmp_path, capsys):
    docs, good = folder
    db = str(tmp_path / "db")
    main(["ingest", *map(str, good), "--db", db, "--encoder", "hash", "-q"])
    capsys.readouterr()
    assert main(["query", "table", "--db", db, "--json", "--modality", "table"]) == 0  # uses the stored encoder
    result = json.loads(capsys.readouterr().out)
    assert result["citations"] and all(c["modality"] == "table" for c in result["citations"])


@pytest.mark.parametrize("flags, says", [
    (["--doc", "report"], "no such document 'report'"),
    (["--modality", "chart"], "expected modalities from"),
    ([], "expected non-empty text"),
])
def test_bad_filters_and_blank_questions_are_one_error_line(folder, tmp_path, capsys, flags, says):
    docs, good = folder
    db = str(tmp_path / "db")
    main(["ingest", str(good[0]), "--db", db, "--encoder", "hash", "-q"])
    capsys.readouterr()
    question = "   " if not flags else "peak temperature"
    assert main(["query", question, "--db", db, *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and len(err.strip().splitlines()) == 1
    if flags[:1] == ["--doc"]:
        assert good[0].stem in err  # what exists is listed


def test_clear_errors_for_missing_query_and_encoder_mismatch(folder, tmp_path, capsys):
    docs, good = folder
    db = str(tmp_path / "db")
    assert main(["query", "--db", db]) == 2
    assert main(["query", "anything", "--db", db]) == 2  # no store yet: nothing is created
    assert "no unirag store here" in capsys.readouterr().err and not (tmp_path / "db").exists()
    main(["ingest", str(good[0]), "--db", db, "--encoder", "hash", "-q"])
    assert main(["query", "x", "--db", db, "--encoder", "text"]) == 2
    assert "built with encoder" in capsys.readouterr().err


def test_ls_and_rm(folder, tmp_path, capsys):
    docs, good = folder
    db = str(tmp_path / "db")
    main(["ingest", *map(str, good), "--db", db, "--encoder", "hash", "-q"])
    capsys.readouterr()
    assert main(["ls", "--db", db]) == 0
    out = capsys.readouterr().out
    assert f"{len(good)} document(s)" in out and good[0].stem in out
    assert main(["rm", good[0].stem, "nope", "--db", db]) == 1
    out, err = capsys.readouterr()
    assert f"removed {good[0].stem}" in out and "nope: no such document" in err
    main(["ls", "--db", db])
    assert good[0].stem + "\t" not in capsys.readouterr().out
    assert not (tmp_path / "db" / "crops" / good[0].stem).exists()
    # the keyword index beside the store was rewritten for what is left: the next query only loads it
    from unirag.rag.retrieval.keyword import INDEX_FILE
    from unirag.rag.retrieval.snapshot import Snapshot
    from unirag.rag.store import ChromaStore

    key = ChromaStore(path=db).content_key()
    snap = Snapshot.load(tmp_path / "db" / INDEX_FILE, key or "", {"k1": 1.2, "b": 0.75}, (0, 0))
    assert snap is not None and good[0].stem not in set(snap.doc_id) and len(snap.ids) > 0


def test_interrupted_ingest_is_repaired_without_duplicates(folder, tmp_path, capsys):
    """A document whose chunks were only partly written (a crash mid-add) is re-ingested whole."""
    from unirag.pipelines.pipeline import Pipeline

    docs, good = folder
    pipe = Pipeline(db=tmp_path / "db", encoder={"name": "hash"})
    pipe.ingest(good[:1], progress=False)
    full = pipe.store.count()
    store = pipe.store._open()
    some = store.get(limit=3)["ids"]
    store.delete(ids=some)  # as if the process died before these were added
    assert pipe.store.docs()[good[0].stem]["chunks"] == full - 3
    report = Pipeline(db=tmp_path / "db", encoder={"name": "hash"}).ingest(good[:1], progress=False)
    assert report.added == [good[0].stem] and pipe.store.count() == full


def test_search_lists_ranked_evidence_without_an_answer(folder, tmp_path, capsys):
    docs, good = folder
    db = str(tmp_path / "db")
    main(["ingest", *map(str, good), "--db", db, "--encoder", "hash", "-q"])
    capsys.readouterr()
    assert main(["search", "peak temperature table", "--db", db, "--json", "-k", "3"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert set(hits[0]) >= {"doc", "page", "modality", "bbox", "score", "crop", "chunk"}
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert main(["search", "peak temperature table", "--db", db, "--modality", "table"]) == 0
    out = capsys.readouterr().out
    assert " 1. " in out and " table region (" in out and "A: " not in out and out.rstrip().endswith("hit(s)")


def test_a_refusal_still_shows_its_evidence(folder, tmp_path, capsys):
    docs, good = folder
    db = str(tmp_path / "db")
    main(["ingest", *map(str, good), "--db", db, "--encoder", "hash", "-q"])
    capsys.readouterr()
    assert main(["query", "zebra migration xylophone quantum", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "does not answer it" in out and " 1. " in out
    assert main(["query", "zebra migration xylophone quantum", "--db", db, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert not result["found"] and result["evidence"] and result["evidence"][0]["rank"] == 1
