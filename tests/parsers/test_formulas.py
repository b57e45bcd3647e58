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


def _prose(text: str, y: float, x0: float = 72.0) -> Line:
    return Line(text, (x0, y, x0 + 5 * len(text), y + 10), 10.0, False, 0.0, 0)


def test_math_inside_a_sentence_stays_text():
    row = [_prose("such that the", 100), _line("S[t] = S(tC + i)", 100, x0=150), _prose("is the state", 100, x0=260)]
    assert FormulaFinder(COLUMN).find(row) == []


def test_number_is_found_on_any_line_and_moved_to_the_end():
    lines = [_line("J(θ) = E[q ∼ P(Q)] min", 100), _line("(1)", 104, x0=500, math_font=0.0),
             _line("− β D(π || π_ref)", 112)]
    (formula,) = FormulaFinder(COLUMN).find(lines)
    assert formula.number == "1" and formula.text.endswith("(1)") and "D(π" in formula.text


def test_bounds_set_apart_join_their_formula_but_two_numbered_ones_stay_apart():
    lines = [_line("f(x, y) = Σ a x y (7)", 100), _line("0≤i+j≤2n−1", 116, x0=230),
             _line("V(k) = Σ a k (8)", 135)]
    found = FormulaFinder(COLUMN).find(lines)
    assert [f.number for f in found] == ["7", "8"] and "0≤i+j≤2n−1" in found[0].text


def test_math_font_names_are_not_prose():
    lines = [_line("CF(F) = filesize(Forig) / filesize(Fcomp),", 100), _line("(5)", 100, x0=500, math_font=0.0)]
    (formula,) = FormulaFinder(COLUMN).find(lines)
    assert formula.number == "5"


def test_code_in_a_fixed_width_font_is_not_math():
    code = Line("o = (q_i * g_i.exp()) @ S + A @ v_i", (200, 100, 400, 110), 10.0, False, 0.0, 0, mono=True)
    assert FormulaFinder(COLUMN).find([code]) == []
