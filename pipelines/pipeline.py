"""The Python API: one object wiring parser, encoder, store, retriever and answerer.

>>> p = Pipeline(db="/tmp/unirag-doctest", encoder={"name": "hash"})
>>> Pipeline.from_dict(p.to_dict()).to_dict() == p.to_dict()
True
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from unirag.pipelines.config import DEFAULT_ENCODER, DEFAULTS, ENCODER_PRESETS, check, load_config
from unirag.pipelines.ingest import IngestReport, Ingestor, PageCallback
from unirag.rag.encoders import encoder_from_dict
from unirag.rag.generation import generator_from_dict
from unirag.rag.indexing import embed
from unirag.rag.rerank import reranker_from_dict
from unirag.rag.retrieval import HybridRetriever
from unirag.rag.store import ChromaStore
from unirag.rag.types import Answer, Document, Hit, Query

MAX_QUERY_CHARS = 8000  # longer question text is cut (and a warning logged): bounded time per query
RERANK_DEPTH = 50  # candidates fetched for a reranker, which cuts them to top_k
MAX_LISTED = 20  # document ids an error message lists
IMAGE_QUESTION = "(image query)"  # what the answer step is told of a question that is only an image
log = logging.getLogger("unirag.query")
__all__ = ["DEFAULT_ENCODER", "DEFAULTS", "ENCODER_PRESETS", "MAX_QUERY_CHARS", "Pipeline", "RERANK_DEPTH"]


def _reranker_config(reranker: dict | None | str) -> dict | None:
    """None: no reranker; "default": the pipeline's default; a dict: {"name": ..., options}."""
    if isinstance(reranker, str):
        if reranker != "default":
            raise ValueError(f"Pipeline: expected reranker as a dict, None or 'default', got {reranker!r}")
        reranker = dict(DEFAULTS["reranker"])
    if reranker is not None and "name" not in reranker:
        raise ValueError(f"Pipeline: expected a 'name' in the reranker config, got {reranker!r}")
    return dict(reranker) if reranker is not None else None



def _bounded(text: str) -> str:
    """Question text cut to MAX_QUERY_CHARS, with a warning when that loses something."""
    if len(text) > MAX_QUERY_CHARS:
        log.warning("query text of %d characters cut to %d", len(text), MAX_QUERY_CHARS)
    return text[:MAX_QUERY_CHARS]


