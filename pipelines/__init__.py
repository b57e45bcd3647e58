"""Ingest and query wiring: `Pipeline` (the Python API) and the `unirag` CLI."""
from unirag.pipelines.pipeline import Pipeline

__all__ = ["Pipeline"]
