"""The fixed phrases of a reply follow the question's language: the refusal, the deferral to a
figure and the "no LLM was used" note, from the extractive answerer, the LLM generator (without a
server: no evidence means no call) and the terminal printout."""
import io

import pytest

from unirag.pipelines.console import print_answer
from unirag.rag.generation import NOT_FOUND, make_generator
from unirag.rag.generation.phrases import PHRASES, language, note, phrase
from unirag.rag.types import Chunk, Hit

TABLE = "| model | AIME |\n|---|---|\n| Qwen-7B | 55.5 |\n| Qwen-32B | 72.6 |"
FIGURE = "图 4：光谱响应曲线\nUVA UVB 300 350 400"


def hit(text, modality="text", page=1):
    return Hit(Chunk(doc_id="r1", modality=modality, page=page, text=text, bbox=(1, 2, 3, 4)), 0.9)


@pytest.mark.parametrize("text, lang", [
    ("What AIME score does Qwen-3B achieve?", "en"),
    ("Qwen-3B 的 AIME 分数是多少？", "zh"),  # model names and benchmarks in Latin letters, still Chinese
    ("问题二中，阻尼系数为常量时，使平均输出功率最大的阻尼系数取值是多少？", "zh"),
    ("What is the value in 图 3 of the report?", "en"),  # one Chinese word in an English question
    ("", "en"), ("12 kWh?", "en"),
])
def test_the_language_is_the_one_that_dominates_the_question(text, lang):
    assert language(text) == lang


def test_every_language_has_every_phrase_and_the_same_fields():
    keys = set(PHRASES["en"])
    for lang, table in PHRASES.items():
        assert set(table) == keys, lang
        for key, text in table.items():
            assert sorted(f for f in ("{figure}", "{doc}", "{page}", "{generator}") if f in text) == \
                sorted(f for f in ("{figure}", "{doc}", "{page}", "{generator}") if f in PHRASES["en"][key]), key
    with pytest.raises(KeyError, match="expected one of"):
        phrase("nope", "q")


def test_a_refusal_in_the_questions_language():
    gen = make_generator("extractive")
    hits = [hit(TABLE, "table", 14)]
    english = gen.generate("What AIME score does Qwen-3B achieve?", hits)
    chinese = gen.generate("Qwen-3B 的 AIME 分数是多少？", hits)
    assert (english.status, english.text) == ("refused", NOT_FOUND)
    assert (chinese.status, chinese.text) == ("refused", "文档中似乎没有这个问题的答案。")
    assert chinese.evidence[0].page == 14  # the evidence is there in either language
    assert gen.generate("Qwen-7B 的 AIME 分数是多少？", hits).short == "55.5"  # an answer is an answer


def test_a_deferral_to_the_figure_in_the_questions_language():
    gen = make_generator("extractive")
    fig = [hit(FIGURE, "figure", 5)]
    english = gen.generate("What colour is the UVA curve in Figure 4?", fig)
    chinese = gen.generate("图 4 中 UVA 曲线是什么颜色？", fig)
    assert english.status == chinese.status == "deferred"
    assert english.text.startswith("The answer is in 图 4, r1 p.5 (shown); reading it needs a vision model")
    assert chinese.text.startswith("答案在图 4中（r1 第 5 页，已显示）；读取它需要视觉模型")
    assert chinese.text.endswith("[r1 p.5]") and "--generator openai" in chinese.text


def test_the_llm_generator_refuses_without_evidence_in_the_questions_language():
    gen = make_generator("openai", base_url="http://127.0.0.1:9/v1", model="m")  # never contacted
    assert gen.generate("How much does the pack store?", []).text == NOT_FOUND
    assert gen.generate("电池组能储存多少电量？", []).text == "文档中似乎没有这个问题的答案。"


def test_the_notes_under_a_reply():
    assert note("How much?", "extractive", "answered") == \
        "Extractive answer from the retrieved evidence; no LLM was used."
    assert note("How much?", "openai", "deferred") == ("Answered by openai from the retrieved evidence. "
                                                      "The answer can only be read from the figure shown.")
    assert note("储存多少电量？", "extractive", "refused") == \
        "从检索到的证据中抽取的答案；未使用 LLM。文档似乎没有回答这个问题；下面列出了最相关的结果。"


def test_the_terminal_printout_in_the_questions_language():
    gen = make_generator("extractive")
    out = io.StringIO()
    print_answer(gen.generate("Qwen-3B 的 AIME 分数是多少？", [hit(TABLE, "table", 14)]), out=out)
    text = out.getvalue()
    assert "A: 文档中似乎没有这个问题的答案。" in text
    assert "(检索到的证据没有回答这个问题；找到的内容如下：)" in text and "(从检索到的证据中抽取的答案；未使用 LLM)" in text
    assert "no LLM was used" not in text and "does not answer it" not in text
