"""Which files an ingest takes and how it names them, and that its parser pool never outlives it."""
import multiprocessing
from pathlib import Path

import pytest

from unirag.parsers.samples import make_sample_docs, make_sample_pdf
from unirag.pipelines.ingest import IngestReport, Ingestor, find_files
from unirag.rag.encoders import make_encoder
from unirag.rag.store import ChromaStore


def ingestor(db: Path, workers: int = 1) -> Ingestor:
    return Ingestor(ChromaStore(path=db), make_encoder("hash"), {"name": "pymupdf", "ocr": "off"}, workers=workers)


def test_a_document_named_by_a_relative_path_stores_its_absolute_source(tmp_path, monkeypatch):
    make_sample_pdf(tmp_path / "docs" / "report.pdf")
    monkeypatch.chdir(tmp_path)
    store_path = tmp_path / "db"
    report = ingestor(store_path).run(["docs/report.pdf"], progress=False)
    assert report.added == ["report"]
    assert ChromaStore(path=store_path).docs()["report"]["source"] == str(tmp_path / "docs" / "report.pdf")


def test_relative_folders_and_dot_dot_give_plain_absolute_paths(tmp_path, monkeypatch):
    make_sample_pdf(tmp_path / "docs" / "a.pdf")
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    assert find_files(["../docs"]).files == [tmp_path / "docs" / "a.pdf"]
    assert find_files(["../docs/a.pdf"]).files == [tmp_path / "docs" / "a.pdf"]


def test_symlinked_subfolders_are_skipped_with_one_warning(tmp_path):
    docs = tmp_path / "docs"
    make_sample_pdf(docs / "a.pdf")
    make_sample_pdf(docs / "sub" / "b.pdf")
    make_sample_pdf(tmp_path / "elsewhere" / "c.pdf")
    (docs / "sub" / "up").symlink_to("..")  # loops back to docs/
    (docs / "self").symlink_to(".")  # loops onto itself
    (docs / "out").symlink_to(tmp_path / "elsewhere")  # leads out of the folder
    (docs / "b_link.pdf").symlink_to(docs / "sub" / "b.pdf")  # a linked file is a file: taken
    found = find_files([docs])
    assert found.files == [docs / "a.pdf", docs / "b_link.pdf", docs / "sub" / "b.pdf"]
    assert found.warnings == [f"{docs}: skipped 3 symlinked folders inside it "
                              "(not followed: a link can loop or lead elsewhere; name its target instead)"]
    assert find_files([docs / "out"]).files == [docs / "out" / "c.pdf"]  # a linked folder named directly is walked


def test_a_folder_holding_only_symlink_loops_says_so_in_the_report(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "loop").symlink_to(docs)
    report = ingestor(tmp_path / "db").run([docs], progress=False)
    assert (report.added, report.failed) == ([], [])
    assert report.warnings == [f"{docs}: skipped 1 symlinked folder inside it "
                               "(not followed: a link can loop or lead elsewhere; name its target instead)"]


def test_an_interrupted_ingest_shuts_its_parser_pool_down(three_docs, tmp_path, monkeypatch):
    ing = ingestor(tmp_path / "db", workers=2)

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(ing, "_store", interrupt)
    with pytest.raises(KeyboardInterrupt):
        ing.run([three_docs], progress=False)
    assert multiprocessing.active_children() == []


def test_closing_the_results_early_shuts_the_parser_pool_down(three_docs, tmp_path):
    ing = ingestor(tmp_path / "db", workers=2)
    todo = ing._plan(find_files([three_docs]).files, IngestReport())
    results = ing._results(todo)
    assert not isinstance(next(results)[1], str)  # a parsed document
    assert multiprocessing.active_children()  # the pool is running
    results.close()
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("workers", [1, 2])
def test_pages_are_reported_as_they_are_parsed(tmp_path, workers):
    from unirag.pipelines.ingest import Ingestor
    from unirag.rag.encoders import make_encoder
    from unirag.rag.store import ChromaStore

    paths = make_sample_docs(tmp_path / "docs")
    reports = []
    ingestor = Ingestor(ChromaStore(path=tmp_path / "db"), make_encoder("hash"), {"name": "pymupdf", "ocr": "off"},
                        workers=workers)
    report = ingestor.run(paths, progress=False, on_page=reports.append)
    for doc in report.added:
        seen = [(done, total) for d, done, total in reports if d == doc]
        total = seen[-1][1]
        assert [done for done, _ in seen] == list(range(1, total + 1)), doc  # page by page, in order, once


class _WarmUpFails(type(make_encoder("hash"))):  # type: ignore[misc]
    warmed = 0

    def warm_up(self) -> None:
        type(self).warmed += 1
        raise OSError("model file missing")


def test_the_encoder_loads_before_the_first_file_and_a_failed_warm_up_is_only_logged(tmp_path, caplog):
    make_sample_pdf(tmp_path / "docs" / "a.pdf")
    ing = Ingestor(ChromaStore(path=tmp_path / "db"), _WarmUpFails(dim=16), {"name": "pymupdf", "ocr": "off"}, workers=1)
    report = ing.run([tmp_path / "docs"], progress=False)
    assert _WarmUpFails.warmed == 1 and report.added == ["a"]
    assert "model file missing" in caplog.text
    assert ing.run([tmp_path / "docs"], progress=False).skipped == ["a"] and _WarmUpFails.warmed == 1  # nothing to do
