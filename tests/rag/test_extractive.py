from unirag.rag.generation import NOT_FOUND, make_generator
from unirag.rag.types import Chunk, Hit


def hit(text, modality="text", page=1, doc="d"):
    return Hit(Chunk(doc_id=doc, modality=modality, page=page, text=text, bbox=(1, 2, 3, 4)), 1.0)


def test_picks_the_table_row_and_cites_it():
    hits = [hit("Intro prose about batteries."),
            hit("Table 1: Capacity\n| site | kWh |\n|---|---|\n| Oslo | 12.5 |\n| Rome | 9.1 |", "table", 2)]
    ans = make_generator("extractive").generate("What capacity does the Rome site have?", hits)
    assert ans.found and ans.short == "9.1" and "Rome | 9.1" in ans.text and ans.text.endswith("[d p.2]")
    assert ans.citations[0].modality == "table" and ans.citations[0].bbox == (1, 2, 3, 4)
    assert [c.page for c in ans.citations] == [2, 1]


def test_no_evidence_no_answer():
    gen = make_generator("extractive")
    refusal = gen.generate("What is the capital of Peru?", [hit("Battery cells age.")])
    assert refusal.text == NOT_FOUND and refusal.status == "refused" and refusal.evidence[0].page == 1
    assert not gen.generate("anything", []).found


def test_a_figure_answers_with_its_caption_and_the_values_inside_it():
    hits = [hit("Figure 1: Mean daily energy delivered per site.\n41.7 kWh 36.2 kWh 28.9 kWh\nAldmere Brookfield Corran",
                "figure", 2),
            hit("Energy per site is shown in Figure 1.")]
    ans = make_generator("extractive").generate("How much energy does Brookfield deliver per day?", hits)
    assert ans.found and ans.citations[0].modality == "figure" and ans.short == "36.2 kWh"  # aligned with Brookfield
    assert ans.text == (f"{ans.short} — Figure 1: Mean daily energy delivered per site. — 41.7 kWh 36.2 kWh 28.9 kWh "
                        "Aldmere Brookfield Corran [d p.2]")


def test_a_quantity_given_only_at_other_conditions_is_not_answered():
    hits = [hit("Table 1: Basic characteristics\n| parameter | condition | typ. |\n|---|---|---|\n"
                "| UVA responsivity | IT = 50 ms | 0.93 |\n| supply current | VDD = 1.8 V | 480 |", "table", 2),
            hit("UV_IT 6 : 4 (0 : 0 : 0) = 50 ms, (0 : 0 : 1) = 100 ms, (0 : 1 : 1) = 400 ms, (1 : 0 : 0) = 800 ms.",
                page=7)]
    gen = make_generator("extractive")
    refusal = gen.generate("What is the typical UVA responsivity at an integration time of 800 ms?", hits)
    assert refusal.status == "refused" and {e.page for e in refusal.evidence} == {2, 7}
    assert gen.generate("What is the typical UVA responsivity at 50 ms?", hits).short == "0.93"


def test_a_question_asking_two_things_looks_for_each_in_more_hits():
    filler = [hit(f"Kimi Linear scores {60 + i}.{i} on MMLU in the 1.4T-token run.", page=i) for i in range(2, 7)]
    hits = filler + [hit("DeepSeek-R1 achieves 71.5% on GPQA Diamond.", page=9, doc="r1")]
    ans = make_generator("extractive").generate(
        "What GPQA Diamond score does DeepSeek-R1 achieve, and what MMLU score does Kimi Linear get in the 1.4T-token run?",
        hits)
    assert ans.status == "answered"  # DeepSeek-R1, named by the first part, is written only in the sixth hit
