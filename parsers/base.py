"""The parser contract: a `Parser` turns one file into a `unirag.rag.types.Document`.

>>> err = ParseError("report.pdf", "not a PDF (starts with b'hello')")
>>> str(err)
"report.pdf: not a PDF (starts with b'hello')"
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from unirag.rag.types import Document


class ParseError(Exception):
    """A file could not be parsed; `path` names the file and `reason` says what is wrong."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # keep pickling (multiprocessing) working with two arguments
        return (type(self), (self.path, self.reason))


@runtime_checkable
class Parser(Protocol):
    """Anything with `parse(path, doc_id=None) -> Document`.

    `doc_id` defaults to the file stem; `Document.sha256` is `Document.file_sha256(path)`.
    """

    def parse(self, path: str | Path, doc_id: str | None = None) -> Document: ...

    def to_dict(self) -> dict: ...
