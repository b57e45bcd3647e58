"""Queries from several threads while an ingest runs (new documents and a changed one) all get
answers with citations, and none fails."""
import threading

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs, make_sample_pdf, make_two_column_pdf
from unirag.pipelines.pipeline import Pipeline


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
