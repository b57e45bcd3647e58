"""The chat server's guard: requests must name this server (loopback names and those allowed),
writes must come from its own page, every response carries a Content-Security-Policy without
inline script, and error texts lose the server's folders.

>>> host_name("[::1]:8000"), host_name("LocalHost:80")
('::1', 'localhost')
>>> without_paths("/srv/db/uploads/a.pdf: disk full", ["/srv/db/uploads"])
'a.pdf: disk full'
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Page images arrive as blob: URLs (fetched, then shown); everything else comes from this server.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def host_name(netloc: str) -> str:
    """The lower-case name in a `Host` header or URL netloc (`name[:port]`), IPv6 without brackets."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:netloc.index("]")] if "]" in netloc else ""
    return netloc.partition(":")[0]


def allowed_names(hosts) -> frozenset[str]:
    """The loopback names and `hosts` (names or addresses, IPv6 with or without brackets)."""
    names = (h.strip().strip("[]") for h in (*LOOPBACK_NAMES, *hosts))
    return frozenset(host_name(f"[{h}]" if ":" in h else h) for h in names if h)


def refusal(headers, method: str, names: frozenset[str]):
    """A 403 response for a request to a host name not in `names` (DNS rebinding: another site's
    name pointed at this machine), or a write sent by another site's page; None when it may pass."""
    from fastapi.responses import JSONResponse, PlainTextResponse

    host = headers.get("host", "")
    if host_name(host) not in names:
        return PlainTextResponse("403 Forbidden: unknown host name; unirag chat answers to loopback names "
                                 "and those given with --host or --allow-host\n", status_code=403)
    origin = headers.get("origin")
    if method not in SAFE_METHODS and origin is not None and urlparse(origin).netloc.lower() != host.lower():
        return JSONResponse({"detail": f"expected a request from this server's page, got origin {origin}"},
                            status_code=403)
    return None


def without_paths(text: str, folders) -> str:
    """`text` with the server's `folders` taken out of the paths it names (kept: the file names)."""
    for folder in folders:
        for form in {str(folder), str(Path(folder).resolve())}:
            text = text.replace(form + os.sep, "").replace(form, Path(folder).name)
    return text
