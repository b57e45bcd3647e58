"""`Pipeline.ingest` from a plain script without a `__main__` guard, a guarded script and an
interactive session: every file is ingested; only the plain script parses in its own process,
and says so in one warning."""
import os
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]

INGEST = """from unirag import Pipeline
report = Pipeline(db={db!r}, encoder={{"name": "hash"}}, reranker=None, workers=2).ingest({docs!r}, progress=False)
print("added", len(report.added), "failed", report.failed)
print("warnings", report.warnings)
"""
GUARDED = "if __name__ == '__main__':\n" + "".join(f"    {line}\n" for line in INGEST.splitlines())


@pytest.mark.parametrize("how", ["plain script", "guarded script", "interactive session"])
def test_ingest_works_from_scripts_and_sessions(three_docs, tmp_path, how):
    code = (GUARDED if how == "guarded script" else INGEST).format(db=str(tmp_path / "db"), docs=str(three_docs))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if how == "interactive session":
        cmd, stdin = [sys.executable, "-i", "-q"], code
    else:
        (tmp_path / "script.py").write_text(code)
        cmd, stdin = [sys.executable, str(tmp_path / "script.py")], None
    done = subprocess.run(cmd, input=stdin, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "added 3 failed []" in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    if how == "plain script":
        assert f"warnings ['parsed in this process, not in 2 parser processes: the main script {tmp_path / 'script.py'} " \
               "has no `if __name__ == \"__main__\":` guard (parser processes re-run it)']" in done.stdout
    else:
        assert "warnings []" in done.stdout
