import pymupdf
import pytest
from pymupdf import table as pymupdf_table

from unirag.parsers import table_chars
from unirag.parsers.samples import make_sample_docs


def _chars(fill, page, clip):
    pymupdf_table._CHARS_VAR.set([])
    fill(page, clip)
    return list(pymupdf_table.CHARS._list())


@pytest.mark.skipif(not table_chars.supported(), reason="this PyMuPDF lacks the table internals")
def test_make_chars_equals_pymupdfs_on_every_sample_page(tmp_path):
    original = pymupdf_table.make_chars
    compared = 0
    for path in make_sample_docs(tmp_path):
        with pymupdf.open(path) as pdf:
            for page in pdf:
                for clip in (None, pymupdf.Rect(0, 0, page.rect.width, page.rect.height / 2)):
                    want = _chars(original, page, clip)
                    assert _chars(table_chars.make_chars, page, clip) == want
                    compared += len(want)
    assert compared > 1000  # the samples have text: the comparison was not vacuous


def test_faster_chars_swaps_in_and_restores():
    original = pymupdf_table.make_chars
    with table_chars.faster_chars():
        assert pymupdf_table.make_chars is (table_chars.make_chars if table_chars.supported() else original)
    assert pymupdf_table.make_chars is original
