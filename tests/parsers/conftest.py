"""Fixtures of the parser tests: pictures of tables drawn with PIL."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

ROWS = [["Site", "Cycles", "Capacity"], ["Aldmere", "412", "97.1"], ["Brookfield", "398", "95.4"],
        ["Corran", "377", "98.3"]]


def _draw_table(grid: bool, rule_gray: int = 0, size: int = 28) -> Image.Image:
    """ROWS as a picture: booktabs rules (top, under the header, bottom) or a full grid."""
    font = ImageFont.load_default(size=size)
    col_x, row_h, width = [40, 320, 520], int(size * 2), 760
    top = 100
    im = Image.new("L", (width + 80, top + row_h * len(ROWS) + 120), 255)
    d = ImageDraw.Draw(im)
    d.text((40, 30), "Table 1: Capacity retained per site", fill=0, font=font)
    for i, row in enumerate(ROWS):
        for x, cell in zip(col_x, row):
            d.text((x + 10, top + i * row_h + size // 3), cell, fill=0, font=font)
    bottom = top + row_h * len(ROWS)
    ys = [top + i * row_h for i in range(len(ROWS) + 1)] if grid else [top, top + row_h, bottom]
    for y in ys:
        d.line([(30, y), (width, y)], fill=rule_gray, width=2)
    if grid:
        for x in [30, *col_x[1:], width]:
            d.line([(x, top), (x, bottom)], fill=rule_gray, width=2)
    return im


def _gray(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("L"))


@pytest.fixture()
def draw_table():
    """`draw_table(grid, rule_gray=0, size=28)`: a PIL picture of a small table."""
    return _draw_table


@pytest.fixture()
def gray():
    """`gray(picture)`: the picture as a gray numpy array."""
    return _gray
