"""One distribution, one import name: the wheel installs `unirag` and nothing else at the top
level, with every source folder (rag, parsers, pipelines, eval) and the chat page inside it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    # built from a copy: setuptools writes build/ and *.egg-info into the tree it builds
    shutil.copytree(ROOT, tmp / "src", symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".demo", ".unirag"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(tmp / "src")], check=True, capture_output=True, timeout=300)
    wheel = next((tmp / "dist").glob("unirag-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(tmp / "site"),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return tmp / "site"


def test_only_top_level_name_is_unirag(installed):
    top = {p.name for p in installed.iterdir() if p.name not in ("bin", "__pycache__")}
    assert {n for n in top if not n.endswith(".dist-info")} == {"unirag"}
    info = next(installed.glob("unirag-*.dist-info"))
    assert (info / "top_level.txt").read_text().split() == ["unirag"]


def test_every_source_folder_and_the_page_are_inside(installed):
    pkg = installed / "unirag"
    for folder in ("rag", "parsers", "pipelines", "eval"):
        sources = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*.py")}
        assert sources == {p.relative_to(pkg / folder) for p in (pkg / folder).rglob("*.py")}, folder
    assert (pkg / "pipelines" / "chat" / "static" / "index.html").is_file()
    assert not (pkg / "pipelines").is_symlink()  # real files, not links back into a checkout


def test_import_from_the_installed_wheel_outside_the_repo(installed, tmp_path):
    code = "import unirag; from unirag import Pipeline; print(unirag.__file__, Pipeline.__module__)"
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.split() == [str(installed / "unirag" / "__init__.py"), "unirag.pipelines.pipeline"]
