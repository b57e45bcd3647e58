"""Table finder helpers: grid gating, booktabs rule bands, chart rejection, compaction."""
from __future__ import annotations

import pymupdf

from unirag.parsers.tables import _chart, cell_texts, compact, grid_region, grow_to_rules, horizontal_rules, rule_paths, ruled_region

PAGE = (0.0, 0.0, 595.0, 842.0)


def _line(x0, y0, x1, y1) -> dict:
    return {"items": [("l", pymupdf.Point(x0, y0), pymupdf.Point(x1, y1))], "rect": pymupdf.Rect(x0, y0, x1, y1)}


def test_grid_region_needs_crossing_rules():
    booktabs = [_line(100, y, 400, y) for y in (100, 120, 200)]
    assert grid_region(booktabs) is None
    grid = booktabs + [_line(x, 100, x, 200) for x in (100, 250, 400)]
    assert grid_region(grid) == (97, 97, 403, 203)  # 3 x 3 crossings, boxed with the tolerance
    frame = [{"items": [("re", pymupdf.Rect(50, 50, 300, 200), 1)], "rect": pymupdf.Rect(50, 50, 300, 200)}]
    assert grid_region(frame) is None  # a lone box crosses itself only 4 times
    stray = grid + [_line(100, 600, 400, 600)]  # a rule far from the grid does not widen the box
    assert grid_region(stray) == (97, 97, 403, 203)
    top_rule = grid + [_line(40, 98, 460, 98)]  # a wider rule touching the grid is part of the table
    assert grid_region(top_rule) == (37, 95, 463, 203)


def test_ruled_region_below_and_above_a_caption():
    rules = horizontal_rules([("stroke-path", (100, y, 400, y + 0.5)) for y in (130, 150, 260)]
                             + [("fill-path", (100, 700, 120, 701))])  # too short: not a rule
    assert len(rules) == 3
    caption_above = (100, 100, 400, 120)
    assert ruled_region(caption_above, rules, PAGE) == (98, 128, 402, 262.5)
    caption_below = (100, 270, 400, 285)
    assert ruled_region(caption_below, rules, PAGE) == (98, 128, 402, 262.5)
    assert ruled_region((100, 500, 400, 515), rules, PAGE) is None  # no rule within reach


def test_ruled_region_stops_at_a_table_of_another_width():
    rules = [(149, 211, 463, 212), (149, 244, 463, 245), (141, 473, 471, 474), (141, 633, 471, 634)]
    assert ruled_region((72, 182, 540, 210), rules, PAGE) == (147, 209, 465, 247)


def test_chart_has_many_drawn_shapes_between_rules():
    band = (100, 100, 400, 300)
    rules = [("stroke-path", (100, y, 400, y + 0.5)) for y in range(100, 300, 20)]
    markers = [("fill-path", (110 + 5 * i, 150, 114 + 5 * i, 154)) for i in range(20)]
    assert not _chart(band, rules)
    assert _chart(band, rules + markers)
    bitmaps = [("fill-image", (110 + 5 * i, 150, 115 + 5 * i, 155)) for i in range(20)]  # markers as images
    assert _chart(band, rules + bitmaps)
    assert not _chart((0, 0, 90, 90), rules + bitmaps)  # only what lies inside the band counts


def test_compact_drops_empty_rows_and_columns():
    rows = [["Model", "", "AIME"], [None, "", ""], ["o1", None, "63.6"]]
    assert compact(rows) == [["Model", "AIME"], ["o1", "63.6"]]
    assert compact([[None, ""]]) == []


def test_white_background_fill_is_not_a_rule():
    """A white box behind a column (some LaTeX/IEEE PDFs paint one) must not become cell
    borders: the table is the ruled grid only, not the grid plus the text beside it."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.draw_rect(pymupdf.Rect(40, 60, 330, 500), color=None, fill=(1, 1, 1))  # invisible background
    xs, ys = (300, 380, 460, 540), (100, 120, 140, 160)
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y))
    for x in xs:
        page.draw_line((x, ys[0]), (x, ys[-1]))
    for r, y in enumerate(ys[:-1]):
        for c, x in enumerate(xs[:-1]):
            page.insert_text((x + 5, y + 14), f"r{r}c{c}", fontsize=9)
    page.insert_text((50, 300), "Body text beside the table, inside the white box.", fontsize=9)
    paths = rule_paths(page)
    assert all(p["fill"] is None or min(p["fill"]) < 0.95 for p in paths)
    box = grid_region(paths)
    assert box == (297, 97, 543, 163)
    found = page.find_tables(clip=pymupdf.Rect(box), use_layout=False, paths=paths).tables
    assert [(t.row_count, t.col_count) for t in found] == [(3, 3)]


def test_a_table_box_grows_to_its_top_rule_and_the_full_rule_width():
    """A finder that starts at the mid rule and stops at the last column's left edge: the box takes
    in the header row above (up to the top rule) and the rules' full width (issue #21 item 6)."""
    rules = [(73, 85, 522, 86), (73, 110, 522, 111), (73, 155, 522, 156)]
    assert grow_to_rules((80, 111, 484, 155), rules, []) == (73, 85, 522, 155)


def test_a_table_box_does_not_grow_over_a_caption():
    rules = [(73, 60, 522, 61), (73, 110, 522, 111), (73, 155, 522, 156)]
    caption = (150, 70, 450, 80)  # between the table and the rule of something above it
    assert grow_to_rules((73, 90, 522, 155), rules, [caption])[1] == 90


def test_a_narrow_rule_beside_a_table_does_not_widen_it():
    assert grow_to_rules((300, 100, 500, 200), [(50, 150, 200, 151)], []) == (300, 100, 500, 200)


def test_a_rule_below_a_table_is_not_taken_in():
    """A page footer's rule sits as near under a table as the table's own notes would."""
    assert grow_to_rules((73, 85, 522, 155), [(73, 170, 522, 171)], []) == (73, 85, 522, 155)


def test_a_header_centred_over_its_column_is_read_into_it():
    """Cells found by text alignment start where the body's values start: "Kimi Linear",
    centred over the last column, crosses the edge before it and ends past the table."""
    from types import SimpleNamespace

    edges = [(209, 334), (334, 377), (377, 431), (431, 448)]
    rows = [SimpleNamespace(cells=[(x0, y, x1, y + 8) for x0, x1 in edges]) for y in (477, 487)]
    tab = SimpleNamespace(bbox=(209, 477, 448, 495), rows=rows)
    words = [(209, 478, 227, 484, "Type", 0, 0, 0), (333, 478, 353, 484, "MLA", 0, 0, 1),
             (371, 478, 399, 484, "GDN-H", 0, 0, 2), (417, 478, 436, 484, "Kimi", 0, 0, 3),
             (438, 478, 461, 484, "Linear", 0, 0, 4),
             (209, 488, 237, 494, "MMLU", 1, 0, 0), (335, 488, 350, 494, "75.7", 1, 0, 1),
             (377, 488, 393, 494, "75.6", 1, 0, 2), (432, 488, 447, 494, "77.0", 1, 0, 3)]
    assert cell_texts(tab, words, by_columns=True) == [["Type", "MLA", "GDN-H", "Kimi Linear"],
                                                       ["MMLU", "75.7", "75.6", "77.0"]]
    assert cell_texts(tab, words)[0] == ["Type", "MLA", "GDN-H Kimi", ""]  # by centres alone
