"""PNG bytes of a PyMuPDF pixmap, about twice as fast as `Pixmap.tobytes("png")`.

Crops and OCR renderings are encoded once, stored or piped on, and decoded by PIL or
Tesseract, so encoding speed matters more than the last few percent of size. MuPDF's writer
filters every row and deflates at zlib's default level; this one writes rows unfiltered
and deflates at level 1: on the corpus crops 2.3x faster and 8% larger, with the same pixels.
The pixmap's resolution goes into a pHYs chunk, as MuPDF's does (Tesseract reads it).
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pymupdf

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 3: 2}  # gray, RGB -> PNG colour type


def png_bytes(pix: pymupdf.Pixmap, level: int = 1) -> bytes:
    """`pix` as PNG: gray or RGB here; anything else (alpha: MuPDF's samples are
    premultiplied; CMYK) through MuPDF's writer.

    >>> pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 3, 2), False)
    >>> _ = pix.set_rect(pix.irect, (255, 0, 0)); pix.set_dpi(110, 110)
    >>> from PIL import Image; import io
    >>> im = Image.open(io.BytesIO(png_bytes(pix)))
    >>> im.size, im.getpixel((2, 1)), [round(v) for v in im.info["dpi"]]
    ((3, 2), (255, 0, 0), [110, 110])
    """
    kind = None if pix.alpha else _COLOR_TYPE.get(pix.n)
    if kind is None or pix.width < 1 or pix.height < 1:
        return pix.tobytes("png")
    width = pix.width * pix.n
    rows = np.empty((pix.height, width + 1), np.uint8)
    rows[:, 0] = 0  # filter type "none" for every row
    rows[:, 1:] = np.frombuffer(pix.samples_mv, np.uint8).reshape(pix.height, pix.stride)[:, :width]
    parts = [_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", pix.width, pix.height, 8, kind, 0, 0, 0))]
    if pix.xres > 0 and pix.yres > 0:  # pixels per metre
        parts.append(_chunk(b"pHYs", struct.pack(">IIB", round(pix.xres / 0.0254), round(pix.yres / 0.0254), 1)))
    parts += [_chunk(b"IDAT", zlib.compress(rows.tobytes(), level)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
