"""Ingest: parse files in a process pool, embed their chunks, store them. Incremental
(unchanged files are skipped), and a bad file is reported and skipped, never fatal."""
from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import shutil
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from tqdm import tqdm

from unirag.rag.context import contextualize
from unirag.rag.encoders.base import Encoder
from unirag.rag.store.chroma import ChromaStore
from unirag.rag.types import Document

log = logging.getLogger("unirag.ingest")


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def expand(paths: Iterable[str | Path], suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """Files named directly, plus the non-hidden files inside named folders (recursively)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            out.extend(f for f in found if suffixes is None or f.suffix.lower() in suffixes)
        else:
            out.append(p)
    return out


def _utf8(text: str) -> bool:
    """False for names holding undecodable bytes (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def embed_document(encoder: Encoder, doc: Document) -> np.ndarray:
    """Vectors for every chunk of `doc`. A page chunk repeats its page's text, so instead of
    encoding that text again its vector is the mean of the page's other chunks' vectors
    (pages with no other chunk are encoded); this saves about a third of encoder time and
    measured the same on the corpus QA sets."""
    chunks = doc.chunks
    own = [i for i, c in enumerate(chunks) if c.modality != "page"]
    vectors = np.zeros((len(chunks), encoder.dim), np.float32)
    if own:
        vectors[own] = encoder.embed_documents([chunks[i] for i in own])
    by_page: dict[int, list[int]] = {}
    for i in own:
        by_page.setdefault(chunks[i].page, []).append(i)
    alone = []
    for i, c in enumerate(chunks):
        if c.modality == "page":
            if c.page in by_page:
                vectors[i] = vectors[by_page[c.page]].mean(axis=0)
            else:
                alone.append(i)
    if alone:
        vectors[alone] = encoder.embed_documents([chunks[i] for i in alone])
    return vectors


def _parse(parser_config: dict, path: str, doc_id: str) -> Document | str:
    """Runs in a worker process: a Document, or the error message naming the file."""
    from unirag.parsers import ParseError, parser_for

    try:
        return parser_for(path, parser_config).parse(path, doc_id=doc_id)
    except ParseError as e:
        return str(e)
    except Exception as e:  # a parser bug must not take the batch down
        return f"{path}: unexpected {type(e).__name__}: {e}"


@dataclass(frozen=True)
class Embedded:
    """A parsed document (contextual chunks) with one vector per chunk, ready to store."""

    doc: Document
    vectors: np.ndarray


def embed(encoder: Encoder, doc: Document) -> Embedded:
    doc = contextualize(doc)
    return Embedded(doc, embed_document(encoder, doc))


class Ingestor:
    """Parse (in worker processes), embed and store files; report failures per file.

    Parsing runs at most two files per worker ahead of storing, so memory stays bounded by a
    few documents whatever the batch size. A parser process that dies (a crash or the
    out-of-memory killer on a pathological file) fails that file only.

    >>> from unirag.rag.encoders import make_encoder
    >>> ing = Ingestor(ChromaStore(path="/tmp/unirag-doctest"), make_encoder("hash"), {"name": "pymupdf"})
    >>> ing.workers >= 1
    True
    """

    def __init__(self, store: ChromaStore, encoder: Encoder, parser_config: dict, workers: int | None = None):
        self.store = store
        self.encoder = encoder
        self.parser_config = parser_config
        self.workers = int(workers or min(2, os.cpu_count() or 1))

    def _plan(self, files: list[Path], report: IngestReport) -> list[tuple[Path, str, str]]:
        from unirag.parsers import SUPPORTED_SUFFIXES as SUPPORTED  # pymupdf: only when ingesting

        stored = self.store.docs()
        todo, ids = [], {}
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
                if have and have["sha256"] == sha and have["complete"]:
                    report.skipped.append(doc_id)
                else:
                    todo.append((f, doc_id, sha))
        for folder in self.store.orphan_crops():  # left by a crash before a document's chunks were in
            shutil.rmtree(folder, ignore_errors=True)
        return todo

    def run(self, paths: Iterable[str | Path], progress: bool = True) -> IngestReport:
        start = time.perf_counter()
        report = IngestReport()
        self.store.check_encoder(self.encoder.to_dict())
        todo = self._plan(expand(paths), report)
        bar = tqdm(total=len(todo), desc="ingest", unit="doc", disable=not progress or not todo)
        for path, result in self._results(todo):
            self._store(path, result, report, bar)
        bar.close()
        report.seconds = time.perf_counter() - start
        return report

    def _results(self, todo: list[tuple[Path, str, str]]) -> Iterator[tuple[Path, Embedded | str]]:
        """(file, embedded document or error) for each file, in completion order."""
        for path, parsed in self._parsed(todo):
            if isinstance(parsed, str):
                yield path, parsed
                continue
            try:
                yield path, embed(self.encoder, parsed)
            except Exception as e:
                yield path, f"{path}: could not embed: {type(e).__name__}: {e}"

    def _parsed(self, todo: list[tuple[Path, str, str]]) -> Iterator[tuple[Path, Document | str]]:
        if len(todo) <= 1 or self.workers <= 1:
            for f, d, _ in todo:
                yield f, _parse(self.parser_config, str(f), d)
            return
        queue = list(reversed(todo))
        while queue:
            try:
                yield from self._pool_parse(queue, self.workers)
            except BrokenProcessPool:
                # a parser process died; the files it may have held are retried one per process
                for item in list(reversed(queue)):
                    queue.remove(item)
                    yield from self._pool_parse([item], 1)

    def _pool_parse(self, queue: list, workers: int) -> Iterator[tuple[Path, Document | str]]:
        """Parse files popped from `queue` in a process pool, 2 per worker in flight; a file
        leaves `queue` only when its result is in. Raises BrokenProcessPool if a worker dies
        while several files are in flight; with one file, that file fails instead."""
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            pending: dict[cf.Future, tuple] = {}
            waiting = list(queue)
            while waiting or pending:
                while waiting and len(pending) < 2 * workers:
                    f, d, sha = item = waiting.pop()
                    pending[pool.submit(_parse, self.parser_config, str(f), d)] = item
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    item = pending.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        if len(queue) > 1:
                            raise
                        result = f"{item[0]}: the parser process died (a crash or out of memory)"
                    queue.remove(item)
                    yield item[0], result

    def _store(self, path: Path, result: Embedded | str, report: IngestReport, bar: tqdm) -> None:
        bar.update(1)
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
        bar.set_postfix(pages=report.pages, chunks=report.chunks)
