"""Checks an uploaded file before it is kept: a plain file name, PDF magic bytes, a size and
a page-count limit. Accepted files are written atomically into one folder, never outside it.

>>> import tempfile
>>> policy = UploadPolicy(tempfile.mkdtemp(), max_bytes=1000)
>>> policy.check_name("../../x.pdf")
Traceback (most recent call last):
...
unirag.pipelines.chat.uploads.UploadError: ../../x.pdf: expected a plain file name, got a path
>>> policy.check_name("Annual report (2024).PDF")
'Annual_report_2024.pdf'
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

PDF_MAGIC = b"%PDF-"
_UNSAFE = re.compile(r"[^\w.-]+")


class UploadError(ValueError):
    """An upload that is refused; the message says which file and why."""


class UploadPolicy:
    """Validates and stores uploaded PDFs under `folder`; `save()` is the public method."""

    def __init__(self, folder: str | Path, max_bytes: int = 50 << 20, max_pages: int = 500,
                 max_name: int = 120):
        self.folder = Path(folder)
        self.max_bytes = int(max_bytes)
        self.max_pages = int(max_pages)
        self.max_name = int(max_name)

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "max_bytes": self.max_bytes, "max_pages": self.max_pages,
                "max_name": self.max_name}

    def check_name(self, name: str) -> str:
        """A safe file name for `name`, or UploadError: paths and hidden names are refused,
        other odd characters become '_', and the suffix is a lower-case '.pdf'."""
        if not isinstance(name, str) or not name.strip():
            raise UploadError(f"{name!r}: expected a file name, got none")
        if "/" in name or "\\" in name or "\x00" in name or name.strip() in (".", ".."):
            raise UploadError(f"{name}: expected a plain file name, got a path")
        stem, dot, suffix = name.strip().rpartition(".")
        if not dot or suffix.lower() != "pdf":
            raise UploadError(f"{name}: expected a .pdf file name")
        stem = _UNSAFE.sub("_", stem).strip("._")[: self.max_name]
        if not stem:
            raise UploadError(f"{name}: expected a file name with letters or digits before .pdf")
        return f"{stem}.pdf"

    def check_content(self, name: str, data: bytes) -> int:
        """Page count of the PDF in `data`, or UploadError (not a PDF, too large, too many pages)."""
        if len(data) > self.max_bytes:
            raise UploadError(f"{name}: expected at most {self.max_bytes} bytes, got {len(data)} or more")
        if PDF_MAGIC not in data[:1024]:
            raise UploadError(f"{name}: expected a PDF (content starting with %PDF-), got other content")
        import pymupdf

        try:
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                if doc.needs_pass:
                    raise UploadError(f"{name}: expected an unencrypted PDF, got a password-protected one")
                pages = doc.page_count
        except UploadError:
            raise
        except Exception as e:
            raise UploadError(f"{name}: expected a readable PDF, got a broken one ({e})") from e
        if pages < 1 or pages > self.max_pages:
            raise UploadError(f"{name}: expected 1 to {self.max_pages} pages, got {pages}")
        return pages

    def discard(self, path: str | Path) -> bool:
        """Delete `path` if it is a file this policy saved (directly inside `folder`); whether it
        was. Files elsewhere (a user's own folder, ingested from the command line) are left alone."""
        target = Path(path).resolve()
        if target.parent != self.folder.resolve() or not target.is_file():
            return False
        target.unlink()
        return True

    def save(self, name: str, data: bytes) -> tuple[Path, int]:
        """Check the name and content, then write the file into `folder`: (path, pages)."""
        safe = self.check_name(name)
        pages = self.check_content(name, data)
        self.folder.mkdir(parents=True, exist_ok=True)
        target = (self.folder / safe).resolve()
        if target.parent != self.folder.resolve():  # belt and braces: never outside the folder
            raise UploadError(f"{name}: expected a file inside the upload folder")
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target, pages
