"""Document parsers: turn files into `unirag.rag.types.Document`s of typed chunks.

>>> make_parser("pymupdf", ocr="off").to_dict()["ocr"]
'off'
"""
from __future__ import annotations

from unirag.parsers.base import ParseError, Parser
from unirag.parsers.pymupdf_parser import PdfParser

from unirag.rag.factory import build, from_config

PARSERS = {
    "pymupdf": "unirag.parsers.pymupdf_parser.PdfParser",
    "image": "unirag.parsers.image_parser.ImageParser",
    "office": "unirag.parsers.office.OfficeParser",
}
# Which parser reads a file, by suffix. The configured parser reads PDFs; the others are built
# with their defaults (and the configured OCR languages where they OCR).
BY_SUFFIX = {".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image",
             ".tiff": "image", ".bmp": "image", ".webp": "image", ".gif": "image",
             ".docx": "office", ".pptx": "office", ".html": "office", ".htm": "office"}
SUPPORTED_SUFFIXES = tuple(BY_SUFFIX)

__all__ = ["PARSERS", "ParseError", "Parser", "PdfParser", "SUPPORTED_SUFFIXES", "make_parser",
           "parser_for", "parser_from_dict"]


def make_parser(name: str = "pymupdf", **cfg) -> Parser:
    """Build a parser by short name; an unknown name gets a ValueError listing valid ones."""
    return build("parser", name, PARSERS, cfg)


def parser_for(path, config: dict, allow_imports: bool = False) -> Parser:
    """The parser for `path`'s type: the configured one for PDFs, images and office files by kind.

    >>> type(parser_for("scan.JPG", {"name": "pymupdf"})).__name__
    'ImageParser'
    """
    from pathlib import Path

    kind = BY_SUFFIX.get(Path(path).suffix.lower())
    if kind is None:
        raise ParseError(path, f"unsupported file type {Path(path).suffix or '(none)'!r}; "
                               f"expected one of {SUPPORTED_SUFFIXES}")
    if kind == "pdf":
        return parser_from_dict(config, allow_imports)
    if kind == "image":
        return make_parser("image", ocr_languages=config.get("ocr_languages", "eng+chi_sim"))
    return make_parser(kind)


def parser_from_dict(config: dict, allow_imports: bool = False) -> Parser:
    """Rebuild a parser from its `to_dict()`; dotted class paths only with `allow_imports`."""
    return from_config("parser", config, PARSERS, allow_imports, default="pymupdf")
