"""Heading detection: which short blocks start a section, and at what level."""
from unirag.parsers.layout import HeadingDetector, body_size
from unirag.parsers.lines import Line


def line(text, size=10.0, bold=False, italic=False, box=(50, 100, 300, 112)):
    return Line(text, box, size, bold, 0.0, 0, italic)


def test_ieee_headings_at_body_size():
    h = HeadingDetector(body=10.0)
    assert h.level([line("II. PROBLEM AND METRICS DESCRIPTION")]) == 1
    assert h.level([line("B. Rate-Distortion", italic=True)]) == 2
    assert h.level([line("B. Rate-Distortion")]) is None  # upright: a list item as likely as a heading
    assert h.level([line("2. RELATED WORK")]) == 1
    assert h.level([line("2. Sort A, then search each element")]) is None


def test_never_headings():
    h = HeadingDetector(body=10.0)
    assert h.level([line("• Handheld device", size=12.0)]) is None
    assert h.level([line("下面对浮子进行受力分析，浮子受力如图5-5 所示。", size=12.0)]) is None
    assert h.level([line("An approximation is given by:", size=12.0)]) is None
    assert h.level([line("12 return x", bold=True)]) is None
    stamp = line("arXiv:1706.03791v1 [cs.IT] 12 Jun 2017", size=20.0, box=(10, 200, 40, 560))
    assert h.level([stamp]) is None
    assert h.level([line("demand >> supply", size=11.5)]) is None  # plain and only a little bigger


def test_first_page_title_and_authors_are_not_sections():
    title, author = line("A Study of Things", size=17.0, bold=True), line("Jane Doe", size=12.0)
    heading = line("1 INTRODUCTION", size=11.0, bold=True)
    pages = [[title, author, heading, line("Body text " * 5)],
             [line("2 METHOD", size=11.0, bold=True), line("Body text " * 5)],
             [line("Body text " * 5)]]
    h = HeadingDetector.for_pages(pages)
    assert h.level([title]) is None and h.level([author]) is None
    assert h.level([heading]) == 1
    assert h.level([line("References", size=12.0, bold=True)]) == 1


def test_recurring_slide_titles_are_sections():
    slides = [[line(f"Slide {i} title", size=40.0, bold=True), line("Point " * 4, size=24.0)] for i in range(4)]
    h = HeadingDetector.for_pages(slides)
    assert h.body == 24.0
    assert h.level([slides[2][0]]) == 1


def test_ocr_pages_take_numbered_capitals_only():
    h = HeadingDetector(body=9.6)
    assert h.level([line("2. A PRoBaBILIStiC COUNTING PROCEDURE", size=9.7)], scanned=True) == 1
    assert h.level([line("The Basic Counting Procedure", size=13.1)], scanned=True) is None
    assert h.level([line("Fax)y= > k", size=14.3)], scanned=True) is None


def test_body_size_counts_cjk_characters_twice():
    lines = [line("浮子和振子的运动方程" * 3, size=12.0), line("x = a + b (1)" * 4, size=10.0)]
    assert body_size(lines) == 12.0
