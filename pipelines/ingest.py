"""Ingest: parse files in a process pool, embed their chunks, store them. Incremental
(unchanged files are skipped), and a bad file is reported and skipped, never fatal."""
from __future__ import annotations

import concurrent.futures as cf
import inspect
import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Generator, Iterable, Iterator

from tqdm import tqdm

from unirag.pipelines.workers import end_with_parent, exit_cause, main_rerun_problem
from unirag.rag.encoders.base import Encoder
from unirag.rag.indexing import Embedded, embed
from unirag.rag.store import Store
from unirag.rag.timing import StageTimer
from unirag.rag.types import Document

log = logging.getLogger("unirag.ingest")

PROGRESS_POLL_S = 0.2  # seconds between looks at the parser processes' page reports
PageCallback = Callable[[tuple[str, int, int]], None]  # gets (doc id, pages done, pages in all)
_PAGE_REPORTS = None  # in a parser process: the queue its page reports go to
EXIT_POLL_S = 0.05  # seconds between looks for that exit code
EXIT_WAIT_S = 5.0  # seconds to wait for a dead parser process's exit code before reporting it unknown
MAX_PARSERS = 8  # parser processes at most, whatever the core count: each holds a document or two in memory


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    # seconds per stage: "parse" (in all, summed over the parser processes) and the parser's own
    # stages within it (the PDF parser's: text, ocr, tables, ...); then in this process "context",
    # "encode NAME" per encoder channel and "store" (writing)
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Found:
    """Files to ingest (absolute paths) and one warning per named folder whose symlinked
    subfolders were skipped."""

    files: list[Path]
    warnings: list[str]


def find_files(paths: Iterable[str | Path], suffixes: tuple[str, ...] | None = None) -> Found:
    """Files named directly, plus the non-hidden files inside named folders (recursively), as
    absolute paths (a document's `source` must still lead to it when the server runs elsewhere).
    Symlinked subfolders are not entered: they can loop or lead out of the folder."""
    files, warnings = [], []
    for p in (Path(os.path.abspath(p)) for p in paths):
        if not p.is_dir():
            files.append(p)
            continue
        found, links = _walk(p)
        files.extend(f for f in found if suffixes is None or f.suffix.lower() in suffixes)
        if links:
            warnings.append(f"{p}: skipped {links} symlinked folder{'s' * (links > 1)} inside it "
                            "(not followed: a link can loop or lead elsewhere; name its target instead)")
    return Found(files, warnings)


def _walk(folder: Path) -> tuple[list[Path], int]:
    """(sorted non-hidden files under `folder`, number of symlinked subfolders not entered)."""
    found, links = [], 0
    for root, dirs, names in os.walk(folder):  # followlinks=False: linked folders are listed, not entered
        links += sum(os.path.islink(os.path.join(root, d)) for d in dirs)
        found += [Path(root, n) for n in names if not n.startswith(".") and os.path.isfile(os.path.join(root, n))]
    return sorted(found), links


