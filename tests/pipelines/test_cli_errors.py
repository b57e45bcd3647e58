"""Every failure of a command is one `error:` line and an exit status; --debug shows the traceback."""
import subprocess
import sys

import pytest

from unirag.pipelines import cli
from unirag.rag.store.chroma import StoreBusyError


def test_a_failure_is_one_line_and_debug_shows_the_traceback(tmp_path):
    command = [sys.executable, "-m", "unirag.pipelines.cli", "query", "x", "--db", str(tmp_path / "none")]
    plain = subprocess.run(command, capture_output=True, text=True, check=False)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    missing = tmp_path / "none"
    assert plain.stderr.splitlines() == [
        f"error: {missing}: no unirag store here; run `unirag ingest FILES --db {missing}` first"]
    debug = subprocess.run([*command, "--debug"], capture_output=True, text=True, check=False)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1].startswith("ValueError: ")


@pytest.mark.parametrize("error, code, line", [
    (KeyError("boom"), 1, "error: unexpected KeyError: 'boom' (run with --debug for the traceback)"),
    (StoreBusyError("store x: busy"), 1, "error: store x: busy"),
    (PermissionError(13, "Permission denied", "x/chroma"), 1, "error: [Errno 13] Permission denied: 'x/chroma'"),
    (ValueError("--encoder: expected\none of"), 2, "error: --encoder: expected one of"),
])
def test_each_kind_of_failure_gets_its_exit_status(tmp_path, monkeypatch, capsys, error, code, line):
    def fail(args):
        raise error

    monkeypatch.setattr(cli, "cmd_ls", fail)
    assert cli.main(["ls", "--db", str(tmp_path)]) == code
    assert capsys.readouterr().err.splitlines() == [line]
    with pytest.raises(type(error)):
        cli.main(["--debug", "ls", "--db", str(tmp_path)])
