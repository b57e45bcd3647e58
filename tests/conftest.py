"""Fixtures shared across the test tree."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unirag.rag.testing import free_port, wait_for_port


@pytest.fixture()
def chroma_server(tmp_path):
    """A real `chroma run` on a free loopback port; yields its URL and stops it afterwards."""
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma command is not installed")
    port = free_port()
    proc = subprocess.Popen([str(exe if exe.exists() else "chroma"), "run", "--path", str(tmp_path / "server"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, timeout=30, what="chroma server")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
