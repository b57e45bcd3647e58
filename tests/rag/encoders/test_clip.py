import io

import numpy as np
import pytest

from unirag.rag.encoders import encoder_from_dict, make_encoder
from unirag.rag.testing import EncoderContract
from unirag.rag.types import Chunk, Query


def _png(colour, size=(64, 48)):
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, "white")
    ImageDraw.Draw(im).rectangle((8, 8, 40, 40), fill=colour)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


_loaded: dict = {}


class DualEncoderTests(EncoderContract):
    """The shared encoder contract plus what a dual image-text encoder adds, on a tiny random model."""

    fixture = ""

    @pytest.fixture(autouse=True)
    def _model(self, request):
        self.path = request.getfixturevalue(self.fixture)

    def encoder(self):  # loaded once per model for the session
        if self.path not in _loaded:
            _loaded[self.path] = make_encoder("clip", model=self.path)
        return _loaded[self.path]

    def test_query_nearest_to_matching_chunk(self):
        # Random weights carry no meaning; what must hold is that queries and documents share the
        # text path, so a chunk saying exactly the question is its nearest neighbour.
        enc = self.encoder()
        text = "how much rainfall does oslo get"
        docs = enc.embed_documents([Chunk(doc_id="d", modality="text", page=1, text="battery pack energy"),
                                    Chunk(doc_id="d", modality="text", page=2, text=text)])
        q = enc.embed_query(Query(text=text))
        assert int(np.argmax(docs @ q)) == 1 and np.isclose(docs[1] @ q, 1.0, atol=1e-4)

    def test_long_text_is_windowed_not_cut(self):
        enc = self.encoder()
        words = [f"w{i}" for i in range(300)]  # 300 tokens, far past a 77/64-token window
        full, head = (enc.embed_query(Query(text=" ".join(w))) for w in (words, words[:75]))
        tail_changed = enc.embed_query(Query(text=" ".join(words[:-1] + ["w399"])))
        assert not np.allclose(full, head, atol=1e-3)  # the text past the first window counts
        assert not np.allclose(full, tail_changed, atol=1e-4)  # ...down to its last token

    def test_image_chunks_and_image_queries_use_pixels(self):
        enc = self.encoder()
        red, blue = _png("red"), _png("blue")
        chunks = [Chunk(doc_id="d", modality="figure", page=1, text="Figure 1", image=red),
                  Chunk(doc_id="d", modality="figure", page=2, text="Figure 1", image=blue),
                  Chunk(doc_id="d", modality="figure", page=3, text="Figure 1", image=b"not a png")]
        docs = enc.embed_documents(chunks)
        assert not np.allclose(docs[0], docs[1], atol=1e-4)  # same text, different pictures
        text_only = enc.embed_documents([Chunk(doc_id="d", modality="figure", page=3, text="Figure 1")])[0]
        assert np.allclose(docs[2], text_only, atol=1e-5)  # an unreadable crop falls back to its text
        q = enc.embed_query(Query(image=red))
        assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-4)
        pure = make_encoder("clip", model=self.path, doc_text_weight=0.0)
        pure._parts = enc._parts  # same weights, no second load
        assert np.isclose(pure.embed_documents(chunks[:1])[0] @ q, 1.0, atol=1e-4)  # same picture, same vector
        both = enc.embed_query(Query(text="Figure 1", image=red))
        assert np.allclose(both, docs[0], atol=1e-4)  # text+image query mixes like a document
        with pytest.raises(ValueError, match="cannot decode"):
            enc.embed_query(Query(image=b"not a png"))

    def test_is_english_only_unless_told(self):
        assert not self.encoder().reads_cjk
        assert make_encoder("clip", model="org/siglip-base-multilingual").reads_cjk
        assert encoder_from_dict({"name": "clip", "model": "x", "multilingual": True}).reads_cjk


class TestClip(DualEncoderTests):
    fixture = "tiny_clip"


class TestSiglip(DualEncoderTests):
    fixture = "tiny_siglip"


def test_weights_are_validated():
    with pytest.raises(ValueError, match=r"doc_text_weight in \[0, 1\]"):
        make_encoder("clip", model="x", doc_text_weight=2)


def test_constructor_loads_nothing():
    enc = make_encoder("clip", model="/no/such/model")
    assert enc._parts is None and enc.to_dict()["model"] == "/no/such/model"
