"""Chat over your documents: a web app (`create_app`, served by `serve`) and a terminal loop
(`TerminalChat`), both streaming answers from one Pipeline. `unirag chat` runs them."""
from __future__ import annotations

import ipaddress

from unirag.pipelines.chat.app import create_app
from unirag.pipelines.chat.jobs import IngestJobs
from unirag.pipelines.chat.pages import PageRenderer, PageRenderError
from unirag.pipelines.chat.terminal import TerminalChat
from unirag.pipelines.chat.uploads import UploadError, UploadPolicy
from unirag.rag.factory import require


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
           "create_app", "is_loopback", "serve"]
