"""Every code block in the README is executed or, where it needs what a test cannot have, checked.

- ```python blocks run in order (paths under /tmp/unirag-readme are redirected to tmp_path).
- ```bash blocks: every `unirag ...` line must parse with the real CLI parser (so no flag in the
  README goes stale), and each line that only needs local files runs, in README order, in an empty
  folder (the block's first command, `unirag samples`, writes the files the others use) and must
  exit 0. Lines that need the shared
  corpus, a server, a cluster or a placeholder (DIR, STORE, `...`) are parsed only; `make`, `pip`,
  `chroma run` and `ray start` lines are set-up steps that CI itself runs or that need a cluster.
"""
import io
import re
import shlex
import sys
from pathlib import Path

import pytest

from unirag.pipelines.cli import main, parser

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
SETUP = ("make ", "pip ", "chroma run", "ray start", "python -m llama_cpp", "ollama ", "vllm ")
# what a line needs that a test run cannot have: then it is parsed, not run
NOT_LOCAL = re.compile(r"\.\./shared|http://|https://|\.\.\.|\bDIR\b|\bSTORE\b|\bHEAD\b|/srv/|/data/|"
                       r"set\.jsonl|--ray|^unirag (chat(?!.*--cli)|bench|eval)\b")


def bash_lines() -> list[str]:
    out = []
    for block in re.findall(r"```bash\n(.*?)```", TEXT, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def test_readme_python_blocks_run(tmp_path, capsys):
    blocks = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
    assert blocks, "README has no python examples"
    for block in blocks:
        exec(compile(block.replace("/tmp/unirag-readme", str(tmp_path)), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "[]" in out  # report.failed is empty


def test_every_readme_command_parses():
    lines = [ln for ln in bash_lines() if ln.startswith("unirag ")]
    assert len(lines) >= 10
    for line in lines:
        argv = [a for a in shlex.split(line.split(" < ")[0])[1:] if a != "..."]
        if "..." in line:  # "unirag eval ... --out X": the elided flags are the ones shown above it
            argv += ["--docs", "d", "--qa", "q"]
        try:
            parser().parse_args(argv)
        except SystemExit as e:
            pytest.fail(f"README line does not parse ({e}): {line}")
    unknown = [ln for ln in bash_lines() if not ln.startswith("unirag ") and not ln.startswith(SETUP)]
    assert not unknown, f"README bash lines this test does not know how to check: {unknown}"


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """An empty folder: the README's command block makes every file it uses (`unirag samples`)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_local_readme_commands_run(sandbox, monkeypatch, capsys):
    ran = []
    for line in bash_lines():
        if not line.startswith("unirag ") or NOT_LOCAL.search(line):
            continue
        command, _, stdin = line.partition(" < ")
        if stdin:
            monkeypatch.setattr(sys, "stdin", io.StringIO((sandbox / stdin.strip()).read_text()))
        argv = shlex.split(command)[1:]
        if argv[0] == "init":
            argv.append("--force")  # the README's config block may run after another wrote one
        code = main(argv)
        out = capsys.readouterr()
        assert code == 0, f"`{line}` exited {code}: {out.err[-2000:]}"
        ran.append(argv[0])
    assert {"samples", "ingest", "query", "search", "ls", "rm", "init", "chat"} <= set(ran)
    assert ran[0] == "samples"  # run in README order, the first command makes the files
