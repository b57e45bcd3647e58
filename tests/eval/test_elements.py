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


def test_element_misses_name_what_was_found_instead():
    from unirag.eval.elements import element_top
    from unirag.eval.report import element_misses

    is_target = element_target(_rec("table"))
    hits = [Hit(Chunk("a", "text", 2, "t"), 1.0), Hit(Chunk("a", "page", 2, "p"), 0.9), Hit(Chunk("a", "table", 2, "x"), 0.5)]
    top = element_top(hits, is_target, limit=2)
    assert top == [["a", 2, "text", False], ["a", 2, "page", False]]
    row = {"id": "q", "modality": "table", "relevant": [["a", 2]], "element_scores": {"hit@5": 0.0}, "element_top": top}
    assert element_misses([row])[2] == "- q (table, evidence a p.2): a p.2 text; a p.2 page"
    assert element_misses([{**row, "element_scores": {"hit@5": 1.0}}]) == []
