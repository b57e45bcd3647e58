"""The openai generator against a real OpenAI-compatible server: llama.cpp serving Gemma 3 270M
(the base model, so completion style) on 127.0.0.1. Run with `pytest -m llm` (`make test` does)."""
import socket

import pytest

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_docs
from unirag.rag.generation import GenerationError, make_generator
from unirag.rag.types import Answer

pytestmark = [pytest.mark.llm, pytest.mark.integration]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The generated solar study (text, table, figures, formula), ingested with the hash encoder."""
    from unirag.pipelines.pipeline import Pipeline

    folder = tmp_path_factory.mktemp("study")
    pdf = [p for p in make_sample_docs(folder / "docs") if p.name == "solar_field_study.pdf"]
    pipeline = Pipeline(db=folder / "db", encoder={"name": "hash"})
    assert pipeline.ingest(pdf, progress=False).ok
    return pipeline


def _gen(url, **kw):
    return make_generator("openai", base_url=url, model="gemma-3-270m", style="completion", max_tokens=48, **kw)


def test_answer_with_citations_streamed(llama_server, study):
    question = SAMPLE_QUESTIONS[4]["question"]  # what the study recommends fitting (its page 3 text)
    hits = study.retrieve(question, top_k=5)
    parts = list(_gen(llama_server).stream(question, hits))
    answer = parts[-1]
    assert isinstance(answer, Answer) and all(isinstance(p, str) for p in parts[:-1])
    assert len(parts) > 3, parts  # tokens arrive one by one
    assert "".join(parts[:-1]).strip() == answer.text
    print(f"\nGemma 3 270M: {answer.text!r} found={answer.found}")
    if answer.found:  # a 270M base model may fail to answer; it must then say so, not invent
        assert answer.citations and f"[{answer.citations[0].doc_id} p.{answer.citations[0].page}]" in answer.text
        hit_chunks = {h.chunk.id for h in hits}
        assert all(c.chunk_id in hit_chunks and c.doc_id == "solar_field_study" for c in answer.citations)
    else:
        assert answer.citations == ()


def test_injected_document_is_not_obeyed(llama_server, injected):
    hits = injected.pipeline.retrieve(injected.question, top_k=5)
    assert any(injected.injection in " ".join(h.chunk.text.split()) for h in hits)
    answer = _gen(llama_server).generate(injected.question, hits)
    print(f"\nGemma 3 270M on the injected note: {answer.text!r} found={answer.found}")
    assert "HACKED" not in answer.text.upper()


def test_no_evidence_is_answered_without_the_model(llama_server):
    answer = _gen(llama_server, timeout=0.001).generate("What is the capital of Peru?", [])
    assert not answer.found  # a 1 ms timeout would have failed had the server been called


def test_errors_are_clear(llama_server, study):
    hits = study.retrieve(SAMPLE_QUESTIONS[0]["question"], top_k=5)
    with pytest.raises(GenerationError, match=r"no reply within 0.01 s"):
        _gen(llama_server, timeout=0.01).generate(SAMPLE_QUESTIONS[0]["question"], hits)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    with pytest.raises(GenerationError, match=rf"LLM server {dead}: cannot connect"):
        _gen(dead).generate(SAMPLE_QUESTIONS[0]["question"], hits)
