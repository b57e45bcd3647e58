import pytest

from unirag.pipelines import cli
from unirag.parsers.samples import make_sample_docs


def test_reranker_flag_values():
    assert cli._reranker(None) == {} and cli._reranker("none") == {"reranker": None}
    assert cli._reranker("features") == {"reranker": {"name": "features"}}
    assert cli._reranker('{"name": "crossencoder", "model": "m"}') == {"reranker": {"name": "crossencoder", "model": "m"}}
    with pytest.raises(ValueError, match=r"--reranker: expected one of \['crossencoder', 'features', 'none'\]"):
        cli._reranker("nope")


def test_query_with_reranker(tmp_path, capsys):
    docs = make_sample_docs(tmp_path / "docs")[:1]
    db = str(tmp_path / "db")
    assert cli.main(["ingest", *map(str, docs), "--db", db, "--encoder", "hash", "-q"]) == 0
    assert cli.main(["query", "battery capacity", "--db", db, "--reranker", "features", "--json"]) == 0
    assert '"citations"' in capsys.readouterr().out
    assert cli.main(["query", "battery", "--db", db, "--reranker", "bogus"]) == 2
