"""Ingest and query wiring: `Pipeline` (the Python API) and the `unirag` CLI.

`Pipeline` is imported on first use: parser processes import this package, and must not load
Chroma and the encoders (seconds) to parse a file.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Pipeline"]


def __getattr__(name: str) -> Any:
    if name != "Pipeline":
        raise AttributeError(f"module 'unirag.pipelines' has no attribute {name!r}")
    from unirag.pipelines.pipeline import Pipeline

    return Pipeline
