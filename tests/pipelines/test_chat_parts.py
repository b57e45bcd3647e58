"""The chat server's parts on their own: upload checks, the page renderer, the ingest jobs."""
import pymupdf
import pytest

from unirag.parsers.samples import make_sample_pdf
from unirag.pipelines.chat import IngestJobs, PageRenderer, PageRenderError, UploadError, UploadPolicy
from unirag.pipelines.cli import generator_config
from unirag.pipelines.ingest import IngestReport


@pytest.mark.parametrize("name,safe", [
    ("report.pdf", "report.pdf"), ("Report.PDF", "Report.pdf"), ("a b;c.pdf", "a_b_c.pdf"),
    ("..hidden.pdf", "hidden.pdf"), ("图表 3.pdf", "图表_3.pdf"), ("x" * 300 + ".pdf", "x" * 120 + ".pdf"),
])
def test_names_become_plain_file_names(tmp_path, name, safe):
    assert UploadPolicy(tmp_path).check_name(name) == safe


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "a\\b.pdf", "..", ".pdf", "x.pdf.exe", "", "nul\x00.pdf"])
def test_paths_and_other_names_are_refused(tmp_path, name):
    with pytest.raises(UploadError):
        UploadPolicy(tmp_path).check_name(name)


def pdf_bytes(pages: int, **save) -> bytes:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().insert_text((72, 72), "hello")
    return doc.tobytes(**save)


def test_content_checks(tmp_path):
    policy = UploadPolicy(tmp_path / "up", max_bytes=100_000, max_pages=3)
    assert policy.check_content("a.pdf", pdf_bytes(3)) == 3
    for data, message in [(b"PK\x03\x04 zip", "expected a PDF"), (pdf_bytes(4), "expected 1 to 3 pages"),
                          (b"%PDF-1.7\n garbage", "broken"), (b"%PDF-" + b"0" * 100_001, "at most 100000 bytes"),
                          (pdf_bytes(1, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o"),
                           "password")]:
        with pytest.raises(UploadError, match=message):
            policy.check_content("a.pdf", data)
    path, pages = policy.save("My file.pdf", pdf_bytes(2))
    assert path == (tmp_path / "up" / "My_file.pdf").resolve() and pages == 2
    assert [p.name for p in (tmp_path / "up").iterdir()] == ["My_file.pdf"]  # no temp file left


def test_configs_round_trip(tmp_path):
    policy = UploadPolicy(tmp_path, max_bytes=10, max_pages=2)
    assert UploadPolicy(**policy.to_dict()).to_dict() == policy.to_dict()
    renderer = PageRenderer(zoom=2)
    assert PageRenderer(**renderer.to_dict()).to_dict() == renderer.to_dict()
    with pytest.raises(ValueError, match="'name'"):
        generator_config('{"max_hits": 3}')


def test_renderer_errors_name_the_file_but_their_reason_does_not(tmp_path):
    pdf = make_sample_pdf(tmp_path / "s.pdf")
    with pytest.raises(PageRenderError, match="expected a page from 1 to 3, got 4") as err:
        PageRenderer().render(pdf, 4)
    assert str(err.value).startswith(str(pdf)) and err.value.reason == "expected a page from 1 to 3, got 4"
    with pytest.raises(PageRenderError, match="no longer there"):
        PageRenderer().render(tmp_path / "gone.pdf", 1)
    big = PageRenderer(zoom=2).render(pdf, 1)
    assert pymupdf.Pixmap(big.png).width == round(pymupdf.open(pdf)[0].rect.width * 2) == round(big.size[0] * 2)
    assert big.pages == 3


def test_jobs_report_each_file_and_survive_failures(tmp_path):
    class Flaky:
        def ingest(self, paths, progress=False, on_page=None, force=False):
            if paths[0].stem == "bad":
                raise RuntimeError("disk full")
            if paths[0].stem == "broken":
                return IngestReport(failed=[(str(paths[0]), "not a PDF")])
            return IngestReport(added=[paths[0].stem], pages=2, chunks=5)

    jobs = IngestJobs(Flaky())
    status = jobs.wait(jobs.submit([tmp_path / "a.pdf", tmp_path / "bad.pdf", tmp_path / "broken.pdf"]), 10)
    assert (status["state"], status["done"], status["total"], status["failed"]) == ("done", 3, 3, 2)
    assert [f["state"] for f in status["files"]] == ["done", "failed", "failed"]
    assert "disk full" in status["files"][1]["error"] and status["files"][2]["error"] == "not a PDF"
    assert jobs.wait(jobs.submit([tmp_path / "bad.pdf"]), 10)["state"] == "failed"
    jobs.close()


def test_jobs_report_pages_of_the_file_being_ingested(tmp_path):
    class Paged:
        def ingest(self, paths, progress=False, on_page=None, force=False):
            for done in (1, 2):
                on_page((paths[0].stem, done, 2))
            return IngestReport(added=[paths[0].stem], pages=2, chunks=5)

    jobs = IngestJobs(Paged())
    status = jobs.wait(jobs.submit([tmp_path / "a.pdf"]), 10)
    assert (status["files"][0]["pages_done"], status["files"][0]["pages_total"]) == (2, 2)
    jobs.close()
