"""A faster stand-in for PyMuPDF's `pymupdf.table.make_chars`, used while our table finder runs.

`page.find_tables()` first turns every character in its clip into a pdfplumber-style dict.
PyMuPDF builds a `Rect`, a `Point` and a `Matrix` object per character for that, which is
about two thirds of the finder's time on text-heavy pages. `make_chars` below builds the
same dicts from plain floats (rounded to float32 where MuPDF computes in float32): the
output is equal, key for key (`tests/parsers/test_table_chars.py` compares it with
PyMuPDF's on every page of the samples), in less than half the time.

`faster_chars()` swaps it in for the duration of a `with` block, and does nothing if this
PyMuPDF version lacks the internals it relies on.
"""
from __future__ import annotations

import struct
from contextlib import contextmanager
from collections.abc import Iterator

import pymupdf
from pymupdf import table as _table

_F32 = struct.Struct("f")


def _f32(v: float) -> float:
    return _F32.unpack(_F32.pack(v))[0]


def make_chars(page: pymupdf.Page, clip=None) -> pymupdf.TextPage:
    """Fill PyMuPDF's table-finder character list for `page` (within `clip`); returns the textpage."""
    chars = _table.CHARS._list()
    append = chars.append
    page_number = page.number + 1
    doctop = page.rect.height * page.number
    a, b, c, d, e, f = page.transformation_matrix
    textpage = page.get_textpage(clip=clip, flags=_table.FLAGS)
    bold_flag, to_pdf = pymupdf.TEXT_FONT_BOLD, pymupdf.sRGB_to_pdf
    for block in page.get_text("rawdict", textpage=textpage)["blocks"]:
        for line in block["lines"]:
            cos, sin = (round(v, 4) for v in line["dir"])
            upright = sin == 0
            for span in sorted(line["spans"], key=lambda s: s["bbox"][0]):
                font, size = span["font"], span["size"]
                bold = bool(span["flags"] & bold_flag or span["char_flags"] & 8)
                color = to_pdf(span["color"])
                for ch in sorted(span["chars"], key=lambda ch: ch["bbox"][0]):
                    x0, y0, x1, y1 = ch["bbox"]
                    if x0 <= x1 and y0 <= y1:  # as fz_transform_rect: the corners' bounding box
                        ys = (x0 * b + y0 * d, x1 * b + y0 * d, x0 * b + y1 * d, x1 * b + y1 * d)
                        ty0, ty1 = _f32(min(ys) + f), _f32(max(ys) + f)
                    else:
                        ty0, ty1 = y0, y1
                    ox, oy = ch["origin"]
                    w, h = x1 - x0, y1 - y0
                    append({
                        "adv": w if upright else h, "bottom": y1, "doctop": y0 + doctop, "fontname": font,
                        "height": h, "matrix": (cos, -sin, sin, cos, _f32(ox * a + oy * c + e),
                                                _f32(ox * b + oy * d + f)),
                        "ncs": "DeviceRGB", "non_stroking_color": color, "non_stroking_pattern": None,
                        "object_type": "char", "page_number": page_number, "size": size if upright else h,
                        "stroking_color": color, "stroking_pattern": None, "bold": bold, "text": ch["c"],
                        "top": y0, "upright": upright, "width": w, "x0": x0, "x1": x1, "y0": ty0, "y1": ty1,
                    })
    return textpage


def supported() -> bool:
    """Whether this PyMuPDF has the internals `make_chars` fills."""
    return (callable(getattr(_table, "make_chars", None)) and hasattr(_table, "FLAGS")
            and callable(getattr(getattr(_table, "CHARS", None), "_list", None)))


@contextmanager
def faster_chars() -> Iterator[None]:
    """Run `page.find_tables()` calls inside the block with `make_chars` above."""
    if not supported():
        yield
        return
    original, _table.make_chars = _table.make_chars, make_chars
    try:
        yield
    finally:
        _table.make_chars = original
