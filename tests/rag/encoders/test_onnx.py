"""The packaged MiniLM on ONNX Runtime: the same vectors as on sentence-transformers (torch), so
stores built either way answer alike, and the exported graph is cached and found again."""
import numpy as np
import pytest

from unirag.rag.encoders import onnx_export
from unirag.rag.encoders.packaged import packaged_dir
from unirag.rag.encoders.sentence import SentenceTransformerEncoder
from unirag.rag.testing import sample_chunks
from unirag.rag.types import Chunk, Query

TEXTS = ["battery capacity table", "What is the UVA responsivity of the VEML6075 at 365 nm?",
         "电池容量是多少？", "第三章 实验结果与分析：表2给出了不同压缩比下的误差。", "a", "Café ÉTÉ naïve résumé",
         "word " * 400,  # cut at max_seq_length (256 tokens)
         "Section 3.2 Copysets. " * 120]  # several windows for a document


@pytest.fixture(scope="module")
def encoders():
    onnx = SentenceTransformerEncoder()
    torch = SentenceTransformerEncoder()
    torch.runs_onnx = False  # the sentence-transformers path, for reference
    return onnx, torch


def _chunks(texts):
    return [Chunk(doc_id="d", page=1, modality="text", text=t) for t in texts]


def test_default_config_is_unchanged_so_old_stores_stay_valid():
    assert SentenceTransformerEncoder().to_dict() == {
        "name": "text", "model": "minilm", "batch_size": 32, "window_chars": 800, "query_prefix": "",
        "document_prefix": "", "device": "cpu"}
    assert SentenceTransformerEncoder().runs_onnx


def test_query_vectors_agree_with_sentence_transformers(encoders):
    onnx, torch = encoders
    for text in TEXTS:
        a, b = onnx.embed_query(Query(text=text)), torch.embed_query(Query(text=text))
        assert a.shape == (384,) and abs(np.linalg.norm(a) - 1) < 1e-5
        assert float(a @ b) >= 0.99, text


def test_document_vectors_agree_with_sentence_transformers_including_windows(encoders):
    onnx, torch = encoders
    chunks = _chunks(TEXTS) + list(sample_chunks())
    a, b = onnx.embed_documents(chunks), torch.embed_documents(chunks)
    assert a.shape == b.shape == (len(chunks), 384)
    assert float(np.min(np.sum(a * b, axis=1))) >= 0.99


def test_batches_and_single_texts_give_the_same_vectors(encoders):
    onnx, _ = encoders
    together = onnx._encode(TEXTS)
    alone = np.concatenate([onnx._encode([t]) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-5)


def test_a_cached_graph_is_reused_without_exporting(monkeypatch):
    found = onnx_export.ensure_graph(packaged_dir("minilm"))  # exports once if `make install` did not
    monkeypatch.setattr(onnx_export, "export", lambda *a: pytest.fail("exported again"))
    assert onnx_export.ensure_graph(packaged_dir("minilm")) == found
    assert found.name == onnx_export.graph_name(packaged_dir("minilm"))


def test_export_goes_to_the_user_cache_when_the_model_folder_is_read_only(tmp_path, monkeypatch):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights" * 1000)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(onnx_export.os, "access", lambda path, mode: path != model)  # root writes anywhere
    monkeypatch.setattr(onnx_export, "export", lambda src, target: target.write_bytes(b"graph") and target)
    path = onnx_export.ensure_graph(model)
    assert path.parent == tmp_path / "cache" / "unirag" / "onnx" and path.read_bytes() == b"graph"
    assert onnx_export.cached_graph(model) == path
    (model / "model.safetensors").write_bytes(b"other weights" * 1000)  # new weights: a new key
    assert onnx_export.cached_graph(model) is None


def test_missing_weights_are_named():
    with pytest.raises(FileNotFoundError, match="expected model weights"):
        onnx_export.fingerprint(packaged_dir("minilm").parent)


def test_repeated_windows_are_encoded_once_with_the_same_vectors(encoders, monkeypatch):
    onnx, _ = encoders
    texts = ["Slide title. Revenue grew 12%.", "Another paragraph.", "Slide title. Revenue grew 12%."]
    before = onnx.embed_documents(_chunks(texts[:2]))
    seen = []
    encode = onnx._encode
    monkeypatch.setattr(onnx, "_encode", lambda pieces: seen.extend(pieces) or encode(pieces))
    after = onnx.embed_documents(_chunks(texts))
    assert sorted(seen) == sorted(set(texts))
    assert np.allclose(after[:2], before, atol=1e-6) and np.array_equal(after[0], after[2])


def test_warm_up_loads_the_onnx_session():
    enc = SentenceTransformerEncoder()
    enc.warm_up()
    assert enc._onnx is not None and enc._onnx._session is not None
