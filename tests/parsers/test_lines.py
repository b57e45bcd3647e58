"""RepeatFilter: which margin and edge-row lines are running headers, footers and page numbers."""
from __future__ import annotations

from unirag.parsers.lines import Line, RepeatFilter

H = 800.0


def line(text: str, y: float, block: int = 0) -> Line:
    return Line(text, (100.0, y, 400.0, y + 10), 10.0, False, 0.0, block)


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()


def page(top: str, i: int, y_top: float = 30.0) -> list[Line]:
    """A header line and two body lines whose words differ from page to page."""
    return [line(top, y_top), line(f"body {WORDS[i]}", 300.0, 1), line(f"{WORDS[-1 - i]} ends", 315.0, 1)]


def test_header_on_half_the_pages_in_the_margin():
    pages = [page("ACME Review" if i < 4 else f"Part {WORDS[i]}", i) for i in range(8)]
    f = RepeatFilter([(H, p) for p in pages])
    assert [ln.text for ln in f.clean(pages[0], H)] == ["body alpha", "juliet ends"]
    assert [ln.text for ln in f.clean(pages[5], H)][0] == "Part foxtrot"


def test_alternating_headers_on_the_first_row_inside_the_page():
    pages = [page(f"{100 + i} SMITH AND JONES" if i % 2 else f"COUNTING, {100 + i}", i, y_top=170)
             for i in range(10)]
    f = RepeatFilter([(H, p) for p in pages])
    assert all(len(f.clean(p, H)) == 2 for p in pages)


def test_a_title_on_a_few_pages_of_one_parity_is_kept():
    """A chart title at the top of three odd pages of seven is not a running header."""
    pages = [page("Probability of data loss" if i in (0, 2, 4) else f"Intro {WORDS[i]}", i, y_top=170)
             for i in range(7)]
    f = RepeatFilter([(H, p) for p in pages])
    assert "Probability of data loss" in [ln.text for ln in f.clean(pages[0], H)]


def test_numbers_on_the_first_row_are_kept_unless_in_the_margin():
    """Page numbers repeat as '#' in the margin; an equation number on a first row is content."""
    pages = [page(str(i + 1), i) for i in range(6)]
    f = RepeatFilter([(H, p) for p in pages])
    assert [ln.text for ln in f.clean(pages[2], H)] == ["body charlie", "hotel ends"]
    inner = [line("(8)", 170), line("x = y", 300, 1)]
    assert [ln.text for ln in f.clean(inner, H)] == ["(8)", "x = y"]
