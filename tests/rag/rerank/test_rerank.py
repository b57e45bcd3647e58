import time

import pytest

from unirag.rag.rerank import make_reranker
from unirag.rag.rerank.features import implied_hints, modality_hints
from unirag.rag.testing import RerankerContract, sample_chunks, sample_hits
from unirag.rag.types import Chunk, Hit, Query


class TestFeatureReranker(RerankerContract):
    def reranker(self):
        return make_reranker("features")

    def test_query_terms_lift_the_chunk_that_covers_them(self):
        r = make_reranker("features", weights={"coverage": 0.5})
        hits = [Hit(h.chunk, s) for h, s in zip(sample_hits(), (0.9, 0.88, 0.87, 0.85))]
        out = r.rerank(Query(text="how much rainfall does Oslo get"), hits, top_k=4)
        assert out[0].chunk.modality == "table"  # last (closely) by retrieval score, first by coverage
        far = [Hit(h.chunk, s) for h, s in zip(sample_hits(), (0.9, 0.5, 0.3, 0.1))]
        assert r.rerank(Query(text="how much rainfall does Oslo get"), far)[0].chunk.id == far[0].chunk.id

    def test_labels_and_modality_hints(self):
        fig = Chunk(doc_id="d", modality="figure", page=3, text="Figure 2: output over a day", caption="Figure 2: output")
        txt = Chunk(doc_id="d", modality="text", page=1, text="The output over a day is discussed in Figure 2.")
        tab = Chunk(doc_id="d", modality="table", page=5, text="| hour | output |")
        hits = [Hit(txt, 1.0), Hit(tab, 0.9), Hit(fig, 0.8)]
        r = make_reranker("features", weights={"label": 0.5})
        assert r.rerank(Query(text="What does Figure 2 show?"), hits)[0].chunk is fig  # label match
        assert self.reranker().rerank(Query(text="which table lists output by hour"), hits)[0].chunk is tab

    def test_hints(self):
        assert modality_hints("the chart in 图3 and the equation") == {"figure", "formula"}
        assert modality_hints("表2中的数据") == {"table"} and modality_hints("battery capacity") == set()

    def test_abbreviations_before_a_space_are_hints(self):
        assert modality_hints("In Eq. (9), how is it set?") == {"formula"}
        assert modality_hints("Fig. 3 shows it") == {"figure"} and modality_hints("the values they tabulate") == {"table"}

    def test_math_or_a_quantity_implies_an_element_kind(self):
        assert implied_hints("what constant sits in front of ||S^T k_t - v_t||^2?") == {"formula"}
        assert implied_hints("How is the compression factor defined?") == {"formula"}
        assert implied_hints("How many members does the largest cluster have?") == {"table", "figure"}
        assert implied_hints("Who wrote the report?") == set()

    def test_the_asked_element_outranks_its_pages_other_chunks_and_page_order_holds(self):
        text = Hit(Chunk(doc_id="d", modality="text", page=3, text="the loss is the online objective"), 1.0)
        page = Hit(Chunk(doc_id="d", modality="page", page=3, text="page three"), 0.9)
        other = Hit(Chunk(doc_id="d", modality="text", page=4, text="a later page about it"), 0.8)
        formula = Hit(Chunk(doc_id="d", modality="formula", page=3, text="L(S) = 1/2 ||S k - v||^2"), 0.3)
        out = self.reranker().rerank(Query(text="What factor multiplies ||S k - v||^2 in L(S)?"),
                                     [text, page, other, formula])
        assert [h.chunk.modality for h in out] == ["formula", "text", "page", "text"]
        assert [h.chunk.page for h in out] == [3, 3, 3, 4]

    def test_an_implied_kind_moves_only_elements_retrieval_found(self):
        text = Hit(Chunk(doc_id="d", modality="text", page=1, text="10,169 responders were clustered"), 1.0)
        added = Hit(Chunk(doc_id="d", modality="figure", page=1, text="title picture"), 0.0)  # fetched for its page
        out = self.reranker().rerank(Query(text="How many responders were clustered?"), [text, added])
        assert [h.chunk.modality for h in out] == ["text", "figure"]
        out = self.reranker().rerank(Query(text="Which chart shows how many responders were clustered?"),
                                     [text, added])
        assert out[0].chunk.modality == "figure"

    def test_fifty_hits_take_milliseconds(self):
        chunks = [Chunk(doc_id="d", modality="text", page=i + 1, text=("solar battery output " * 60) + str(i))
                  for i in range(50)]
        hits = [Hit(c, 1.0 - i / 100) for i, c in enumerate(chunks)]
        r = make_reranker("features", weights={"coverage": 0.5, "label": 0.5})  # every signal on
        r.rerank(Query(text="battery output in Table 3"), hits)  # warm the stemmer cache
        t0 = time.perf_counter()
        r.rerank(Query(text="battery output in Table 3"), hits)
        assert time.perf_counter() - t0 < 0.25  # a few ms alone; generous for a shared 2-core machine

    def test_unknown_weight_is_refused(self):
        with pytest.raises(ValueError, match="unknown"):
            make_reranker("features", weights={"dense": 1.0})


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory):
    """A tiny random BERT sequence-pair classifier with a word-piece vocabulary of the test texts."""
    import re

    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    path = tmp_path_factory.mktemp("tiny-cross-encoder")
    words = sorted(set(re.findall(r"[a-z0-9]+", " ".join(c.text for c in sample_chunks()).lower()
                                  + " how much rainfall does oslo get")))
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words) + "\n")
    tok = BertTokenizerFast(vocab_file=str(path / "vocab.txt"))
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128, num_labels=1)
    BertForSequenceClassification(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


class TestCrossEncoderReranker(RerankerContract):
    @pytest.fixture(autouse=True)
    def _model(self, tiny_cross_encoder):
        self.path = tiny_cross_encoder

    def reranker(self):
        return make_reranker("crossencoder", model=self.path, max_length=64)

    def test_scores_are_the_models_logits_for_each_pair(self):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from unirag.rag.encoders.base import chunk_text

        hits, q = sample_hits(), "how much rainfall does Oslo get"
        out = self.reranker().rerank(Query(text=q), hits, top_k=4)
        tok, model = AutoTokenizer.from_pretrained(self.path), AutoModelForSequenceClassification.from_pretrained(self.path)
        by_id = {h.chunk.id: h.score for h in out}
        for h in hits:
            enc = tok(q, chunk_text(h.chunk), truncation="only_second", max_length=64, return_tensors="pt")
            with torch.inference_mode():
                assert abs(model(**enc).logits[0, 0].item() - by_id[h.chunk.id]) < 1e-4

    def test_image_only_query_keeps_retrieval_order(self):
        hits = sample_hits()
        out = self.reranker().rerank(Query(image=b"\x89PNG"), hits, top_k=2)
        assert [h.chunk.id for h in out] == [h.chunk.id for h in hits[:2]]


def test_unknown_reranker_lists_valid_names():
    with pytest.raises(ValueError, match=r"expected one of \['crossencoder', 'features'\]"):
        make_reranker("nope")


def _hit(modality: str, page: int, score: float, doc: str = "d") -> Hit:
    return Hit(Chunk(doc_id=doc, modality=modality, page=page, text=f"{modality} on page {page}"), score)


def test_asked_for_element_moves_above_its_page_chunk():
    """'Which table ...': page 2's table, ranked below page 3's text, goes just above page 2's
    page chunk; the order of pages (2, 3) is unchanged and nothing is lost."""
    hits = [_hit("page", 2, 1.0), _hit("text", 3, 0.9), _hit("table", 2, 0.5), _hit("figure", 2, 0.45)]
    out = make_reranker("features").rerank(Query(text="Which table lists the sites?"), hits, top_k=4)
    assert [(h.chunk.modality, h.chunk.page) for h in out] == [("table", 2), ("page", 2), ("text", 3), ("figure", 2)]
    assert out[0].score == out[1].score


def test_no_modality_words_no_lift():
    hits = [_hit("page", 2, 1.0), _hit("text", 3, 0.9), _hit("table", 2, 0.5)]
    out = make_reranker("features").rerank(Query(text="Which sites were studied?"), hits, top_k=3)
    assert [h.chunk.modality for h in out] == ["page", "text", "table"]


def test_an_element_writing_the_question_identifiers_moves_above_its_page_chunk():
    """No kind named, but page 2's table writes "1.1B" (and the figure does not): the table
    goes first on its page; a question whose numbers are too short to tell ("3") lifts nothing."""
    table = Hit(Chunk(doc_id="d", modality="table", page=2, text="| params | lr |\n| 1.1B | 3e-4 |"), 0.5)
    figure = Hit(Chunk(doc_id="d", modality="figure", page=2, text="Figure 3: loss curves"), 0.6)
    hits = [_hit("page", 2, 1.0), _hit("text", 3, 0.9), figure, table]
    out = make_reranker("features").rerank(Query(text="Which learning rate did the 1.1B model use?"), hits, top_k=4)
    assert [(h.chunk.modality, h.chunk.page) for h in out][:2] == [("table", 2), ("page", 2)]
    out = make_reranker("features").rerank(Query(text="Which learning rate did run 3 use?"), hits, top_k=4)
    assert [h.chunk.modality for h in out] == ["page", "text", "figure", "table"]
