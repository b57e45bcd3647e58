"""The Python API: one object wiring parser, encoder, store, retriever and answerer.

>>> p = Pipeline(db="/tmp/unirag-doctest", encoder={"name": "hash"})
>>> Pipeline.from_dict(p.to_dict()).to_dict() == p.to_dict()
True
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Iterable

from unirag.pipelines.ingest import IngestReport, Ingestor, embed
from unirag.rag.encoders import encoder_from_dict
from unirag.rag.generation import generator_from_dict
from unirag.rag.rerank import reranker_from_dict
from unirag.rag.retrieval import HybridRetriever
from unirag.rag.store import ChromaStore
from unirag.rag.types import Answer, Document, Hit, Query

# The offline default: packaged MiniLM for text (every chunk through its text surrogate) plus a
# weight-free visual channel that only speaks for image queries; one vector, one collection.
DEFAULT_ENCODER = {"name": "composite", "parts": [
    {"encoder": {"name": "text"}, "text_query": 1.0, "image_query": 0.5},
    {"encoder": {"name": "pixels"}, "text_query": 0.0, "image_query": 1.0},
]}
ENCODER_PRESETS = {
    "default": DEFAULT_ENCODER,
    "text": {"name": "text"},
    "e5": {"name": "e5"},
    "hash": {"name": "hash"},
}
MAX_QUERY_CHARS = 8000  # longer question text is cut (and a warning logged): bounded time per query
DEFAULTS = {
    "encoder": DEFAULT_ENCODER,
    "parser": {"name": "pymupdf"},
    # Image queries lean on the picture (the pixel channel is in `dense`); their keyword channels
    # only see OCR words. qa_images_dev page hit@1/hit@5: dense 0.5 -> 1.0 for images 0.75/0.875 ->
    # 0.875/1.0 (a near-copy of a stored crop was outvoted by BM25 over misread OCR words).
    # Text queries: MiniLM's similarities are the weaker signal on this kind of corpus (dense 0.5 -> 0.4
    # after the section-path fix: page hit@1 qa_dev 0.910 -> 0.925 with the reranker's modality 0.3,
    # natural 0.761 -> 0.776; image queries unchanged at 1.0).
    "retriever": {"weights": {"dense": 0.4, "bm25": 1.0, "label": 1.0},
                  "image_weights": {"dense": 1.0, "bm25": 1.0, "label": 1.0}},
    "generator": {"name": "extractive"},
    "reranker": {"name": "features"},  # modality hints: +3 points hit@1 on natural questions, ~1 ms
}
RERANK_DEPTH = 50  # candidates fetched for a reranker, which cuts them to top_k


def _reranker_config(reranker: dict | None | str) -> dict | None:
    """None: no reranker; "default": the pipeline's default; a dict: {"name": ..., options}."""
    if isinstance(reranker, str):
        if reranker != "default":
            raise ValueError(f"Pipeline: expected reranker as a dict, None or 'default', got {reranker!r}")
        reranker = DEFAULTS["reranker"]
    if reranker is not None and "name" not in reranker:
        raise ValueError(f"Pipeline: expected a 'name' in the reranker config, got {reranker!r}")
    return dict(reranker) if reranker is not None else None


def _bounded(text: str) -> str:
    """Question text cut to MAX_QUERY_CHARS, with a warning when that loses something."""
    if len(text) > MAX_QUERY_CHARS:
        logging.getLogger("unirag.query").warning("query text of %d characters cut to %d", len(text), MAX_QUERY_CHARS)
    return text[:MAX_QUERY_CHARS]


class Pipeline:
    def __init__(self, db: str | Path = ".unirag", chroma_url: str | None = None, encoder: dict | None = None,
                 parser: dict | None = None, retriever: dict | None = None, generator: dict | None = None,
                 workers: int | None = None, reranker: dict | None | str = "default", allow_imports: bool = False):
        """`allow_imports`: let the stage configs name classes by dotted import path (your own
        code); by default only registered components are built, whatever the config says."""
        self.config = {
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
        self.ingestor = Ingestor(self.store, self.encoder, self.config["parser"], workers)
        self._encoder_checked = False

    def close(self) -> None:
        """Stop the pipeline's worker threads; `with Pipeline(...) as p:` calls it on leaving."""
        self.retriever.close()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @classmethod
    def from_dict(cls, config: dict) -> "Pipeline":
        from unirag.pipelines.config import check

        return cls(**check(dict(config), "Pipeline.from_dict"))

    @classmethod
    def from_config(cls, path: str | Path) -> "Pipeline":
        """Build from a YAML/JSON config file (`unirag init` writes a commented one)."""
        from unirag.pipelines.config import load_config

        return cls(**load_config(path))

    def to_dict(self) -> dict:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.config.items()}

    def ingest(self, paths: Iterable[str | Path] | str | Path, progress: bool = True) -> IngestReport:
        """Parse, embed and store files (folders are walked); unchanged files are skipped."""
        if isinstance(paths, (str, Path)):
            paths = [paths]
        return self.ingestor.run(paths, progress=progress)

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
        return report

    def retrieve(self, query: Query | str, top_k: int = 10) -> list[Hit]:
        if isinstance(query, str):
            query = Query(text=query)
        if len(query.text) > MAX_QUERY_CHARS:
            query = dataclasses.replace(query, text=_bounded(query.text))
        if not self._encoder_checked:
            self.store.check_encoder(self.encoder.to_dict(), record=False)
            self._encoder_checked = True
        if query.image and not query.text.strip():
            from unirag.pipelines.image_query import image_text

            query = Query(text=image_text(query.image), image=query.image, modalities=query.modalities,
                          doc_ids=query.doc_ids, pages=query.pages)  # OCR text may be empty
        if self.reranker is None:
            return self.retriever.retrieve(query, top_k)
        return self.reranker.rerank(query, self.retriever.retrieve(query, max(RERANK_DEPTH, top_k)), top_k)

    def query(self, text: str = "", image: bytes | str | Path | None = None, top_k: int = 10,
              modalities: Iterable[str] = (), doc_ids: Iterable[str] = ()) -> Answer:
        """Answer a question (text, image or both) with citations to document, page and region."""
        if isinstance(image, (str, Path)):
            image = Path(image).read_bytes()
        text = _bounded(text)
        q = Query(text=text, image=image, modalities=tuple(modalities), doc_ids=tuple(doc_ids))
        return self.generator.generate(text or "(image query)", self.retrieve(q, top_k))
