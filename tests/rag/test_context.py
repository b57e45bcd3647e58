from unirag.rag.context import contextualize
from unirag.rag.types import Chunk, Document


def test_visual_chunks_get_neighbour_text_and_all_get_the_title():
    before = Chunk(doc_id="d", modality="text", page=1, text="intro " * 100 + "The table below lists sites.", order=0)
    after = Chunk(doc_id="d", modality="text", page=1, text="Oslo is the wettest site. " + "more " * 100, order=2)
    table = Chunk(doc_id="d", modality="table", page=1, text="| site | mm |", order=1, links=(before.id, after.id))
    doc = contextualize(Document("d", "d.pdf", "0", 1, (before, table, after), title="Rain report"))
    t = doc.chunks[1]
    assert t.id == table.id
    assert t.context.startswith("Rain report. ") and "The table below lists sites" in t.context
    assert "Oslo is the wettest site" in t.context and len(t.context) < 700
    assert doc.chunks[0].context == "Rain report."
