"""Ruling lines found in gray images: table regions, frames, grids, boxes."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from unirag.parsers.pixel_rules import RuleMap, band_box


@pytest.mark.parametrize("grid", [False, True])
def test_rules_bound_the_table_header_included(grid, draw_table, gray):
    bands = RuleMap(gray(draw_table(grid))).bands()
    assert len(bands) == 1
    x0, y0, x1, y1 = band_box(bands[0])
    assert (y0 <= 101 and y1 >= 100 + 56 * 4 - 1) and x0 <= 33 and x1 >= 758  # header row and full width


def test_faint_grey_rules_are_found(draw_table, gray):
    (band,) = RuleMap(gray(draw_table(grid=True, rule_gray=235))).bands()
    assert len(band) == 5


def test_a_frame_around_a_booktabs_table_is_not_the_table(draw_table, gray):
    im = draw_table(grid=False)
    d = ImageDraw.Draw(im)
    d.rectangle([5, 5, im.width - 6, im.height - 6], outline=0, width=2)
    rules = RuleMap(gray(im))
    (band,) = rules.bands()
    assert band_box(band)[1] >= 99 and band_box(band)[0] >= 29  # the table's own top rule, not the frame
    assert not rules.vertical_rules(band_box(band))[1:-1]


def test_two_grids_under_each_other_are_two_tables(draw_table, gray):
    a, b = gray(draw_table(grid=True)), gray(draw_table(grid=True))
    stacked = np.vstack([a, np.full((60, a.shape[1]), 255, np.uint8), b])
    assert len(RuleMap(stacked).bands()) == 2


def test_a_plot_panel_or_text_is_not_ruled(gray):
    im = Image.new("L", (600, 400), 255)
    d = ImageDraw.Draw(im)
    d.rectangle([50, 50, 550, 350], fill=225)  # a grey panel: its edges are not thin rules
    d.text((60, 370), "Some words of running text under a panel " * 2, fill=0, font=ImageFont.load_default(size=14))
    assert RuleMap(gray(im)).bands() == []



def test_a_drawn_box_is_not_a_table(gray):
    """A legend or call-out: a box (rounded corners too) with lines of text in it."""
    im = Image.new("L", (500, 300), 255)
    d = ImageDraw.Draw(im)
    d.rounded_rectangle([40, 40, 460, 260], radius=12, outline=120, width=2)
    font = ImageFont.load_default(size=22)
    for i, label in enumerate(["11+ years", "6-10 years", "3-5 years", "1-2 years"]):
        d.rectangle([70, 70 + 45 * i, 130, 90 + 45 * i], fill=90)
        d.text((150, 66 + 45 * i), label, fill=0, font=font)
    assert RuleMap(gray(im)).bands() == []
