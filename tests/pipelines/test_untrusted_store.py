"""A store is data: a store folder or a shared Chroma server that names a component by dotted
path (the recorded encoder in the collection's metadata) must never make unirag import or run it,
whatever the entry point (query, search, ingest, chat) and even with --allow-imports."""
import io
import json
import shutil

import pytest

from unirag.parsers.samples import make_sample_docs
from unirag.pipelines.cli import main
from unirag.rag.store import ChromaStore

PLANTS = {
    "popen": lambda marker: {"name": "subprocess.Popen", "args": ["sh", "-c", f"touch {marker}"]},
    "os.system": lambda marker: {"name": "os.system", "command": f"touch {marker}"},
    "eval": lambda marker: {"name": "builtins.eval", "source": f"open({str(marker)!r}, 'w')"},
    "in a composite": lambda marker: {"name": "composite", "parts": [
        {"encoder": {"name": "subprocess.Popen", "args": ["sh", "-c", f"touch {marker}"]}}]},
}
ENTRY_POINTS = {
    "query": ["query", "What does Table 1 report?"],
    "query --allow-imports": ["query", "What does Table 1 report?", "--allow-imports"],
    "ingest": ["ingest", "{docs}", "-q"],
    "chat --cli": ["chat", "--cli"],
    "chat": ["chat"],
    "ls": ["ls"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("untrusted")
    docs = root / "docs"
    make_sample_docs(docs)
    assert main(["ingest", str(docs), "--db", str(root / "db"), "--encoder", "hash", "-q"]) == 0
    return root


def plant(db, config) -> None:
    ChromaStore(path=db)._open().modify(metadata={"unirag_encoder": json.dumps(config)})


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("planted", sorted(PLANTS))
def test_planted_class_path_never_runs(built, tmp_path, monkeypatch, capsys, entry, planted):
    db, marker = tmp_path / "copy", tmp_path / "pwned"
    shutil.copytree(built / "db", db)
    plant(db, PLANTS[planted](marker))
    served = []
    monkeypatch.setattr("unirag.pipelines.chat.serve", lambda app, **kw: served.append(app))
    monkeypatch.setattr("sys.stdin", io.StringIO("What does Table 1 report?\n"))
    argv = [a.replace("{docs}", str(built / "docs")) for a in ENTRY_POINTS[entry]] + ["--db", str(db)]
    code = main(argv)
    err = capsys.readouterr().err
    assert not marker.exists()
    if entry == "ls":  # listing documents builds no component
        assert code == 0
        return
    assert code == 2 and not served
    assert f"store {db}: recorded encoder" in err and "not a registered encoder" in err


def test_planted_class_path_on_a_shared_server(built, chroma_server, tmp_path, capsys):
    marker = tmp_path / "pwned"
    url = chroma_server
    store = ChromaStore(path=tmp_path / "crops", url=url)
    store._open().modify(metadata={"unirag_encoder": json.dumps(PLANTS["popen"](marker))})
    code = main(["query", "What does Table 1 report?", "--chroma-url", url, "--db", str(tmp_path / "crops")])
    assert code == 2 and not marker.exists()
    assert "not a registered encoder" in capsys.readouterr().err


def test_a_config_needs_the_opt_in_to_import(built, tmp_path, capsys):
    marker = tmp_path / "pwned"
    config = tmp_path / "unirag.yaml"
    config.write_text(f"encoder: {{name: subprocess.Popen, args: [touch, {marker}]}}\n")
    assert main(["ingest", str(built / "docs"), "--config", str(config), "--db", str(tmp_path / "db"), "-q"]) == 2
    assert "dotted class path is imported only" in capsys.readouterr().err and not marker.exists()
    config.write_text("encoder: {name: composite, parts: [{encoder: {name: hash}}], allow_imports: true}\n")
    assert main(["ingest", str(built / "docs"), "--config", str(config), "--db", str(tmp_path / "db"), "-q"]) == 2
    assert "'allow_imports' is not a component option" in capsys.readouterr().err


def test_the_users_own_config_may_import_with_the_opt_in(built, tmp_path):
    enc = json.dumps({"name": "unirag.rag.encoders.hashing.HashEncoder", "dim": 64})
    db = tmp_path / "db"
    docs = built / "docs"
    assert main(["ingest", str(docs), "--db", str(db), "--encoder", enc, "-q"]) == 2
    assert main(["ingest", str(docs), "--db", str(db), "--encoder", enc, "--allow-imports", "-q"]) == 0
    assert main(["query", "What does Table 1 report?", "--db", str(db)]) == 0  # it records {"name": "hash"}
    # a planted dotted path in that store is refused even when the user opts in on the command line
    plant(db, {"name": "unirag.rag.encoders.hashing.HashEncoder", "dim": 64})
    assert main(["query", "What does Table 1 report?", "--db", str(db), "--allow-imports"]) == 2
