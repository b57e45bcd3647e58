"""unirag: multimodal retrieval-augmented generation over documents.

One import name; the source folders `rag/` (core), `parsers/`, `pipelines/` and `eval/` install as
its subpackages `unirag.rag`, `unirag.parsers`, `unirag.pipelines` and `unirag.eval`.

>>> from unirag import Pipeline, Query
>>> Query(text="peak temperature").text
'peak temperature'
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names, imported on first use so that `import unirag` stays cheap.
_EXPORTS = {
    "Pipeline": "unirag.pipelines.pipeline",
    "Answer": "unirag.rag.types", "Chunk": "unirag.rag.types", "Citation": "unirag.rag.types",
    "Document": "unirag.rag.types", "Hit": "unirag.rag.types", "Query": "unirag.rag.types",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'unirag' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
