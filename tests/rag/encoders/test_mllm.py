import io

import numpy as np
import pytest

from unirag.rag.encoders import make_encoder
from unirag.rag.testing import EncoderContract
from unirag.rag.types import Chunk, Query


def _png(colour, size=(80, 60)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


_loaded: dict = {}


class TestMllmLlava(EncoderContract):
    """A tiny random LLaVA (VLM2Vec's backbone family) through the real loading code."""

    @pytest.fixture(autouse=True)
    def _model(self, tiny_llava):
        self.path = tiny_llava

    def encoder(self, **options):
        key = (self.path, tuple(sorted(options.items())))
        if key not in _loaded:
            _loaded[key] = make_encoder("mllm", model=self.path, max_tokens=512, image_prompt="<image>",
                                         **options)
        return _loaded[key]

    def test_query_nearest_to_matching_chunk(self):
        # Random weights carry no meaning. Without an instruction, queries and documents share one
        # text path, so the chunk saying exactly the question is its nearest neighbour.
        enc = self.encoder(query_template="{text}")
        text = "how much rainfall does oslo get"
        docs = enc.embed_documents([Chunk(doc_id="d", modality="text", page=1, text="battery pack energy"),
                                    Chunk(doc_id="d", modality="text", page=2, text=text)])
        q = enc.embed_query(Query(text=text))
        assert int(np.argmax(docs @ q)) == 1 and np.isclose(docs[1] @ q, 1.0, atol=1e-4)

    def test_instruction_changes_queries_not_documents(self):
        plain, instructed = self.encoder(query_template="{text}"), self.encoder()
        q = Query(text="rainfall in oslo")
        assert not np.allclose(plain.embed_query(q), instructed.embed_query(q), atol=1e-4)
        chunk = [Chunk(doc_id="d", modality="text", page=1, text="rainfall in oslo")]
        assert np.allclose(plain.embed_documents(chunk), instructed.embed_documents(chunk), atol=1e-5)

    def test_images_go_through_the_vision_tower(self):
        enc = self.encoder()
        red, blue = _png("red"), _png("blue")
        chunks = [Chunk(doc_id="d", modality="figure", page=1, text="Figure 1", image=red),
                  Chunk(doc_id="d", modality="figure", page=2, text="Figure 1", image=blue),
                  Chunk(doc_id="d", modality="figure", page=3, text="Figure 1")]
        docs = enc.embed_documents(chunks)
        assert docs.shape == (3, enc.dim) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
        assert not np.allclose(docs[0], docs[1], atol=1e-4) and not np.allclose(docs[0], docs[2], atol=1e-4)
        a, b = enc.embed_query(Query(image=red)), enc.embed_query(Query(image=blue))
        assert a.shape == (enc.dim,) and not np.allclose(a, b, atol=1e-4)
        with pytest.raises(ValueError, match="cannot decode"):
            enc.embed_query(Query(image=b"not a png"))

    def test_mean_pooling(self):
        enc = self.encoder(pooling="mean")
        vecs = enc.embed_documents([Chunk(doc_id="d", modality="text", page=1, text="rainfall in oslo"),
                                    Chunk(doc_id="d", modality="text", page=1, text="oslo")])
        # padding must not leak into the mean: a short text in a batch equals the text alone
        alone = enc.embed_documents([Chunk(doc_id="d", modality="text", page=1, text="oslo")])
        assert np.allclose(vecs[1], alone[0], atol=1e-4)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="expected pooling in"):
        make_encoder("mllm", model="x", pooling="cls")
    with pytest.raises(ValueError, match="query_template"):
        make_encoder("mllm", model="x", query_template="no slot")


def test_text_only_decoder_embeds_visual_chunks_by_their_text(tiny_llama):
    enc = make_encoder("mllm", model=tiny_llama, multilingual=False)
    fig = Chunk(doc_id="d", modality="figure", page=1, text="Figure 1", image=_png("red"))
    same_text = Chunk(doc_id="d", modality="figure", page=2, text="Figure 1")
    docs = enc.embed_documents([fig, same_text])
    assert np.allclose(docs[0], docs[1], atol=1e-5) and not enc.reads_cjk
    with_image = enc.embed_query(Query(text="Figure 1", image=_png("red")))
    assert np.allclose(with_image, enc.embed_query(Query(text="Figure 1")), atol=1e-5)
    with pytest.raises(ValueError, match="reads text only"):
        enc.embed_query(Query(image=_png("red")))
