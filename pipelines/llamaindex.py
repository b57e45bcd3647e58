"""LlamaIndex interop: unirag as a LlamaIndex retriever, and LlamaIndex `Document`s into unirag.

Needs `llama-index-core` (pip install 'unirag[llamaindex]').

>>> from unirag.pipelines import Pipeline
>>> p = Pipeline(db="/tmp/unirag-doctest-li", encoder={"name": "hash"})
>>> report = p.add_documents(from_llamaindex([LIDocument(text="Pumps run at 40 Hz.",
...                                                       metadata={"file_name": "pumps.txt"})]))
>>> [n.node.metadata["doc_id"] for n in UniragRetriever(p, top_k=1).retrieve("pump frequency")]
['pumps']
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Iterable

from unirag.rag.factory import require
from unirag.rag.text import windows
from unirag.rag.types import Chunk, Document, Hit, Query, content_hash

require("llama_index.core", "llamaindex")
from llama_index.core import Document as LIDocument  # noqa: E402
from llama_index.core.retrievers import BaseRetriever  # noqa: E402
from llama_index.core.schema import ImageNode, NodeWithScore, QueryBundle, TextNode  # noqa: E402

if TYPE_CHECKING:
    from unirag.pipelines.pipeline import Pipeline

IMAGE_MODALITIES = ("figure", "image")


def to_node(hit: Hit) -> NodeWithScore:
    """A unirag hit as a LlamaIndex node: `ImageNode` (with the crop) for figures and images,
    `TextNode` for text, tables, formulas and pages. Where it came from is in `metadata`."""
    c = hit.chunk
    meta = {"doc_id": c.doc_id, "page": c.page, "modality": c.modality, "bbox": list(c.bbox or ()),
            "section": c.section, "caption": c.caption, "chunk_id": c.id}
    text = f"{c.caption}\n{c.text}" if c.caption and c.caption not in c.text else c.text
    if c.modality in IMAGE_MODALITIES and hit.crop_path and Path(hit.crop_path).is_file():
        image = base64.b64encode(Path(hit.crop_path).read_bytes()).decode()
        node = ImageNode(id_=c.id, text=text, metadata=meta, image=image, image_path=hit.crop_path,
                         image_mimetype="image/png")
    else:
        node = TextNode(id_=c.id, text=text, metadata=meta)
    return NodeWithScore(node=node, score=hit.score)


class UniragRetriever(BaseRetriever):
    """A LlamaIndex retriever over a unirag store: use it in a `RetrieverQueryEngine`.
    A `QueryBundle` with `image_path` set becomes an image (or image+text) query."""

    def __init__(self, pipeline: Pipeline, top_k: int = 10, modalities: Iterable[str] = (),
                 doc_ids: Iterable[str] = (), **kwargs):
        self._pipeline = pipeline
        self._top_k = int(top_k)
        self._modalities = tuple(modalities)
        self._doc_ids = tuple(doc_ids)
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        image = Path(query_bundle.image_path).read_bytes() if query_bundle.image_path else None
        query = Query(text=query_bundle.query_str or "", image=image, modalities=self._modalities,
                      doc_ids=self._doc_ids)
        return [to_node(h) for h in self._pipeline.retrieve(query, self._top_k)]


def _page(meta: dict) -> int:
    for key in ("page", "page_label", "source", "page_number"):
        value = str(meta.get(key, "")).strip()
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return 1


def _doc_id(meta: dict, text: str) -> str:
    for key in ("doc_id", "file_name", "file_path"):
        if meta.get(key):
            return Path(str(meta[key])).stem
    return "doc-" + content_hash(text, n=10)


def from_llamaindex(documents: Iterable[LIDocument], window: int = 800) -> list[Document]:
    """LlamaIndex `Document`s (e.g. from `SimpleDirectoryReader` or `PyMuPDFReader`, one per page
    or per file) as unirag Documents of text chunks. Documents are grouped by file (`file_name`/
    `file_path` metadata, else the text's hash); pages come from `page_label`/`source` metadata;
    long texts are split into overlapping windows of about `window` characters."""
    grouped: dict[str, list[LIDocument]] = {}
    for d in documents:
        grouped.setdefault(_doc_id(d.metadata, d.text), []).append(d)
    out = []
    for doc_id, docs in grouped.items():
        chunks, order = [], 0
        for d in docs:
            for part in windows(d.text, window):
                if part.strip():
                    chunks.append(Chunk(doc_id=doc_id, modality="text", page=_page(d.metadata), text=part,
                                        order=order))
                    order += 1
        source = str(docs[0].metadata.get("file_path") or docs[0].metadata.get("file_name") or doc_id)
        sha = content_hash(*(d.text for d in docs), n=64)
        out.append(Document(doc_id=doc_id, source=source, sha256=sha, chunks=tuple(chunks),
                            n_pages=max((c.page for c in chunks), default=1)))
    return out
