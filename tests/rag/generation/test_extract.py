"""Typed extraction on small hand-made hits: table cells, derivations, numbers, formulas,
deferral to a figure, refusal with evidence."""
from unirag.rag.generation import NOT_FOUND, make_generator
from unirag.rag.generation.intent import intent
from unirag.rag.generation.tables import best_cell, best_pair
from unirag.rag.types import Answer, Chunk, Evidence, Hit

SPECS = ("Table 1: Basic characteristics\n"
         "| PARAMETER | TEST CONDITION | MIN. | TYP. | MAX. | UNIT |\n|---|---|---|---|---|---|\n"
         "| Supply voltage | | 1.7 | - | 3.6 | V |\n"
         "| Supply current | VDD = 1.8 V | - | 480 | - | µA |\n"
         "| Shutdown current | VDD = 1.8 V | - | 800 | - | nA |")
SITES = ("Table 3: Files per data set\n| Data set | Source | Files |\n|---|---|---|\n"
         "| ATM | Climate simulation | 11400 |\n| APS | X-ray instrument | 1518 |\n| Hurricane | Simulation | 48 |")


def hit(text, modality="text", page=1, doc="d", score=1.0, caption=""):
    return Hit(Chunk(doc_id=doc, modality=modality, page=page, text=text, bbox=(1, 2, 3, 4), caption=caption),
               score, ("dense", "bm25"), crop_path=f"/crops/{doc}-{page}.png" if modality != "text" else "")


def answer(question, hits):
    return make_generator("extractive").generate(question, hits)


def test_table_cell_where_row_and_column_meet_with_its_unit():
    assert best_cell(intent("What is the typical supply current at VDD = 1.8 V?"), SPECS).value == "480 µA"
    ans = answer("What is the typical supply current at VDD = 1.8 V?", [hit(SPECS, "table", 2)])
    assert (ans.short, ans.status) == ("480 µA", "answered")
    assert ans.text.startswith("480 µA — ") and "Supply current" in ans.text and ans.text.endswith("[d p.2]")


def test_the_unit_column_under_a_title_row_spanning_the_table():
    # datasheets print a title row over the header, and dashes where a MIN. or MAX. has no value
    md = ("| BASIC CHARACTERISTICS (Tamb = 25 °C) |  |  |  |  |  |\n|---|---|---|---|---|---|\n"
          "| PARAMETER | TEST CONDITION | MIN. | TYP. | MAX. | UNIT |\n"
          "| Supply current | VDD = 1.8 V | - | 480 | - | µA |\n| Shutdown current | VDD = 1.8 V | - | 800 | - | nA |")
    cell = best_cell(intent("What is the typical supply current at VDD = 1.8 V?"), md)
    assert cell.value == "480 µA" and cell.row.startswith("BASIC CHARACTERISTICS (Tamb = 25 °C) TYP.:")


def test_abbreviated_header_and_chinese_labels():
    lr = "| Params | Head | lr |\n|---|---|---|\n| 653M | 16 | 2.006 × 10−3 |\n| 1.1B | 20 | 1.617 × 10−3 |"
    assert best_cell(intent("What learning rate is used for the 1.1B model?"), lr).value == "1.617 × 10−3"
    zh = "| 时间(s) | 浮子位移(m) | 振子位移(m) |\n|---|---|---|\n| 20 | -0.5914 | -0.6350 |\n| 40 | 0.2849 | 0.2960 |"
    assert best_cell(intent("t = 40 s 时振子的位移是多少？"), zh).value == "0.2960"


def test_difference_of_two_cells_shows_its_operands():
    cell = best_pair(intent("How many more files does ATM have than APS?"), SITES)
    assert cell.value == "9882" and "11400 − 1518" in cell.row
    ans = answer("How many more files does the ATM data set have than APS?", [hit(SITES, "table", 7)])
    assert ans.short == "9882" and "11400 − 1518 = 9882" in ans.text


def test_number_with_unit_near_the_question_terms_in_text():
    text = "The pack was tested at 25 °C. It achieves a win-rate of 87.6% on AlpacaEval 2.0 and 92.3% on ArenaHard."
    ans = answer("What win-rate does it achieve on AlpacaEval 2.0?", [hit(text)])
    assert ans.short == "87.6%"


def test_enumeration_lookup_by_the_questions_own_number():
    text = "UV_IT integration time: (0 : 0 : 0) = 50 ms, (0 : 1 : 1) = 400 ms, (1 : 0 : 0) = 800 ms."
    assert answer("Which UV_IT setting selects a 400 ms integration time?", [hit(text)]).short == "(0 : 1 : 1)"


def test_formula_answers_with_the_equation_line():
    formula = "CF(F) = filesize(F_orig) / filesize(F_comp) (5)"
    ans = answer("How is the compression factor CF(F) defined in Eq. (5)?", [hit(formula, "formula", 3)])
    assert ans.short == "CF(F) = filesize(F_orig) / filesize(F_comp)" and ans.citations[0].modality == "formula"


