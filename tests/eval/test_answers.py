import pytest

from unirag.eval.answers import answer_scores, contains, exact_match, normalize, token_f1


@pytest.mark.parametrize("pred, golds, em", [
    ("12,000", ["12000"], 1.0),
    ("12000", ["12,000"], 1.0),
    ("0.2960", ["0.296"], 1.0),
    ("74.4%", ["0.744"], 0.0),          # no silent percent conversion
    ("74.4%", ["0.744", "74.4%"], 1.0),  # only where the record lists both
    ("1 − α", ["1-α"], 1.0),
    ("The December", ["december"], 1.0),
    ("炸天", ["炸天"], 1.0),
    ("1.5", ["15"], 0.0),
    ("", ["x"], 0.0),
])
def test_exact_match(pred, golds, em):
    assert exact_match(pred, golds) == em


def test_token_f1_and_contains():
    assert token_f1("36.2 kWh", ["36.2 kWh"]) == 1.0
    assert token_f1("36.2", ["36.2 kWh"]) == pytest.approx(2 / 3, abs=1e-4)
    assert token_f1("nothing here", ["36.2"]) == 0.0
    assert token_f1("提升效率", ["效率"]) == pytest.approx(2 * 0.5 * 1 / 1.5, abs=1e-4)
    assert contains("it retained 98.3% of capacity", ["98.3%"]) == 1.0
    assert contains("it retained 98.35% of capacity", ["98.3%"]) == 0.0
    assert normalize("10,169 responders") == "10169 responders"


def test_answer_scores_refusals():
    assert answer_scores("x", True, "UNANSWERABLE", [], answerable=False) == {"refusal_correct": 0.0}
    s = answer_scores("no answer found", False, "42", [], answerable=True)
    assert s["refusal_correct"] == 0.0 and s["em"] == 0.0


def test_short_answer_is_scored_and_the_reply_checked_for_containment():
    s = answer_scores("12 kWh", True, "12 kWh", [], answerable=True, reply="12 kWh — The pack stores 12 kWh. [d p.3]")
    assert (s["em"], s["f1"], s["contains"]) == (1.0, 1.0, 1.0)
