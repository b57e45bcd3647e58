"""The same store through a real Chroma server (`chroma run`) on loopback."""
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag.store import ChromaStore
from rag.types import Chunk, Document

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma command is not installed")
    port = _free_port()
    proc = subprocess.Popen([str(exe if exe.exists() else "chroma"), "run", "--path", str(tmp_path / "server"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # up to 20 s
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_add_search_delete_through_the_server(server, tmp_path):
    store = ChromaStore(path=tmp_path / "local", url=server)
    chunks = [Chunk(doc_id="d", modality="text", page=i + 1, text=t) for i, t in enumerate(["alpha", "beta"])]
    store.check_encoder({"name": "hash", "dim": 2})
    store.add(Document("d", "d.pdf", "s", 2, chunks), np.eye(2, dtype=np.float32))
    hits = ChromaStore(path=tmp_path / "local", url=server).search(np.array([0, 1], np.float32), k=1)
    assert [h.chunk.text for h in hits] == ["beta"]
    assert store.docs()["d"]["chunks"] == 2
    store.delete("d")
    assert store.count() == 0
