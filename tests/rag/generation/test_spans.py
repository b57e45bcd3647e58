"""Span readers: reflowing wrapped lines, a table-of-contents page, a term's weight in a
formula, a fraction's denominator."""
from unirag.rag.generation.spans import denominator, reflow, toc_page, weight_of


def test_reflow_joins_wrapped_chinese_and_latin_prose():
    zh = ("针对题中所给的两种情况，我们调用 MATLAB 中的函数分别求解一元和二元函数的极值解，求得的结\n"
          "果为：阻尼系数为常量时，当取值为38706.7334N·s/m 时，平均输出功率最大。")
    assert reflow(zh) == [zh.replace("\n", "")]
    en = "We measured the compression factor of every data set in the bench-\nmark and report it below."
    assert reflow(en) == ["We measured the compression factor of every data set in the benchmark and report it below."]


def test_reflow_keeps_slide_items_capitalised_lines_and_contents_lines_apart():
    slide = "Ofinal = 0.4 ∗OResNext + 0.6 ∗Ofeature\n人脸平均质量∈[30,40)\nOfinal = 0.3 ∗OResNext"
    assert len(reflow(slide)) == 3
    items = "The first item of the list is long enough to look wrapped\nSecond item starts with a capital"
    assert len(reflow(items)) == 2
    toc = "2.3 DeepSeek-R1: Reinforcement Learning with Cold Start . . . . . . . 9\n3.1 DeepSeek-R1 Evaluation . . . 13"
    assert len(reflow(toc)) == 2


def test_toc_page_only_for_questions_asking_a_page():
    line = "3.1 DeepSeek-R1 Evaluation … 13"
    assert toc_page("On which page does the 'DeepSeek-R1 Evaluation' subsection start?", line) == "13"
    assert toc_page("第3.1节在哪一页？", line) == "13"
    assert toc_page("What does Section 3.1 evaluate?", line) == ""


def test_weight_of_the_term_the_question_names():
    span = "Ofinal = 0.4 ∗OResNext + 0.6 ∗Ofeature"
    assert weight_of("O_feature 的权重是多少？", span) == "0.6"
    assert weight_of("融合 ResNext 与特征模型时，O_feature 占的权重是多少？", span) == "0.6"
    assert weight_of("What weight does the OResNext output get?", span) == "0.4"
    assert weight_of("What is O_feature?", span) == ""


def test_denominator_of_latex_and_of_a_stacked_fraction():
    assert denominator("What is r_i divided by?", r"A_i = \frac{r_i - \mathrm{mean}(r)}{\mathrm{std}(r)}") == \
        r"\mathrm{std}(r)"
    assert denominator("分母是什么？", "Ai = ri−mean({r1, rG}) . (3) std({r1, rG})") == "std({r1, rG})"
    assert denominator("What is the numerator?", "Ai = ri−mean(r) . (3) std(r)") == ""
