from unirag.eval.elements import element_target, rank_elements
from unirag.eval.qa import QARecord
from unirag.rag.types import Chunk, Hit


def _rec(modality, crop=None):
    return QARecord("q", "?", modality, "en", frozenset({("a", 2)}), True, "x", (), None, crop, "a")


def test_image_query_target_is_the_chunk_under_the_crop():
    is_target = element_target(_rec("image-query", (100, 100, 300, 300)))
    fig = Chunk("a", "figure", 2, "f", bbox=(90, 110, 310, 290))
    elsewhere = Chunk("a", "figure", 2, "g", bbox=(100, 400, 300, 600))
    page = Chunk("a", "page", 2, "p", bbox=(0, 0, 600, 800))
    other_page = Chunk("a", "figure", 3, "f", bbox=(90, 110, 310, 290))
    assert [is_target(c) for c in (fig, elsewhere, page, other_page)] == [True, False, False, False]


def test_no_element_target_for_text_questions_and_ranking():
    assert element_target(_rec("text")) is None
    is_target = element_target(_rec("table"))
    chunks = [Chunk("a", "text", 2, "t"), Chunk("a", "text", 2, "t"), Chunk("a", "table", 2, "tab")]
    ids, targets = rank_elements([Hit(c, 1.0) for c in chunks], is_target)
    assert ids == [chunks[0].id, chunks[2].id] and targets == {chunks[2].id}