def expand(paths: Iterable[str | Path], suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """The files of `find_files`, without its warnings."""
    return find_files(paths, suffixes).files


def _utf8(text: str) -> bool:
    """False for names holding undecodable bytes (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _start_worker(parent: int, reports) -> None:
    """First thing in a parser process: end with the ingest process, send page reports to `reports`."""
    global _PAGE_REPORTS
    end_with_parent(parent)
    _PAGE_REPORTS = reports


@dataclass(frozen=True)
class Parsed:
    """What a parser process sends back: a Document or the error message naming the file, and
    the seconds spent per stage (see `IngestReport.stages`)."""

    result: Document | str
    seconds: dict[str, float]


def _parse_timed(parser_config: dict, path: str, doc_id: str, allow_imports: bool = False,
                 on_page: PageCallback | None = None) -> Parsed:
    """`_parse`, with the seconds it spent per stage."""
    timer = StageTimer()
    with timer("parse"):
        result = _parse(parser_config, path, doc_id, allow_imports, on_page, timer)
    return Parsed(result, dict(timer.seconds))


def _parse(parser_config: dict, path: str, doc_id: str, allow_imports: bool = False,
           on_page: PageCallback | None = None, timer: StageTimer | None = None) -> Document | str:
    """Runs in a worker process (or in this one): a Document, or the error message naming the
    file. Each finished page is reported to `on_page`, or in a parser process to the ingest;
    parsers that time their stages (the PDF parser) add them to `timer`."""
    from unirag.parsers import ParseError, parser_for

    try:
        parser = parser_for(path, parser_config, allow_imports)
        report = on_page or (_PAGE_REPORTS.put if _PAGE_REPORTS is not None else None)
        accepts = inspect.signature(parser.parse).parameters
        extra: dict = {"timer": timer} if timer is not None and "timer" in accepts else {}
        if report is not None and "on_page" in accepts:
            extra["on_page"] = lambda done, total: report((doc_id, done, total))
        return parser.parse(path, doc_id=doc_id, **extra)
    except ParseError as e:
        return str(e)
    except Exception as e:  # a parser bug must not take the batch down
        return f"{path}: unexpected {type(e).__name__}: {e}"


def parser_processes(cores: int | None = None) -> int:
    """Parser processes for a machine of `cores` (default: this one): half the cores, since the
    other half encode (see `sentence.onnx_threads`), but 2 on a 2-core machine, where the
    encoder waits on parsing as often as the reverse, and never more than MAX_PARSERS.

    >>> parser_processes(1), parser_processes(2), parser_processes(4), parser_processes(16), parser_processes(64)
    (1, 2, 2, 8, 8)
    """
    cores = cores or os.cpu_count() or 1
    return min(cores, MAX_PARSERS, max(2, cores // 2))


def _warm_up(encoder: Encoder) -> None:
    """Load the encoder's model; a failure is only logged: the first embed loads it again and
    reports the error against its file."""
    try:
        encoder.warm_up()
    except Exception as e:  # reported again, per file, by the embed that needs the model
        log.warning("loading the encoder ahead of the first file failed: %s: %s", type(e).__name__, e)


def _exit_code(processes: dict) -> int | None:
    """The exit code of the worker that broke the pool, from the pool's processes as they were
    seen while it ran (a broken executor may already have dropped its own record of them). The
    executor terminates the others (SIGTERM) once one dies; the one that died first is reported."""
    deadline = time.monotonic() + EXIT_WAIT_S
    procs = list(processes.values())
    for p in procs:
        p.join(max(deadline - time.monotonic(), 0))
    # the executor's own thread may be reaping the same processes: their codes land a moment later
    while any(p.exitcode is None for p in procs) and time.monotonic() < deadline:
        time.sleep(EXIT_POLL_S)
    codes = [p.exitcode for p in procs if p.exitcode is not None]
    own = [c for c in codes if c not in (0, -signal.SIGTERM)]
    return (own or codes or [None])[0]


def _page_count(path: Path) -> int:
    """Pages in a file, for the progress bar: a PDF's page count, else 1 (also for unreadable files)."""
    if path.suffix.lower() != ".pdf":
        return 1
    import pymupdf

    try:
        with pymupdf.open(path) as pdf:
            return max(pdf.page_count, 1)
    except Exception:  # the parser will say what is wrong with it
        return 1


def _drain(reports, on_page: PageCallback | None) -> None:
    """Pass the page reports waiting in `reports` on to `on_page`."""
    while not reports.empty():
        report = reports.get()
        if on_page is not None:
            on_page(report)


class _PageProgress:
    """Pages parsed so far: on a tqdm bar, and told to an optional `on_page` callback."""

    def __init__(self, bar: tqdm, on_page: PageCallback | None = None):
        self.bar, self.on_page = bar, on_page
        self.seen: dict[str, int] = {}

    def page(self, report: tuple[str, int, int]) -> None:
        """A page report; one that arrives late (a parser process's queue is not ordered with
        its results) is dropped, so each document's reports only go up."""
        doc_id, done, total = report
        if done <= self.seen.get(doc_id, 0):
            return
        self.bar.update(done - self.seen.get(doc_id, 0))
        self.seen[doc_id] = done
        if self.on_page is not None:
            self.on_page(report)

    def finish(self, doc_id: str, pages: int) -> None:
        """A document is stored (or failed): all its `pages` count as done."""
        self.page((doc_id, pages, pages))


class Ingestor:
    """Parse (in worker processes), embed and store files; report failures per file.

    Parsing runs at most two files per worker ahead of storing, so memory stays bounded by a
    few documents whatever the batch size. A parser process that dies (a crash or the
    out-of-memory killer on a pathological file) fails that file only.

    >>> from unirag.rag.encoders import make_encoder
    >>> from unirag.rag.store import ChromaStore
    >>> ing = Ingestor(ChromaStore(path="/tmp/unirag-doctest"), make_encoder("hash"), {"name": "pymupdf"})
    >>> ing.workers >= 1
    True
    """

    def __init__(self, store: Store, encoder: Encoder, parser_config: dict, workers: int | None = None,
                 allow_imports: bool = False):
        self.store = store
        self.encoder = encoder
        self.parser_config = parser_config
        self.allow_imports = allow_imports  # the parser config may name a class by dotted path
        self.workers = int(workers or parser_processes())

    def _plan(self, files: list[Path], report: IngestReport, force: bool = False) -> list[tuple[Path, str, str]]:
        from unirag.parsers import SUPPORTED_SUFFIXES as SUPPORTED  # pymupdf: only when ingesting

        stored = self.store.docs()
        todo: list[tuple[Path, str, str]] = []
        ids: dict[str, Path] = {}
        for f in files:
            doc_id = f.stem
            if not _utf8(str(f)):
                report.failed.append((str(f), "file name is not valid UTF-8; rename the file"))
            elif f.suffix.lower() not in SUPPORTED:
                report.failed.append((str(f), f"unsupported file type {f.suffix or '(none)'!r}; expected {SUPPORTED}"))
            elif not f.is_file():
                report.failed.append((str(f), "no such file"))
            elif doc_id in ids:
                report.failed.append((str(f), f"document id {doc_id!r} is already used by {ids[doc_id]}"))
            else:
                ids[doc_id] = f
                sha = Document.file_sha256(f)
                have = stored.get(doc_id)
                if have and have["sha256"] == sha and have["complete"] and not force:
                    report.skipped.append(doc_id)
                else:
                    todo.append((f, doc_id, sha))
        for folder in self.store.orphan_crops():  # left by a crash before a document's chunks were in
            shutil.rmtree(folder, ignore_errors=True)
        return todo

    def run(self, paths: Iterable[str | Path], progress: bool = True,
            on_page: PageCallback | None = None, force: bool = False) -> IngestReport:
        """Ingest files and folders; `progress` draws a bar of pages parsed, and `on_page` hears
        (doc id, pages done, pages in all) as each page of a document is parsed. `force` parses
        unchanged files again (their stored chunks are replaced once the new ones are in)."""
        start = time.perf_counter()
        report = IngestReport()
        self.store.check_encoder(self.encoder.to_dict())
        found = find_files(paths)
        report.warnings.extend(found.warnings)
        todo = self._plan(found.files, report, force)
        if self._pooled(todo) and main_rerun_problem():
            report.warnings.append(f"parsed in this process, not in {self.workers} parser processes: "
                                   f"{main_rerun_problem()} (parser processes re-run it)")
        planned = {d: _page_count(f) for f, d, _ in todo}
        todo.sort(key=lambda item: -planned[item[1]])  # longest first: no long file parses alone at the end
        bar = tqdm(total=sum(planned.values()), desc="ingest", unit="page", disable=not progress or not todo)
        pages = _PageProgress(bar, on_page)
        timer = StageTimer()
        # the encoder's model loads while the first files parse (parser processes, or OCR's Tesseract)
        warm = threading.Thread(target=_warm_up, args=(self.encoder,), name="unirag-encoder-warm-up", daemon=True)
        if todo:
            warm.start()
        try:
            with closing(self._results(todo, pages.page, timer)) as results:  # an exception here shuts the parser pool down now
                for path, result in results:
                    with timer("store"):
                        self._store(path, result, report, bar)
                    pages.finish(path.stem, planned[path.stem])
        finally:
            if warm.is_alive():
                warm.join()
        bar.close()
        report.stages = {k: round(v, 3) for k, v in timer.seconds.items()}
        report.seconds = time.perf_counter() - start
        return report

    def _results(self, todo: list[tuple[Path, str, str]], on_page: PageCallback | None = None,
                 timer: StageTimer | None = None) -> Generator[tuple[Path, Embedded | str]]:
        """(file, embedded document or error) for each file, in completion order; `timer` gets
        the parser processes' seconds per stage and this process's for context and encoding."""
        timer = timer or StageTimer()
        with closing(self._parsed(todo, on_page)) as parsed_docs:
            for path, timed in parsed_docs:
                for stage, seconds in timed.seconds.items():
                    timer.seconds[stage] += seconds
                parsed = timed.result
                if isinstance(parsed, str):
                    yield path, parsed
                    continue
                try:
                    yield path, embed(self.encoder, parsed, timer)
                except Exception as e:
                    yield path, f"{path}: could not embed: {type(e).__name__}: {e}"

    def _pooled(self, todo: list) -> bool:
        """Whether `todo` is worth parser processes: several files and several workers."""
        return len(todo) > 1 and self.workers > 1

    def _parsed(self, todo: list[tuple[Path, str, str]],
                on_page: PageCallback | None = None) -> Generator[tuple[Path, Parsed]]:
        if not self._pooled(todo) or main_rerun_problem():
            for f, d, _ in todo:
                yield f, _parse_timed(self.parser_config, str(f), d, self.allow_imports, on_page)
            return
        queue = list(reversed(todo))
        while queue:
            try:
                yield from self._pool_parse(queue, self.workers, on_page)
            except BrokenProcessPool:
                # a parser process died; the files it may have held are retried one per process
                for item in list(reversed(queue)):
                    queue.remove(item)
                    yield from self._pool_parse([item], 1, on_page)

    def _pool_parse(self, queue: list, workers: int,
                    on_page: PageCallback | None = None) -> Iterator[tuple[Path, Parsed]]:
        """Parse files popped from `queue` in a process pool, 2 per worker in flight; a file
        leaves `queue` only when its result is in. Raises BrokenProcessPool if a worker dies
        while several files are in flight; with one file, that file fails instead. However this
        ends (results all in, an exception, KeyboardInterrupt, the generator closed early), queued
        files are cancelled and the workers are waited for."""
        ctx = multiprocessing.get_context("spawn")
        # (doc id, pages done, pages in all) from the parser processes: a SimpleQueue writes each report
        # to its pipe before the worker goes on, so a document's reports are in before its result
        reports = ctx.SimpleQueue()
        pool = cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                                      initargs=(os.getpid(), reports))
        processes: dict = {}  # pid -> process, as the pool started them (no public API for this)
        try:
            pending: dict[cf.Future, tuple] = {}
            waiting = list(queue)
            while waiting or pending:
                while waiting and len(pending) < 2 * workers:
                    f, d, sha = item = waiting.pop()
                    pending[pool.submit(_parse_timed, self.parser_config, str(f), d, self.allow_imports)] = item
                processes.update(pool._processes or {})
                done, _ = cf.wait(pending, timeout=PROGRESS_POLL_S, return_when=cf.FIRST_COMPLETED)
                _drain(reports, on_page)
                for fut in done:
                    item = pending.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        if len(queue) > 1:
                            raise
                        result = Parsed(f"{item[0]}: the parser process died ({exit_cause(_exit_code(processes))})", {})
                    queue.remove(item)
                    yield item[0], result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            reports.close()

    def _store(self, path: Path, result: Embedded | str, report: IngestReport, bar: tqdm) -> None:
        if isinstance(result, str):
            report.failed.append((str(path), result.removeprefix(f"{path}: ")))
            return
        doc = result.doc
        try:
            report.chunks += self.store.add(doc, result.vectors)
        except Exception as e:
            report.failed.append((str(path), f"could not store: {type(e).__name__}: {e}"))
            return
        report.added.append(doc.doc_id)
        report.pages += doc.n_pages
        report.warnings.extend(f"{path}: {w}" for w in doc.warnings)
        bar.set_postfix(docs=len(report.added), chunks=report.chunks)
