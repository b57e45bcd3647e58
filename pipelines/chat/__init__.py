"""Chat over your documents: a web app (`create_app`, served by `serve`) and a terminal loop
(`TerminalChat`), both streaming answers from one Pipeline. `unirag chat` runs them."""
from __future__ import annotations

import ipaddress
import json

from pipelines.chat.app import create_app
from pipelines.chat.jobs import IngestJobs
from pipelines.chat.pages import PageRenderer, PageRenderError
from pipelines.chat.terminal import TerminalChat
from pipelines.chat.uploads import UploadError, UploadPolicy
from rag.factory import require


def generator_config(value: str | None) -> dict | None:
    """`--generator NAME|JSON` as a config dict (None: the pipeline default).

    >>> generator_config("extractive"), generator_config('{"name": "extractive", "max_hits": 3}')
    ({'name': 'extractive'}, {'name': 'extractive', 'max_hits': 3})
    """
    if value is None:
        return None
    if value.lstrip().startswith("{"):
        config = json.loads(value)
        if not isinstance(config, dict) or "name" not in config:
            raise ValueError(f"--generator: expected a JSON object with a 'name', got {value!r}")
        return config
    return {"name": value}


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(app, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run `app` with uvicorn until interrupted."""
    uvicorn = require("uvicorn", "server")
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["IngestJobs", "PageRenderError", "PageRenderer", "TerminalChat", "UploadError", "UploadPolicy",
           "create_app", "generator_config", "is_loopback", "serve"]
