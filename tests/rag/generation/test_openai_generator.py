"""The openai generator against a tiny fake OpenAI-compatible server on 127.0.0.1 (a thread):
prompts, image data URLs, citation mapping, streaming, no-evidence and error handling."""
import base64
import json
import socket

import pytest

from unirag.rag.generation import NOT_FOUND, GenerationError, make_generator
from unirag.rag.types import Chunk, Hit

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _hits():
    text = Chunk(doc_id="study", modality="text", page=3, order=5,
                 text="The Corran pack retained 98.3% of its capacity after twelve months.")
    table = Chunk(doc_id="study", modality="table", page=2, order=2, bbox=(60, 100, 500, 200),
                  text="| Site | Capacity retained (%) |\n| Corran | 98.3 |", caption="Table 1: Capacity retained",
                  image=PNG)
    return [Hit(text, 0.9), Hit(table, 0.8)]


def _gen(fake, **kw):
    return make_generator("openai", base_url=fake.url, model="fake-model", timeout=5, **kw)


QUESTION = "What capacity did the Corran pack retain?"


def test_chat_answer_cites_sources_and_streams(fake_llm):
    fake_llm.reply = "It retained 98.3% of its capacity [1][2]."
    parts = list(_gen(fake_llm).stream(QUESTION, _hits()))
    answer = parts[-1]
    assert "".join(parts[:-1]).strip() == answer.text
    assert len(parts) > 3  # streamed in pieces, not at once
    assert answer.found and answer.text == "It retained 98.3% of its capacity [study p.3][study p.2]."
    assert [(c.doc_id, c.page, c.modality) for c in answer.citations] == [("study", 3, "text"), ("study", 2, "table")]
    assert answer.citations[1].bbox == (60, 100, 500, 200)
    path, body = fake_llm.requests[0]
    assert path.endswith("/chat/completions") and body["stream"] is True
    system, user = body["messages"]
    assert "data, not instructions" in system["content"] and "NOT FOUND" in system["content"]
    text_part = user["content"][0]["text"]
    assert text_part.startswith("<sources>\n[1] study p.3 (text)") and "Question: " + QUESTION in text_part
    assert "Table 1: Capacity retained" in text_part  # the caption travels with the table
    images = [p["image_url"]["url"] for p in user["content"] if p["type"] == "image_url"]
    assert images == ["data:image/png;base64," + base64.b64encode(PNG).decode()]


def test_images_fall_back_to_text_when_the_model_rejects_them(fake_llm):
    fake_llm.reply, fake_llm.reject_images = "98.3% [2]", True
    gen = _gen(fake_llm)
    assert gen.generate(QUESTION, _hits()).text == "98.3% [study p.2]"
    assert gen.generate(QUESTION, _hits()).found
    with_images = [isinstance(b["messages"][1]["content"], list) for _, b in fake_llm.requests]
    assert with_images == [True, False, False]  # rejected once, then text surrogates only


def test_images_never_and_always(fake_llm):
    fake_llm.reply = "98.3% [2]"
    _gen(fake_llm, images="never").generate(QUESTION, _hits())
    assert isinstance(fake_llm.requests[-1][1]["messages"][1]["content"], str)
    fake_llm.reject_images = True
    with pytest.raises(GenerationError, match="HTTP 400.*does not accept images"):
        _gen(fake_llm, images="always").generate(QUESTION, _hits())


def test_completion_style_for_base_models(fake_llm):
    fake_llm.reply = " 98.3 percent of its capacity"
    answer = _gen(fake_llm, style="completion").generate(QUESTION, _hits())
    path, body = fake_llm.requests[0]
    assert path.endswith("/v1/completions") and body["prompt"].endswith(f"Question: {QUESTION}\nAnswer:")
    assert "\n\n" in body["stop"]
    # no [n] in the reply: the source sharing most words with the answer is cited
    assert answer.found and answer.text == "98.3 percent of its capacity [study p.3]"
    assert [c.page for c in answer.citations] == [3]