class Pipeline:
    def __init__(self, db: str | Path = DEFAULTS["db"], chroma_url: str | None = None, encoder: dict | None = None,
                 parser: dict | None = None, retriever: dict | None = None, generator: dict | None = None,
                 workers: int | None = None, reranker: dict | None | str = "default", allow_imports: bool = False):
        """`allow_imports`: let the stage configs name classes by dotted import path (your own
        code); by default only registered components are built, whatever the config says."""
        self.config: dict[str, Any] = {
            "db": str(db), "chroma_url": chroma_url, "workers": workers, "allow_imports": bool(allow_imports),
            "encoder": dict(encoder or DEFAULTS["encoder"]), "parser": dict(parser or DEFAULTS["parser"]),
            "retriever": dict(retriever or DEFAULTS["retriever"]),
            "generator": dict(generator or DEFAULTS["generator"]),
            "reranker": _reranker_config(reranker),
        }
        self.store = ChromaStore(path=db, url=chroma_url)
        self.encoder = encoder_from_dict(self.config["encoder"], allow_imports)
        self.retriever = HybridRetriever(self.store, self.encoder, **self.config["retriever"])
        self.generator = generator_from_dict(self.config["generator"], allow_imports)
        self.reranker = (reranker_from_dict(self.config["reranker"], allow_imports)
                         if self.config["reranker"] else None)
        self.ingestor = Ingestor(self.store, self.encoder, self.config["parser"], workers, allow_imports)
        self._encoder_checked = False

    def close(self) -> None:
        """Stop the pipeline's worker threads; `with Pipeline(...) as p:` calls it on leaving."""
        self.retriever.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @classmethod
    def from_dict(cls, config: dict) -> Pipeline:
        return cls(**check(dict(config), "Pipeline.from_dict"))

    @classmethod
    def from_config(cls, path: str | Path) -> Pipeline:
        """Build from a YAML/JSON config file (`unirag init` writes a commented one)."""
        return cls(**load_config(path))

    def to_dict(self) -> dict:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.config.items()}

    def ingest(self, paths: Iterable[str | Path] | str | Path, progress: bool = True,
               on_page: PageCallback | None = None, force: bool = False) -> IngestReport:
        """Parse, embed and store files (folders are walked); unchanged files are skipped unless
        `force` (re-ingest: a new parser, a crop gone). `progress` draws a bar of pages parsed;
        `on_page` hears (doc id, pages done, pages in all)."""
        if isinstance(paths, (str, Path)):
            paths = [paths]
        report = self.ingestor.run(paths, progress=progress, on_page=on_page, force=force)
        if report.added:  # the keyword index is written now, so the next process only loads it
            self.retriever.keyword.update()
        return report

    def add_documents(self, docs: Iterable[Document]) -> IngestReport:
        """Embed and store already-parsed documents (e.g. `unirag.pipelines.llamaindex.from_llamaindex`);
        a document whose content hash is already stored is skipped, a changed one replaced."""
        self.store.check_encoder(self.encoder.to_dict())
        report, stored = IngestReport(), self.store.docs()
        for doc in docs:
            have = stored.get(doc.doc_id)
            if have and have["sha256"] == doc.sha256 and have["complete"]:
                report.skipped.append(doc.doc_id)
                continue
            embedded = embed(self.encoder, doc)
            report.chunks += self.store.add(embedded.doc, embedded.vectors)
            report.added.append(doc.doc_id)
            report.pages += doc.n_pages
        if report.added:
            self.retriever.keyword.update()
        return report

    def retrieve(self, query: Query | str, top_k: int = 10) -> list[Hit]:
        if isinstance(query, str):
            query = Query(text=query)
        if len(query.text) > MAX_QUERY_CHARS:
            query = dataclasses.replace(query, text=_bounded(query.text))
        if not self._encoder_checked:
            self.store.check_encoder(self.encoder.to_dict(), record=False)
            self._encoder_checked = True
        self._check_filters(query)
        if query.image and not query.text.strip():
            from unirag.pipelines.image_query import image_text

            query = Query(text=image_text(query.image), image=query.image, modalities=query.modalities,
                          doc_ids=query.doc_ids, pages=query.pages)  # OCR text may be empty
        if self.reranker is None:
            return self.retriever.retrieve(query, top_k)
        hits = self.retriever.retrieve(query, max(RERANK_DEPTH, top_k))
        return self.reranker.rerank(query, hits + self.retriever.page_elements(query, hits), top_k)

    def _check_filters(self, query: Query) -> None:
        """Unknown document ids are an error naming what exists; an empty store is a warning (a
        query on it can only come back empty)."""
        if query.doc_ids:
            missing = self.store.missing_docs(query.doc_ids)
            if missing:
                known = sorted(self.store.docs())
                shown = known[:MAX_LISTED] + (["..."] if len(known) > MAX_LISTED else [])
                raise ValueError(f"doc filter: no such document {', '.join(map(repr, missing))} in "
                                 f"{self.config['chroma_url'] or self.config['db']}; expected one of {shown}")
        elif self.store.version()[0] == 0:
            log.warning("store %s holds no documents yet: ingest some first (`unirag ingest FILES`)",
                        self.config["chroma_url"] or self.config["db"])

    def search(self, text: str = "", image: bytes | str | Path | None = None, top_k: int = 10,
               modalities: Iterable[str] = (), doc_ids: Iterable[str] = ()) -> list[Hit]:
        """The ranked evidence for a question (text, image or both), without an answer step."""
        return self.retrieve(self._query(text, image, modalities, doc_ids), top_k)

    def query(self, text: str = "", image: bytes | str | Path | None = None, top_k: int = 10,
              modalities: Iterable[str] = (), doc_ids: Iterable[str] = ()) -> Answer:
        """Answer a question (text, image or both) with citations to document, page and region."""
        q = self._query(text, image, modalities, doc_ids)
        return self.generator.generate(q.text or IMAGE_QUESTION, self.retrieve(q, top_k))

    def stream(self, text: str = "", image: bytes | str | Path | None = None, top_k: int = 10,
               modalities: Iterable[str] = (), doc_ids: Iterable[str] = ()) -> Iterator[str | Answer]:
        """`query`, as the generator produces it: pieces of reply text, then the final Answer."""
        q = self._query(text, image, modalities, doc_ids)
        yield from self.generator.stream(q.text or IMAGE_QUESTION, self.retrieve(q, top_k))

    @staticmethod
    def _query(text: str, image: bytes | str | Path | None, modalities: Iterable[str],
               doc_ids: Iterable[str]) -> Query:
        if isinstance(image, (str, Path)):
            image = Path(image).read_bytes()
        return Query(text=_bounded(text), image=image, modalities=tuple(modalities), doc_ids=tuple(doc_ids))
