"""`unirag chat --cli`: questions piped on stdin, answers and citations on stdout."""
import io
import sys

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_pdf
from unirag.pipelines.chat import TerminalChat
from unirag.pipelines.cli import main
from unirag.pipelines.pipeline import Pipeline


def test_cli_chat_reads_stdin_until_quit(tmp_path, monkeypatch, capsys):
    pdf = make_sample_pdf(tmp_path / "solar_field_study.pdf")
    db = str(tmp_path / "db")
    assert main(["ingest", str(pdf), "--db", db, "--encoder", "hash", "-q"]) == 0
    capsys.readouterr()
    questions = [SAMPLE_QUESTIONS[0]["question"], "", SAMPLE_QUESTIONS[4]["question"], "quit", "never asked"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    assert main(["chat", "--cli", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.count("A: ") == 2 and "98.3" in out and "ventilation louvres" in out
    assert "[1] solar_field_study p.2 table region" in out and "[1] solar_field_study p.3 text" in out
    assert out.count("no LLM was used") == 2


def test_terminal_chat_stops_at_eof_and_survives_errors(tmp_path):
    class Broken(Pipeline):
        def retrieve(self, query, top_k=10):
            raise RuntimeError("store unavailable")

    out = io.StringIO()
    assert TerminalChat(Broken(db=tmp_path / "db", encoder={"name": "hash"})).run(io.StringIO("one\ntwo"), out) == 2
    assert out.getvalue().count("error: RuntimeError: store unavailable") == 2


def test_generator_flag_takes_a_name_or_a_json_config(tmp_path, monkeypatch, capsys):
    pdf = make_sample_pdf(tmp_path / "solar_field_study.pdf")
    db = str(tmp_path / "db")
    main(["ingest", str(pdf), "--db", db, "--encoder", "hash", "-q"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(SAMPLE_QUESTIONS[0]["question"] + "\n"))
    assert main(["chat", "--cli", "--db", db, "--generator", '{"name": "extractive", "max_citations": 1}']) == 0
    out = capsys.readouterr().out
    assert "[1] solar_field_study p.2" in out and "[2]" not in out
    assert main(["chat", "--cli", "--db", db, "--generator", "no-such-generator"]) == 2
    assert "Unknown generator 'no-such-generator'" in capsys.readouterr().err
