"""Background ingest jobs for the chat server: one worker thread ingests uploaded files one
by one, and each job reports its progress (files done out of total, per-file state).

>>> class FakePipeline:
...     def ingest(self, paths, progress=False, on_page=None, force=False):
...         from unirag.pipelines.ingest import IngestReport
...         return IngestReport(added=[p.stem for p in paths], chunks=3, pages=1)
>>> from pathlib import Path
>>> jobs = IngestJobs(FakePipeline())
>>> job_id = jobs.submit([Path("a.pdf")])
>>> jobs.wait(job_id)["state"], jobs.busy("a")
('done', False)
"""
from __future__ import annotations

import concurrent.futures as cf
import itertools
import threading
import time
from pathlib import Path


class IngestJobs:
    """Queue of ingest jobs run by one worker thread; `submit()` returns a job id, `status()`
    its progress as a plain dict, `busy()` whether a document is still waiting or being ingested."""

    def __init__(self, pipeline, keep: int = 100):
        self.pipeline = pipeline
        self.keep = int(keep)
        self._jobs: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="unirag-ingest")
        self._futures: dict[str, cf.Future] = {}

    def submit(self, paths: list[Path], force: bool = False) -> str:
        """Queue `paths` for ingest (`force`: parse them again even when unchanged); the job id."""
        with self._lock:
            job_id = str(next(self._ids))
            self._jobs[job_id] = {"id": job_id, "state": "queued", "done": 0, "total": len(paths),
                                  "files": [{"name": p.name, "doc_id": p.stem, "state": "queued"} for p in paths],
                                  "started": None, "seconds": 0.0}
            for old in list(self._jobs)[: max(0, len(self._jobs) - self.keep)]:
                del self._jobs[old]
                self._futures.pop(old, None)
            self._futures[job_id] = self._pool.submit(self._run, job_id, list(paths), force)
        return job_id

    def status(self, job_id: str) -> dict | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            out = {**job, "files": [dict(f) for f in job["files"]]}
        if out["started"] is not None and out["state"] == "running":
            out["seconds"] = round(time.perf_counter() - out["started"], 1)
        out.pop("started")
        return out

    def busy(self, doc_id: str) -> bool:
        """Whether a file of document `doc_id` is queued or being ingested."""
        with self._lock:
            return any(f["doc_id"] == doc_id and f["state"] in ("queued", "ingesting")
                       for job in self._jobs.values() for f in job["files"])

    def wait(self, job_id: str, timeout: float | None = None) -> dict | None:
        """Block until the job has finished (for tests and the terminal), then its status."""
        future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout)
        return self.status(job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _update(self, job_id: str, index: int | None = None, **fields) -> None:
        with self._lock:
            target = self._jobs.get(job_id)
            if target is not None:
                (target if index is None else target["files"][index]).update(fields)

    def _run(self, job_id: str, paths: list[Path], force: bool = False) -> None:
        start = time.perf_counter()
        self._update(job_id, state="running", started=start)
        failed = 0
        for i, path in enumerate(paths):
            self._update(job_id, i, state="ingesting")
            try:
                report = self.pipeline.ingest([path], progress=False, force=force, on_page=lambda r, i=i: self._update(
                    job_id, i, pages_done=r[1], pages_total=r[2]))
                errors = [reason for _, reason in report.failed]
                fields = {"state": "failed" if errors else ("unchanged" if report.skipped else "done"),
                          "pages": report.pages, "chunks": report.chunks, "error": "; ".join(errors),
                          "seconds": round(report.seconds, 2)}
            except Exception as e:  # one bad file must not stop the job
                fields = {"state": "failed", "error": f"{type(e).__name__}: {e}"}
            failed += fields["state"] == "failed"
            self._update(job_id, i, **fields)
            self._update(job_id, done=i + 1)
        self._update(job_id, state="failed" if failed == len(paths) else "done",
                     seconds=round(time.perf_counter() - start, 2), failed=failed)
