"""Document parsers: turn files into `rag.types.Document`s of typed chunks.

>>> make_parser("pymupdf", ocr="off").to_dict()["ocr"]
'off'
"""
from __future__ import annotations

from parsers.base import ParseError, Parser
from parsers.pymupdf_parser import PdfParser

from rag.factory import build

PARSERS = {"pymupdf": "parsers.pymupdf_parser.PdfParser"}

__all__ = ["PARSERS", "ParseError", "Parser", "PdfParser", "make_parser", "parser_from_dict"]


def make_parser(name: str = "pymupdf", **cfg) -> Parser:
    """Build a parser by short name; an unknown name gets a ValueError listing valid ones."""
    return build("parser", name, PARSERS, **cfg)


def parser_from_dict(config: dict) -> Parser:
    """Rebuild a parser from its `to_dict()`."""
    config = dict(config)
    return make_parser(config.pop("name", "pymupdf"), **config)
