"""Ingest fanned out over a Ray cluster: every file is parsed and embedded by a Ray task on some
worker; the driver writes the results (chunks to Chroma, best a server given by `--chroma-url`,
crops under `--db`) in the same crash-safe order as a local ingest. Needs `unirag[distributed]`.

The driver ships each file's bytes to its task, so workers need no shared file system, and keeps
at most `max_in_flight` tasks running, so memory on the driver stays bounded.
"""
from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from collections.abc import Generator
from typing import Any

from unirag.pipelines.ingest import Ingestor, PageCallback, _parse
from unirag.rag.indexing import Embedded, embed
from unirag.rag.encoders import encoder_from_dict
from unirag.rag.encoders.base import Encoder
from unirag.rag.factory import require
from unirag.rag.store.chroma import ChromaStore
from unirag.rag.timing import StageTimer

_ENCODERS: dict[str, Encoder] = {}  # one loaded encoder per worker process, reused across tasks


def parse_and_embed(parser_config: dict, encoder_config: dict, data: bytes, source: str,
                    doc_id: str) -> Embedded | str:
    """Runs on a worker: the embedded document, or the error message naming the file."""
    with tempfile.TemporaryDirectory(prefix="unirag-") as tmp:
        local = Path(tmp) / "input.pdf"
        local.write_bytes(data)
        parsed = _parse(parser_config, str(local), doc_id)
    if isinstance(parsed, str):
        return parsed.replace(str(local), source)
    doc = dataclasses.replace(parsed, source=source,
                              warnings=tuple(w.replace(str(local), source) for w in parsed.warnings))
    key = json.dumps(encoder_config, sort_keys=True)
    try:
        if key not in _ENCODERS:
            _ENCODERS[key] = encoder_from_dict(encoder_config)
        return embed(_ENCODERS[key], doc)
    except Exception as e:
        return f"{source}: could not embed: {type(e).__name__}: {e}"


def _package_copy() -> str:
    """A temporary folder holding the `unirag` package as it is imported here (its subpackages
    live in separate source folders in a checkout), for Ray to ship to the workers."""
    import importlib
    import shutil

    import unirag

    root = Path(tempfile.mkdtemp(prefix="unirag-ray-")) / "unirag"
    shutil.copytree(Path(unirag.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    for sub in ("rag", "parsers", "pipelines", "eval"):
        module = importlib.import_module(f"unirag.{sub}")
        assert module.__file__ is not None  # a regular package: it has an __init__.py
        shutil.copytree(Path(module.__file__).parent, root / sub, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return str(root)


class RayIngestor(Ingestor):
    """`Ingestor` whose parse+embed step runs as Ray tasks (local instance or a cluster).

    `address`: None starts a local Ray instance (or joins the one in $RAY_ADDRESS), "auto" joins
    the cluster this machine belongs to, "ray://HOST:10001" a remote one. Ray is started on the
    first `run`, not here.

    >>> from unirag.rag.encoders import make_encoder
    >>> ing = RayIngestor(ChromaStore(url="http://127.0.0.1:8000"), make_encoder("hash"), {"name": "pymupdf"})
    >>> ing.max_in_flight >= 2
    True
    """

    def __init__(self, store: ChromaStore, encoder: Encoder, parser_config: dict, address: str | None = None,
                 max_in_flight: int | None = None):
        super().__init__(store, encoder, parser_config, workers=1)
        self.address = address
        self.max_in_flight = int(max_in_flight or 8)

    def _start(self):
        ray = require("ray", "distributed")
        if not ray.is_initialized():
            # the driver's unirag code travels with the job, so workers run the same version;
            # its dependencies (pymupdf, torch, ...) must be installed on every node
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     runtime_env={"py_modules": [_package_copy()]})
        return ray

    def _results(self, todo: list[tuple[Path, str, str]], on_page: PageCallback | None = None,
                 timer: StageTimer | None = None) -> Generator[tuple[Path, Embedded | str]]:
        """Like `Ingestor._results`; pages and stages are not reported from a cluster (`on_page`
        and `timer` are unused): the bar moves a document at a time."""
        if not todo:
            return
        ray = self._start()
        task = ray.remote(num_cpus=1, max_retries=1)(parse_and_embed)
        encoder_config = self.encoder.to_dict()
        waiting = list(reversed(todo))
        pending: dict[Any, Path] = {}  # ray ObjectRef -> file
        while waiting or pending:
            while waiting and len(pending) < self.max_in_flight:
                f, doc_id, _ = waiting.pop()
                pending[task.remote(self.parser_config, encoder_config, f.read_bytes(), str(f), doc_id)] = f
            ready, _ = ray.wait(list(pending), num_returns=1)
            f = pending.pop(ready[0])
            try:
                yield f, ray.get(ready[0])
            except ray.exceptions.RayError as e:  # the worker died or the task could not run
                yield f, f"{f}: Ray task failed: {type(e).__name__}: {str(e).splitlines()[0]}"
