"""Reusable contract tests for backends (Haystack-style): subclass and provide `encoder()`.

Every encoder backend's test module inherits `EncoderContract`, so all backends are held
to the same behaviour: shapes, normalisation, determinism, and that a query lands nearest
to the chunk that says the same thing.
"""
from __future__ import annotations

import numpy as np

from unirag.rag.types import Chunk, Query


def sample_chunks() -> list[Chunk]:
    return [
        Chunk(doc_id="d", modality="text", page=1, text="The battery pack stores twelve kilowatt hours of energy."),
        Chunk(doc_id="d", modality="table", page=2, text="| city | rainfall |\n| Oslo | 763 mm |"),
        Chunk(doc_id="d", modality="figure", page=3, text="Figure 1: Panel temperature over the day",
              caption="Figure 1: Panel temperature over the day"),
        Chunk(doc_id="d", modality="text", page=4, text="word " * 3000),  # longer than any model window
    ]


class EncoderContract:
    def encoder(self):  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def test_document_shapes_and_norms(self):
        enc = self.encoder()
        vecs = enc.embed_documents(sample_chunks())
        assert vecs.shape == (4, enc.dim) and vecs.dtype == np.float32
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)

    def test_empty_batch(self):
        enc = self.encoder()
        assert enc.embed_documents([]).shape == (0, enc.dim)

    def test_query_is_deterministic_and_normalised(self):
        enc = self.encoder()
        a = enc.embed_query(Query(text="rainfall in Oslo"))
        b = enc.embed_query(Query(text="rainfall in Oslo"))
        assert a.shape == (enc.dim,) and np.allclose(a, b, atol=1e-5)
        assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-4

    def test_query_nearest_to_matching_chunk(self):
        enc = self.encoder()
        docs = enc.embed_documents(sample_chunks()[:3])
        q = enc.embed_query(Query(text="how much rainfall does Oslo get"))
        assert int(np.argmax(docs @ q)) == 1

    def test_config_round_trip(self):
        from unirag.rag.encoders import encoder_from_dict

        enc = self.encoder()
        assert encoder_from_dict(enc.to_dict()).to_dict() == enc.to_dict()


def sample_hits() -> list:
    """Fused hits over `sample_chunks()` (the long filler chunk first, as a weak retriever might)."""
    from unirag.rag.types import Hit

    chunks = sample_chunks()
    return [Hit(chunks[3], 0.9, ("dense",)), Hit(chunks[0], 0.8, ("bm25",)), Hit(chunks[2], 0.5, ("dense",)),
            Hit(chunks[1], 0.4, ("bm25",))]


class RerankerContract:
    """Every reranker: returns at most top_k of the given hits, best first, and round-trips its config."""

    def reranker(self):  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def test_returns_a_reordered_subset(self):
        hits = sample_hits()
        out = self.reranker().rerank(Query(text="how much rainfall does Oslo get"), hits, top_k=3)
        assert len(out) == 3 and {h.chunk.id for h in out} <= {h.chunk.id for h in hits}
        assert [h.score for h in out] == sorted((h.score for h in out), reverse=True)
        assert all(h.sources and h.sources[-1] == self.reranker().name for h in out)

    def test_empty_hits(self):
        assert self.reranker().rerank(Query(text="anything"), [], top_k=5) == []

    def test_config_round_trip(self):
        from unirag.rag.rerank import reranker_from_dict

        r = self.reranker()
        assert reranker_from_dict(r.to_dict()).to_dict() == r.to_dict()


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for servers that tests start)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc=None, timeout: float = 20.0, what: str = "server", log=None) -> None:
    """Wait until something listens on 127.0.0.1:`port`; fail the test (with the tail of `log`, a
    path) if `proc` exits first or `timeout` seconds pass."""
    import socket
    import time

    import pytest

    from pathlib import Path

    def tail() -> str:
        return "" if log is None else ": " + Path(log).read_text(errors="replace")[-2000:]

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}{tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{what} did not start within {timeout:.0f} s{tail()}")