def test_visual_question_is_deferred_to_the_figure_with_evidence():
    fig = hit("Figure 4: Normalized spectral response\nUVA UVB 300 350 400", "figure", 5, "veml")
    ans = answer("What colour is the UVA curve in Figure 4?", [fig, hit("The UVA band is 315-400 nm.")])
    assert ans.status == "deferred" and ans.found and ans.short == ""
    assert ans.text.startswith("The answer is in Figure 4, veml p.5 (shown)") and "--generator openai" in ans.text
    assert ans.citations[0].source == "/crops/veml-5.png"


def test_refusal_when_the_asked_identifier_is_absent_still_carries_evidence():
    table = "| model | AIME |\n|---|---|\n| Qwen-7B | 55.5 |\n| Qwen-32B | 72.6 |"
    hits = [hit(table, "table", 14, "r1", 0.9), hit("Distilled models are listed in Table 5.", page=13, doc="r1", score=0.5)]
    ans = answer("What AIME score does Qwen-3B achieve?", hits)
    assert (ans.status, ans.found, ans.text, ans.short) == ("refused", False, NOT_FOUND, "")
    assert [(e.doc_id, e.page, e.modality) for e in ans.evidence] == [("r1", 14, "table"), ("r1", 13, "text")]
    assert ans.evidence[0].score == 0.9 and ans.evidence[0].crop_path == "/crops/r1-14.png"
    assert answer("What AIME score does Qwen-7B achieve?", hits).short == "55.5"


def test_every_answer_carries_evidence_and_a_consistent_status():
    hits = [hit("The pack stores 12 kWh.", page=3)]
    assert answer("How much energy does the pack store?", hits).evidence == (Evidence.from_hit(hits[0]),)
    assert answer("anything", []).status == "refused"
    assert Answer("q", "x", found=False).status == "refused"
    assert not Answer("q", "x", status="refused").found


def test_a_table_the_question_names_answers_or_nothing_does():
    named = hit("TABLE III: Accuracy\n| dataset | SGC | SGC+Unifews |\n|---|---|---|\n| cora | 80.1 | 81.0 |\n"
                "| arxiv | 68.2 | 69.5 |", "table", 10, "unifews")
    other = hit("SGC+Unifews reaches 70.2 accuracy on the larger graphs.", page=11, doc="unifews")
    assert answer("In Table III, what accuracy does SGC+Unifews reach on arxiv?", [named, other]).short == "69.5"
    refused = answer("In Table III, what accuracy does SGC+Unifews reach on proteins?", [named, other])
    assert refused.status == "refused" and refused.evidence[0].modality == "table"


def test_mean_over_the_rows_the_question_names():
    scores = ("| Benchmark | GPT-4o | DeepSeek-R1 |\n|---|---|---|\n| CLUEWSC | 87.9 | 92.8 |\n"
              "| C-Eval | 76.0 | 91.8 |\n| C-SimpleQA | 58.7 | 63.7 |\n| MMLU | 87.2 | 90.8 |")
    ans = answer("What is DeepSeek-R1's average over the three benchmarks CLUEWSC, C-Eval and C-SimpleQA?",
                 [hit(scores, "table", 13)])
    assert ans.short == "82.8" and "(92.8 + 91.8 + 63.7) / 3 = 82.8" in ans.text


def test_a_question_asking_two_things_gets_both():
    t2 = hit("Table II: Theory\n| m | Bias | Standard error % |\n|---|---|---|\n| 64 | 1.0073 | 9.7 |\n| 256 | 1.0018 | 4.8 |",
             "table", 9, "fm")
    t4 = hit("Table IV: Simulations\n| m | Bias | Standard error % |\n|---|---|---|\n| 64 | 1.0102 | 9.4 |\n"
             "| 256 | 1.0012 | 4.65 |", "table", 12, "fm")
    ans = answer("For m = 256, what standard error does Table II give, and what standard error does Table IV report?",
                 [t2, t4])
    assert ans.short == "4.8 and 4.65" and [c.page for c in ans.citations][:2] == [9, 12]


def test_asking_how_many_watts_needs_a_value_in_watts():
    text = hit("The board runs the network at 50 MHz and classifies 4 images per second.", page=17)
    assert answer("How many watts does the board draw when it runs the network?", [text]).status == "refused"
    watts = hit("The board draws 2.5 W when it runs the network.", page=18)
    assert answer("How many watts does the board draw when it runs the network?", [watts]).short == "2.5 W"


def test_coefficient_from_the_formula_and_an_object_from_the_sentence():
    formula = Hit(Chunk(doc_id="d", modality="formula", page=1, text="Ceff = Cnom × (1 - 0.012 · (T - 25)) (1)",
                        context="The capacity is derated for enclosure temperature with the linear model below."), 1.0)
    assert answer("What temperature coefficient is used in the capacity derating equation?", [formula]).short == "0.012"
    text = hit("We recommend fitting ventilation louvres to the Brookfield enclosure.", page=3)
    assert answer("What does the study recommend fitting to the Brookfield enclosure?", [text]).short == \
        "ventilation louvres"