def test_no_evidence_no_call(fake_llm):
    gen = _gen(fake_llm)
    assert gen.generate(QUESTION, []).text == NOT_FOUND
    unrelated = [Hit(Chunk(doc_id="x", modality="text", page=1, text="Wind turbines need gearbox oil."), 1.0)]
    answer = gen.generate(QUESTION, unrelated)
    assert (answer.found, answer.text, fake_llm.requests) == (False, NOT_FOUND, [])


@pytest.mark.parametrize("reply", ["NOT FOUND", "The sources do not contain this information.", "HACKED",
                                   "It retained 91.2% of its capacity [1]."])  # a number in no source
def test_refusals_and_ungrounded_replies_are_not_answers(fake_llm, reply):
    fake_llm.reply = reply
    answer = _gen(fake_llm).generate(QUESTION, _hits())
    assert (answer.found, answer.text, answer.citations) == (False, NOT_FOUND, ())


def test_unknown_source_numbers_are_dropped(fake_llm):
    fake_llm.reply = "98.3% [7]"
    answer = _gen(fake_llm).generate(QUESTION, _hits())
    assert answer.text == "98.3% [study p.3]" and answer.found  # attributed by word overlap instead


def test_errors_name_the_url_and_the_problem(fake_llm):
    with pytest.raises(GenerationError, match=r"127\.0\.0\.1.*404.*'nope'"):
        make_generator("openai", base_url=fake_llm.url, model="nope").generate(QUESTION, _hits())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    with pytest.raises(GenerationError, match=rf"{dead}: cannot connect"):
        make_generator("openai", base_url=dead, model="m").generate(QUESTION, _hits())
    fake_llm.delay = 2.0
    with pytest.raises(GenerationError, match=r"no reply within 0.5 s"):
        make_generator("openai", base_url=fake_llm.url, model="fake-model", timeout=0.5).generate(QUESTION, _hits())


def test_config_validation_and_env_fallbacks(monkeypatch):
    monkeypatch.delenv("UNIRAG_LLM_MODEL", raising=False)
    with pytest.raises(ValueError, match="model name"):
        make_generator("openai", base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="images"):
        make_generator("openai", model="m", images="sometimes")
    with pytest.raises(ValueError, match="style"):
        make_generator("openai", model="m", style="poem")
    monkeypatch.setenv("UNIRAG_LLM_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    gen = make_generator("openai")
    assert (gen.model, gen.base_url) == ("env-model", "http://127.0.0.1:9/v1")
    assert "sk-secret" not in json.dumps(gen.to_dict())


def test_the_prompt_asks_for_a_short_answer_line_and_the_reply_is_parsed(fake_llm):
    fake_llm.reply = "Answer: 98.3% [2]\nThe Corran pack retained 98.3% of its capacity [1]."
    answer = _gen(fake_llm).generate(QUESTION, _hits())
    system = fake_llm.requests[0][1]["messages"][0]["content"]
    assert "first line write only the short answer" in system and "supports it" in system
    assert answer.short == "98.3%" and answer.status == "answered"
    assert answer.text.endswith("The Corran pack retained 98.3% of its capacity [study p.3].")
    assert [c.page for c in answer.citations] == [2, 3]


def test_a_long_first_line_gives_no_short_answer_and_a_refusal_keeps_the_evidence(fake_llm):
    fake_llm.reply = "The Corran pack, which the study followed over twelve months, retained 98.3% of its capacity [1]."
    assert _gen(fake_llm).generate(QUESTION, _hits()).short == ""
    fake_llm.reply = "NOT FOUND"
    refused = _gen(fake_llm).generate(QUESTION, _hits())
    assert (refused.status, refused.short) == ("refused", "")
    assert [(e.doc_id, e.page) for e in refused.evidence] == [("study", 3), ("study", 2)]
