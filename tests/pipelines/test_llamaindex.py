"""LlamaIndex interop: unirag hits as nodes in a LlamaIndex query engine; LlamaIndex documents in."""
import base64

import pytest

pytest.importorskip("llama_index.core")
from llama_index.core import SimpleDirectoryReader  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from llama_index.core.query_engine import RetrieverQueryEngine  # noqa: E402
from llama_index.core.schema import ImageNode, QueryBundle, TextNode  # noqa: E402

from unirag.parsers.samples import make_sample_pdf  # noqa: E402
from unirag.pipelines.llamaindex import UniragRetriever, from_llamaindex  # noqa: E402
from unirag.pipelines.pipeline import Pipeline  # noqa: E402


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("li")
    p = Pipeline(db=root / "db", encoder={"name": "hash"}, workers=1)
    assert p.ingest([make_sample_pdf(root / "solar.pdf")], progress=False).ok
    return p


def test_figures_come_back_as_image_nodes_with_their_crop(pipe):
    nodes = UniragRetriever(pipe, top_k=20, modalities=["figure"]).retrieve("efficiency chart")
    assert nodes and all(isinstance(n.node, ImageNode) for n in nodes)
    png = base64.b64decode(nodes[0].node.image)
    assert png.startswith(b"\x89PNG") and nodes[0].node.metadata["modality"] == "figure"
    assert nodes[0].node.metadata["page"] >= 1 and len(nodes[0].node.metadata["bbox"]) == 4


def test_tables_and_text_come_back_as_text_nodes_with_scores(pipe):
    nodes = UniragRetriever(pipe, top_k=10, modalities=["table", "text"]).retrieve("module efficiency table")
    assert nodes and all(type(n.node) is TextNode for n in nodes)
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    assert {n.node.metadata["modality"] for n in nodes} <= {"table", "text"}


def test_image_query_through_a_query_bundle(pipe):
    # the crop of a figure, used as the query image, finds that figure (OCR text + visual channel)
    figure = next(c for c in pipe.store.all_chunks() if c.modality == "figure")
    path = pipe.store.path / "crops" / figure.doc_id / f"{figure.id}.png"
    nodes = UniragRetriever(pipe, top_k=3).retrieve(QueryBundle(query_str="", image_path=str(path)))
    assert figure.id in [n.node.node_id for n in nodes]


def test_works_inside_a_llamaindex_query_engine(pipe):
    engine = RetrieverQueryEngine.from_args(UniragRetriever(pipe, top_k=3), llm=MockLLM())
    response = engine.query("What is the module efficiency?")
    assert len(response.source_nodes) == 3
    assert all(n.node.metadata["doc_id"] == "solar" for n in response.source_nodes)


def test_llamaindex_documents_are_ingested_once(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "pumps.txt").write_text("Pump P-7 runs at 40 Hz.\n\n" + "Filler text. " * 200)
    docs = from_llamaindex(SimpleDirectoryReader(str(tmp_path / "docs")).load_data())
    assert [d.doc_id for d in docs] == ["pumps"] and len(docs[0].chunks) > 1
    p = Pipeline(db=tmp_path / "db", encoder={"name": "hash"})
    first = p.add_documents(docs)
    again = p.add_documents(from_llamaindex(SimpleDirectoryReader(str(tmp_path / "docs")).load_data()))
    assert first.added == ["pumps"] and again.skipped == ["pumps"]
    assert p.store.count() == len(docs[0].chunks)
    hit = p.retrieve("What frequency does pump P-7 run at?", top_k=1)[0]
    assert "40 Hz" in hit.chunk.text
