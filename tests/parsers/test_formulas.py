from unirag.parsers.formulas import FormulaFinder
from unirag.parsers.lines import Line

COLUMN = [(72.0, 540.0)]


def _line(text: str, y: float, x0: float = 200.0, math_font: float = 1.0) -> Line:
    return Line(text, (x0, y, x0 + 6 * len(text), y + 10), 10.0, False, math_font, 0)


def test_math_font_lines_that_relate_something_are_formulas():
    found = FormulaFinder(COLUMN).find([_line("U(v) = (v − p)d − cWq", 100), _line("x ≤ y", 200)])
    assert [f.text for f in found] == ["U(v) = (v − p)d − cWq", "x ≤ y"]


def test_bare_symbols_in_a_math_font_are_diagram_labels_not_formulas():
    labels = [_line("p ¯λ λ λ ¯λ", 100), _line("Wq", 200), _line("K • ¯λ •", 300)]
    assert FormulaFinder(COLUMN).find(labels) == []


def test_a_numbered_formula_stays_even_without_an_operator():
    (formula,) = FormulaFinder(COLUMN).find([_line("2cos θ2 (47)", 100)])
    assert formula.number == "47"
