"""Baselines scored in the same `unirag eval` run, on the same questions.

- `llamaindex-text`: the text-only LlamaIndex pipeline a user would build with defaults:
  `PyMuPDFReader` (one Document per page), the default `SentenceSplitter`, the same packaged
  all-MiniLM-L6-v2 as unirag (through a small `BaseEmbedding` adapter), an in-memory
  `VectorStoreIndex`. Needs `pip install 'unirag[bench]'`.
- `bm25-pages`: BM25 (bm25s) over whole pages: the text layer, or Tesseract OCR (`eng+chi_sim`,
  150 dpi, `unirag.parsers.ocr.PageOcr`) for pages without one; tokens from `unirag.rag.text.tokenize`
  (Latin words, stemmed, plus CJK characters and bigrams).

Each has `build(files) -> {"pages", "seconds", "pages_per_s"}` and `rank(text, k)` -> distinct
(doc, page) pairs, best first (doc = file stem, page 1-based).

>>> make_baseline("bm25-pages").name
'bm25-pages'
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from pathlib import Path
from collections.abc import Sequence

import numpy as np
import pymupdf

from unirag.rag.factory import require
from unirag.rag.text import tokenize

log = logging.getLogger("unirag.eval")


def _speed(pages: int, seconds: float) -> dict:
    return {"pages": pages, "seconds": round(seconds, 2), "pages_per_s": round(pages / max(seconds, 1e-9), 2)}


class Bm25Pages:
    """BM25 over whole pages; OCR text of scanned pages is cached in `cache_dir` (if given),
    keyed by the file's content hash, so a second run does not OCR again."""

    name = "bm25-pages"

    def __init__(self, cache_dir: str | Path | None = None, languages: str = "eng+chi_sim", dpi: int = 150):
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.languages = languages
        self.dpi = dpi
        self._bm25 = None
        self._pages: list[tuple[str, int]] = []

    def page_texts(self, path: Path) -> list[str]:
        """The text of every page of one PDF (OCR where there is no text layer)."""
        from unirag.parsers.ocr import MIN_TEXT_CHARS, OcrUnavailable, PageOcr, _render

        cache = None
        if self.cache_dir:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            cache = self.cache_dir / f"bm25_pages_{path.stem}_{sha}_{self.languages}_{self.dpi}.json"
            if cache.is_file():
                return json.loads(cache.read_text(encoding="utf-8"))
        texts = []
        with pymupdf.open(path) as pdf:
            for page in pdf:
                text = page.get_text()
                if len(text.strip()) < MIN_TEXT_CHARS:
                    try:
                        ocr = PageOcr(self.languages, self.dpi).read(*_render(page, self.dpi))
                        text = "\n".join(line.text for line in ocr.lines)
                    except OcrUnavailable as e:
                        log.warning("bm25-pages: %s p.%d: %s", path.name, page.number + 1, e)
                texts.append(text)
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        return texts

    def build(self, files: Sequence[str | Path]) -> dict:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        start = time.perf_counter()
        corpus, self._pages = [], []
        for path in map(Path, files):
            for n, text in enumerate(self.page_texts(path), 1):
                corpus.append(tokenize(text) or ["\x00"])
                self._pages.append((path.stem, n))
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        return _speed(len(self._pages), time.perf_counter() - start)

    def rank(self, text: str, k: int = 10) -> list[tuple[str, int]]:
        if self._bm25 is None:
            raise ValueError("bm25-pages: call build(files) before rank()")
        tokens = [t for t in tokenize(text) if t in self._bm25.vocab_dict] if self._pages else []
        if not tokens:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens))
        top = np.argsort(-scores, kind="stable")[:k]
        return [self._pages[i] for i in top if scores[i] > 0]


def minilm_embedding(model: str = "minilm", batch_size: int = 32):
    """A llama-index `BaseEmbedding` over one of unirag's packaged sentence-transformers models
    (the same weights unirag's default encoder uses), so the baseline needs no model hub."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    from unirag.rag.encoders.sentence import SentenceTransformerEncoder

    class _Embedding(BaseEmbedding):
        _encoder = PrivateAttr()

        def __init__(self, **kwargs):
            super().__init__(model_name=model, embed_batch_size=batch_size, **kwargs)
            self._encoder = SentenceTransformerEncoder(model, batch_size=batch_size)

        def _vectors(self, texts: list[str]) -> list[list[float]]:  # plain encode: no windows
            return self._encoder._encode(list(texts)).tolist()

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._vectors([query])[0]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._vectors([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._vectors(texts)

    return _Embedding()


class LlamaIndexText:
    """The default text-only LlamaIndex pipeline; `depth` chunks are retrieved per question."""

    name = "llamaindex-text"

    def __init__(self, model: str = "minilm", depth: int = 50):
        self.model = model
        self.depth = depth
        self._retriever = None

    def build(self, files: Sequence[str | Path]) -> dict:
        require("llama_index.core", "bench")
        readers = require("llama_index.readers.file", "bench")
        from llama_index.core import VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        start = time.perf_counter()
        docs = []
        with warnings.catch_warnings():  # the reader imports the deprecated `fitz` name
            warnings.simplefilter("ignore")
            for path in files:
                docs += readers.PyMuPDFReader().load_data(file_path=Path(path))
        nodes = SentenceSplitter().get_nodes_from_documents(docs)
        index = VectorStoreIndex(nodes, embed_model=minilm_embedding(self.model), show_progress=False)
        self._retriever = index.as_retriever(similarity_top_k=self.depth)
        return _speed(len(docs), time.perf_counter() - start)

    def rank(self, text: str, k: int = 10) -> list[tuple[str, int]]:
        if self._retriever is None:
            raise ValueError("llamaindex-text: call build(files) before rank()")
        out: list[tuple[str, int]] = []
        if not text.strip():  # e.g. an image query whose picture has no words
            return out
        for hit in self._retriever.retrieve(text):
            meta = hit.node.metadata
            key = (Path(meta["file_path"]).stem, int(meta["source"]))
            if key not in out:
                out.append(key)
                if len(out) == k:
                    break
        return out


BASELINES = {"llamaindex-text": LlamaIndexText, "bm25-pages": Bm25Pages}


def make_baseline(name: str, cache_dir: str | Path | None = None):
    """A baseline by name; `cache_dir` keeps bm25-pages' OCR text between runs."""
    if name not in BASELINES:
        raise ValueError(f"--baseline: expected one of {sorted(BASELINES)}, got {name!r}")
    return Bm25Pages(cache_dir=cache_dir) if name == "bm25-pages" else BASELINES[name]()