def test_a_month_read_off_a_chart_axis_is_deferred_to_the_figure():
    fig = hit("Figure 2: Average evening state of charge by month.\nState of charge (%) 80 70 60 Jan Feb Mar Apr May Jun",
              "figure", 3)
    ans = answer("Which month had the lowest average evening state of charge?", [fig])
    assert ans.status == "deferred" and ans.text.startswith("The answer is in Figure 2, d p.3 (shown)")


def test_a_month_question_answers_the_month_a_label_names_not_the_value_beside_it():
    page = hit("Packs entered the night with less stored energy in winter.\na December low: 49%", "page", 3)
    ans = answer("Which month had the lowest average evening state of charge?", [page])
    assert ans.short == "December"


def test_a_heading_number_and_a_spelled_out_duration_are_not_values():
    text = hit("3.1 Battery Temperatures\nPeak cell temperatures, cycle counts and the capacity retained after "
               "twelve months are listed in Table 1.", page=2)
    assert answer("What was the peak temperature?", [text]).short not in ("3.1", "twelve")
    assert answer("How many sites were studied?", [hit("Packs at three sites were logged.")]).short == "three"


def test_a_value_glued_to_chinese_text_and_named_by_what_is_asked():
    text = ("针对问题二，我们将系统前 100s 内输出的平均功率作为指标。求得的结果为：阻尼系数为常量时，"
            "当取值为38706.7334N·s/m 时，平均输出功率最大，为292.4086W；")
    ans = answer("问题二中，阻尼系数为常量时，使平均输出功率最大的阻尼系数取值是多少？", [hit(text)])
    assert ans.short == "38706.7334N·s/m"


def test_a_sentence_about_another_numbered_item_is_not_read():
    text = "针对问题四，阻尼系数为 56160.7762 N·s/m 时功率最大。针对问题二，阻尼系数为 38706.7334 N·s/m 时功率最大。"
    assert answer("问题二中使功率最大的阻尼系数是多少？", [hit(text)]).short == "38706.7334 N·s/m"


def test_a_row_label_on_one_line_and_its_values_on_the_next():
    slide = ("视频情况 融合原则\n人脸平均质量∈[0,20)\nOfinal = 0.5 ∗OResNext + 0.5 ∗Ofeature\n"
             "人脸平均质量∈[20,30)\nOfinal = 0.4 ∗OResNext + 0.6 ∗Ofeature")
    ans = answer("人脸平均质量属于 [20,30) 时，O_feature 的权重是多少？", [hit(slide, "page", 12)])
    assert ans.short == "0.6" and "[20,30)" in ans.text


def test_the_whole_page_is_read_when_its_text_block_lacks_the_value():
    block = hit("人脸平均质量∈[0,20)\n人脸平均质量∈[20,30)", "text", 12)
    page = hit("人脸平均质量∈[0,20)\nOfinal = 0.5 ∗OResNext + 0.5 ∗Ofeature\n"
               "人脸平均质量∈[20,30)\nOfinal = 0.4 ∗OResNext + 0.6 ∗Ofeature", "page", 12)
    ans = answer("人脸平均质量属于 [20,30) 时，O_feature 的权重是多少？", [block, page])
    assert ans.short == "0.6" and ans.citations[0].page == 12


def test_a_quoted_title_picks_its_contents_line():
    toc = ("Contents\n2.3 DeepSeek-R1: Reinforcement Learning with Cold Start . . . . . . . . 9\n"
           "3.1 DeepSeek-R1 Evaluation . . . . . . . . 13")
    ans = answer("On which page does the 'DeepSeek-R1 Evaluation' subsection start?", [hit(toc, page=2)])
    assert ans.short == "13"


def test_which_element_names_the_figure_or_table():
    table = hit("Table III DESCRIPTION OF DATA SETS\n| | Source |\n|---|---|\n| ATM | Climate |", "table", 7,
                caption="Table III DESCRIPTION OF DATA SETS")
    page = hit("Table III DESCRIPTION OF DATA SETS\nV. EVALUATION\nA. Compression Factor\nWe first evaluate", "page", 7)
    ans = answer("On PDF page 7, which element sits directly above subsection 'Compression Factor'?", [table, page])
    assert (ans.short, ans.status) == ("Table III", "answered")


def test_list_numbers_and_equation_numbers_are_not_values():
    text = "问题二：(1)直线阻尼器的阻尼系数恒定，在区间内取值为 500 N·s/m；"
    assert answer("问题二中直线阻尼器的阻尼系数取值是多少？", [hit(text)]).short == "500 N·s/m"


def test_denominator_question_answers_with_the_denominator():
    formula = Hit(Chunk(doc_id="d", modality="formula", page=5, text="𝐴𝑖 = 𝑟𝑖−m𝑒𝑎𝑛({𝑟1, 𝑟𝐺}) . (3) s𝑡𝑑({𝑟1, 𝑟𝐺})",
                        context="GRPO computes the advantage of each output from the rewards of its group:"), 1.0)
    ans = answer("In the GRPO advantage formula, the reward r_i minus the group mean is divided by what?", [formula])
    assert ans.short == "std({r1, rG})"
