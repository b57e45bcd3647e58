"""The fixed phrases of a reply (the refusal, the deferral to a figure, the notes on how it was
made), in one table keyed by language; a reply is in the language of its question.

>>> language("What is the capacity?"), language("Qwen-7B 的 AIME 分数是多少？")
('en', 'zh')
>>> phrase("not_found", "表 2 中的功耗是多少？")
'文档中似乎没有这个问题的答案。'
>>> note("What is the capacity?", "extractive", "refused")
'Extractive answer from the retrieved evidence; no LLM was used. The documents do not seem to answer it; the best hits are listed.'
"""
from __future__ import annotations

import re

DEFAULT_LANGUAGE = "en"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "not_found": "The documents do not appear to contain an answer to this question.",
        "deferral": ("The answer is in {figure}, {doc} p.{page} (shown); reading it needs a vision model: "
                     "run with --generator openai. [{doc} p.{page}]"),
        "the_figure": "the figure",
        "not_answered": "the retrieved evidence does not answer it; what was found:",
        "no_llm": "extractive answer from the retrieved evidence; no LLM was used",
        "by_llm": "answered by {generator} from the retrieved evidence",
        "refused": "the documents do not seem to answer it; the best hits are listed",
        "deferred": "the answer can only be read from the figure shown",
        "stop": ". ",
    },
    "zh": {
        "not_found": "文档中似乎没有这个问题的答案。",
        "deferral": "答案在{figure}中（{doc} 第 {page} 页，已显示）；读取它需要视觉模型：请使用 --generator openai 运行。"
                    "[{doc} p.{page}]",
        "the_figure": "该图",
        "not_answered": "检索到的证据没有回答这个问题；找到的内容如下：",
        "no_llm": "从检索到的证据中抽取的答案；未使用 LLM",
        "by_llm": "由 {generator} 根据检索到的证据回答",
        "refused": "文档似乎没有回答这个问题；下面列出了最相关的结果",
        "deferred": "答案只能从所示的图中读出",
        "stop": "。",
    },
}


def language(text: str) -> str:
    """"zh" when Han characters dominate `text` (they outnumber its Latin words, so that model
    names and units inside a Chinese question do not count against it), else "en"."""
    han = len(_HAN.findall(text))
    return "zh" if han and han > len(_LATIN_WORD.findall(text)) else DEFAULT_LANGUAGE


def phrase(key: str, question: str, **fields: object) -> str:
    """The phrase `key` in `question`'s language, its `{fields}` filled in."""
    table = PHRASES[language(question)]
    if key not in table:
        raise KeyError(f"phrase: expected one of {sorted(table)}, got {key!r}")
    return table[key].format(**fields)


def note(question: str, generator: str, status: str) -> str:
    """The line under a reply: how it was made, and for a refusal or a deferral what that means."""
    parts = [phrase("no_llm", question) if generator == "extractive"
             else phrase("by_llm", question, generator=generator)]
    if status in ("refused", "deferred"):
        parts.append(phrase(status, question))
    stop = phrase("stop", question)
    return stop.join(p[:1].upper() + p[1:] for p in parts) + stop.rstrip()
