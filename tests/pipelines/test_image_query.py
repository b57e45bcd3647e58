"""Image queries: a chart cropped from a page (caption cut off) finds the page it came from."""
import shutil

import pymupdf
import pytest

from unirag.parsers.samples import make_sample_pdf
from unirag.pipelines.pipeline import Pipeline

ENCODER = {"name": "composite", "parts": [
    {"encoder": {"name": "hash", "dim": 256}, "text_query": 1.0, "image_query": 0.5},
    {"encoder": {"name": "pixels"}, "text_query": 0.0, "image_query": 1.0}]}


@pytest.fixture(scope="module")
def pipe_and_crop(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgq")
    pdf = make_sample_pdf(root / "docs" / "report.pdf")
    pipe = Pipeline(db=root / "db", encoder=ENCODER)
    assert pipe.ingest([pdf], progress=False).ok
    figures = [c for c in pipe.store.all_chunks() if c.modality == "figure"]
    fig = max(figures, key=lambda c: (c.bbox[2] - c.bbox[0]) * (c.bbox[3] - c.bbox[1]))
    with pymupdf.open(pdf) as doc:  # re-crop at another resolution, a little tighter
        x0, y0, x1, y1 = fig.bbox
        clip = pymupdf.Rect(x0 + 4, y0 + 4, x1 - 4, y1 - 4)
        png = doc[fig.page - 1].get_pixmap(clip=clip, dpi=150).tobytes("png")
    return pipe, fig, png


def test_image_only_query_finds_the_figure_page(pipe_and_crop):
    pipe, fig, png = pipe_and_crop
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed: image queries need OCR for their text channel")
    answer = pipe.query(image=png)
    assert answer.hits[0].chunk.page == fig.page
    assert answer.hits[0].chunk.modality == "figure"


def test_bad_query_image_gets_a_clear_error(pipe_and_crop):
    pipe, _, _ = pipe_and_crop
    with pytest.raises(ValueError, match="query image"):
        pipe.query(image=b"definitely not an image")
