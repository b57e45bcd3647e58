"""Fixtures shared by the pipeline tests."""
import pytest

from unirag.parsers.samples import make_sample_docs, make_sample_pdf


@pytest.fixture(scope="module")
def three_docs(tmp_path_factory):
    """A folder of three text-layer PDFs (no OCR needed): enough files for a parser pool."""
    folder = tmp_path_factory.mktemp("pool") / "docs"
    make_sample_docs(folder)[1].unlink()  # the scanned one: no OCR
    make_sample_pdf(folder / "copy.pdf")
    return folder
