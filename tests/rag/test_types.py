import pytest

from unirag.rag.types import Chunk, Document, Query


def test_chunk_id_is_a_stable_content_hash():
    a = Chunk(doc_id="d", modality="text", page=1, text="hello", bbox=(0, 0, 10, 10))
    b = Chunk(doc_id="d", modality="text", page=1, text="hello", bbox=(0.001, 0, 10, 10), order=7)
    c = Chunk(doc_id="d", modality="text", page=2, text="hello", bbox=(0, 0, 10, 10))
    assert a.id == b.id and a.id != c.id and len(a.id) == 16


@pytest.mark.parametrize("kwargs, message", [
    ({"modality": "video"}, "expected modality in"),
    ({"page": 0}, "expected page as an int >= 1"),
    ({"bbox": (10, 0, 0, 10)}, "x0<=x1"),
    ({"bbox": (1, 2, 3)}, "4 numbers"),
    ({"doc_id": ""}, "non-empty doc_id"),
    ({"image": "not bytes"}, "PNG bytes"),
])
def test_chunk_validation_names_the_field(kwargs, message):
    args = {"doc_id": "d", "modality": "text", "page": 1, "text": "x", **kwargs}
    with pytest.raises(ValueError, match=message):
        Chunk(**args)


def test_document_rejects_foreign_chunks():
    c = Chunk(doc_id="other", modality="text", page=1, text="x")
    with pytest.raises(ValueError, match="another doc_id"):
        Document(doc_id="d", source="d.pdf", sha256="0", n_pages=1, chunks=[c])


def test_query_needs_text_or_image_and_known_modalities():
    with pytest.raises(ValueError, match="non-empty text or an image"):
        Query(text="  ")
    with pytest.raises(ValueError, match="expected modalities"):
        Query(text="x", modalities=("chart",))
    assert Query(image=b"png").text == ""
