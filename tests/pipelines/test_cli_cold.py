"""A cold `unirag query` / `unirag chat --cli` on the default encoder: no torch, transformers or
sentence-transformers in the process (the query runs on ONNX Runtime), no bm25s or numba (the
keyword index written at ingest is loaded, not rebuilt), and a clean exit."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unirag.parsers.samples import make_sample_docs
from unirag.pipelines.pipeline import Pipeline

HEAVY = ("torch", "transformers", "sentence_transformers", "bm25s", "numba")
ROOT = Path(__file__).resolve().parents[2]
RUNS = 3  # consecutive cold queries checked for a clean exit
# Runs main(argv) from the CLI module, then prints the heavy packages the process imported.
PROBE = ("import json, sys\nfrom unirag.pipelines.cli import main\ncode = main(sys.argv[1:])\n"
         f"print(json.dumps(sorted({{m for m in sys.modules if m.split('.')[0] in {HEAVY!r}}})))\n"
         "sys.exit(code)")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A store of the sample documents on the default encoder (MiniLM text + pixels)."""
    folder = tmp_path_factory.mktemp("cold")
    with Pipeline(db=folder / "db") as pipeline:
        assert pipeline.ingest(make_sample_docs(folder / "docs"), progress=False).ok
    return str(folder / "db")


def _run(args, stdin=""):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "OMP_THREAD_LIMIT": "1"}
    return subprocess.run(args, input=stdin, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


@pytest.mark.parametrize("argv,stdin", [(["query", "What is the rainfall in Oslo?"], ""),
                                        (["query", "rainfall table", "--json", "-k", "3"], ""),
                                        (["chat", "--cli"], "How much rainfall does Oslo get?\n")])
def test_query_and_chat_do_not_import_torch(db, argv, stdin):
    done = _run([sys.executable, "-c", PROBE, *argv, "--db", db], stdin)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [], "heavy packages imported"


def test_consecutive_cold_queries_exit_cleanly(db):
    for i in range(RUNS):
        done = _run([sys.executable, "-m", "unirag.pipelines.cli", "query", f"solar output {i}", "--db", db])
        assert done.returncode == 0 and "terminate called" not in done.stderr, done.stderr
        assert "Q: solar output" in done.stdout
