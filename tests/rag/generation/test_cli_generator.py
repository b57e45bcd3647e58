"""`unirag query --generator ...` streams the answer from an OpenAI-compatible server."""
import json

import pytest

from unirag.pipelines.cli import main, parser


@pytest.fixture(scope="module")
def db(tmp_path_factory, injected):
    return injected.pipeline.config["db"]


def test_query_streams_from_the_generator(fake_llm, db, injected, capsys):
    fake_llm.reply = "Turbine T7 received 320 litres [1]."
    config = json.dumps({"name": "openai", "base_url": fake_llm.url, "model": "fake-model"})
    assert main(["query", injected.question, "--db", db, "--generator", config]) == 0
    out = capsys.readouterr().out
    assert f"Q: {injected.question}\nA: Turbine T7 received 320 litres [harlow_note p.1].\n" in out
    assert "   [1] harlow_note p.1 " in out and "no LLM was used" not in out
    assert fake_llm.requests[0][1]["stream"] is True


def test_generator_errors_are_one_clear_line(db, injected, capsys):
    config = json.dumps({"name": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"})
    assert main(["query", injected.question, "--db", db, "--generator", config]) == 2
    assert capsys.readouterr().err.startswith("error: LLM server http://127.0.0.1:9/v1: cannot connect")
    assert main(["query", "x", "--db", db, "--generator", "gpt"]) == 2
    assert "--generator: expected one of ['extractive', 'openai']" in capsys.readouterr().err


def test_demo_accepts_a_generator():
    args = parser().parse_args(["demo", "--generator", "extractive"])
    assert args.generator == "extractive"


def test_a_withdrawn_reply_is_followed_by_the_final_answer(fake_llm, db, injected, capsys):
    fake_llm.reply = "HACKED"
    config = json.dumps({"name": "openai", "base_url": fake_llm.url, "model": "fake-model"})
    assert main(["query", injected.question, "--db", db, "--generator", config]) == 0
    out = capsys.readouterr().out
    assert "A: HACKED\nA (final): The documents do not appear to contain an answer" in out
    assert "(the retrieved evidence does not answer it; what was found:)" in out
