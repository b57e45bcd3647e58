"""Queries from several threads while an ingest runs (new documents and a changed one) all get
answers with citations, and none fails; so do commands and a long-lived pipeline in one process
while another process ingests into the same embedded store."""
import subprocess
import sys
import textwrap
import threading

import pytest

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs, make_sample_pdf, make_two_column_pdf
from unirag.pipelines.pipeline import Pipeline
from unirag.rag.store import chroma
from unirag.rag.types import Query

# Ingests into DB until the file STOP exists: each round a new copy of the sample report, and
# every third round a revised wind note (its chunks replaced).
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from unirag.parsers.samples import make_sample_pdf
    from unirag.pipelines.cli import main

    db, docs, note, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    rounds = 0
    while not stop.exists():
        make_sample_pdf(docs / f"copy_{rounds}.pdf")
        if rounds % 3 == 2:
            note.write_bytes(note.read_bytes() + b"\\n% revised\\n")
        code = main(["ingest", str(docs), "--db", db, "--encoder", "hash", "-q", "--workers", "1"])
        print(f"round {rounds} exit {code}", flush=True)
        rounds += 1
""")


def test_threaded_queries_during_an_ingest_get_answers(tmp_path):
    report_pdf, scanned, note = make_sample_docs(tmp_path / "docs")
    scanned.unlink()  # OCR time is not what this test is about
    pipe = Pipeline(db=tmp_path / "db", encoder={"name": "hash"}, workers=1)
    assert pipe.ingest([report_pdf], progress=False).ok
    before = pipe.store.count()
    # while the threads ask, the ingest adds new documents and replaces the changed report
    report_pdf.write_bytes(report_pdf.read_bytes() + b"\n% revised\n")
    more = [note, make_two_column_pdf(tmp_path / "docs" / "two_column.pdf")]
    more += [make_sample_pdf(tmp_path / "docs" / f"copy_{i}.pdf") for i in range(3)]

    answers, errors = [], []
    stop = threading.Event()

    def ask(worker: int) -> None:
        n = 0
        while not stop.is_set() or n < 3:
            q = SAMPLE_QUESTIONS[(worker + n) % len(SAMPLE_QUESTIONS)]
            try:
                answers.append(pipe.query(q["question"], top_k=5))
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(f"{q['question']}: {type(e).__name__}: {e}")
            n += 1

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        report = pipe.ingest([report_pdf, *more], progress=False)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=300)
    assert not errors, errors[:5]
    assert report.ok and sorted(report.added) == sorted(p.stem for p in [report_pdf, *more])
    assert len(answers) >= 12 and all(a.citations for a in answers if a.found)
    assert sum(a.found for a in answers) >= len(answers) // 2  # a not-found is honest, not an error
    assert pipe.store.count() > before and all(d["complete"] for d in pipe.store.docs().values())


def mixed_reads_during_ingests(tmp_path, ops: int) -> None:
    """`ops` reads, in turn a `unirag query` and a `unirag ls` (each a new process), a retrieve and
    a query of a pipeline opened on the empty store before the other process's first ingest."""
    _, scanned, note = make_sample_docs(tmp_path / "docs")
    scanned.unlink()  # OCR time is not what this test is about
    db = tmp_path / "db"
    pipe = Pipeline(db=db, encoder={"name": "hash"}, workers=1)
    assert pipe.retrieve("battery", top_k=3) == []
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(tmp_path / "docs"), str(note),
                               str(tmp_path / "STOP")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cli = [sys.executable, "-m", "unirag.pipelines.cli"]
    failures, asked = [], 0
    try:
        while writer.poll() is None and "round 0" not in writer.stdout.readline():
            pass  # reads start once the store exists
        for i in range(ops):
            kind = ("query", "ls", "retrieve", "ask")[i % 4]
            if kind in ("query", "ls"):
                args = ["query", SAMPLE_QUESTIONS[i % 5]["question"], "-k", "5"] if kind == "query" else ["ls"]
                done = subprocess.run([*cli, *args, "--db", str(db)], capture_output=True, text=True, check=False)
                if done.returncode or "Traceback" in done.stderr:
                    failures.append(f"{kind}: exit {done.returncode}: {done.stderr[-2000:]}")
                continue
            try:
                if kind == "retrieve":
                    pipe.retrieve(SAMPLE_QUESTIONS[i % 5]["question"], top_k=5)
                else:
                    asked += pipe.query(SAMPLE_QUESTIONS[i % 5]["question"], top_k=5).found
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                failures.append(f"{kind}: {type(e).__name__}: {e}")
    finally:
        (tmp_path / "STOP").touch()
        out, err = writer.communicate(timeout=300)
    print(f"{ops} reads during {out.count('round') + 1} ingests: {len(failures)} failed")
    assert not failures, failures[:3]
    assert writer.returncode == 0 and "Traceback" not in err and " exit 1" not in out, err[-2000:]
    stored = pipe.store.docs()
    assert all(d["complete"] for d in stored.values()) and len(stored) >= 3
    chroma.COUNT_TTL = 0.0  # the pipeline looks again now, then sees every document in its vector index
    dense = pipe.store.search(pipe.encoder.embed_query(Query(text="battery")), k=pipe.store.count())
    assert {h.chunk.doc_id for h in dense} == set(stored)


def test_reads_while_another_process_ingests_never_fail(tmp_path, monkeypatch):
    monkeypatch.setattr(chroma, "COUNT_TTL", chroma.COUNT_TTL)  # restored afterwards
    mixed_reads_during_ingests(tmp_path, ops=4)


@pytest.mark.slow
def test_a_hundred_reads_while_another_process_ingests_never_fail(tmp_path, monkeypatch):
    monkeypatch.setattr(chroma, "COUNT_TTL", chroma.COUNT_TTL)
    mixed_reads_during_ingests(tmp_path, ops=100)
