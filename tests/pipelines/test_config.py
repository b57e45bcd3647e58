"""One YAML config builds a pipeline; it round-trips; `unirag init` writes a usable default."""
import pytest
import yaml

from unirag.pipelines.cli import main
from unirag.pipelines.config import DEFAULT_CONFIG, dump_config, load_config
from unirag.pipelines.pipeline import DEFAULTS, Pipeline


def test_default_config_is_the_pipeline_default(tmp_path):
    cfg = yaml.safe_load(DEFAULT_CONFIG)
    for key in ("encoder", "parser", "retriever", "reranker", "generator"):
        assert cfg[key] == DEFAULTS[key], key
    assert Pipeline(db=tmp_path).to_dict() == Pipeline.from_dict({**cfg, "db": str(tmp_path)}).to_dict()


def test_yaml_round_trip(tmp_path):
    p = Pipeline(db=tmp_path / "db", encoder={"name": "hash", "dim": 64}, workers=1,
                 retriever={"weights": {"dense": 1.0, "bm25": 0.5}, "fusion": "rrf"})
    (tmp_path / "c.yaml").write_text(dump_config(p.to_dict()))
    again = Pipeline.from_config(tmp_path / "c.yaml")
    assert again.to_dict() == p.to_dict() and again.retriever.fusion == "rrf"


@pytest.mark.parametrize("text, problem", [
    ("encoder: {name: hash}\nenocder: {}\n", "unknown keys ['enocder']"),
    ("encoder: text\n", "expected `encoder` as a mapping with a `name`"),
    ("- a\n- b\n", "expected a mapping"),
    ("db: [unclosed\n", "not valid YAML"),
])
def test_bad_configs_name_the_file_and_the_problem(tmp_path, text, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as e:
        load_config(path)
    assert str(path) in str(e.value) and problem in str(e.value)


def test_unknown_backend_name_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="expected one of .*extractive"):
        Pipeline.from_dict({"db": str(tmp_path), "generator": {"name": "gpt-5-local"}})


def test_cli_init_then_use_the_config(tmp_path, capsys):
    cfg = tmp_path / "unirag.yaml"
    assert main(["init", str(cfg)]) == 0
    assert main(["init", str(cfg)]) == 2 and "exists" in capsys.readouterr().err
    cfg.write_text(cfg.read_text().replace("db: .unirag", f"db: {tmp_path / 'db'}"))
    (tmp_path / "notes.pdf").write_bytes(b"")  # a bad file: reported, the command still uses the config
    assert main(["ingest", str(tmp_path / "notes.pdf"), "--config", str(cfg), "-q"]) == 1
    assert main(["ls", "--config", str(cfg)]) == 0
    assert "0 document(s)" in capsys.readouterr().out and (tmp_path / "db").is_dir()
