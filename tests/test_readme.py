"""Every Python code block in the README runs (paths under /tmp are redirected to tmp_path)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_blocks_run(tmp_path, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README has no python examples"
    for block in blocks:
        exec(compile(block.replace("/tmp/unirag-readme", str(tmp_path)), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "[]" in out  # report.failed is empty
