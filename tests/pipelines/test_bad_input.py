"""Bad input through the whole pipeline: every bad file gets one clear error naming it and the
problem (or a bounded degradation), the batch goes on, and nothing already stored is lost."""
import io
import os
import time
import zlib
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from unirag.parsers.samples import make_sample_docs
from unirag.pipelines.cli import main
from unirag.pipelines.pipeline import MAX_QUERY_CHARS, Pipeline


def write_pdf(path: Path, objects: list[bytes]) -> Path:
    """A minimal PDF from raw object bodies (object i+1 = objects[i]; 1 is the catalog)."""
    buf = io.BytesIO()
    buf.write(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(buf.tell())
        buf.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = buf.tell()
    buf.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    buf.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    buf.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(buf.getvalue())
    return path


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return dictionary[:-2] + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def one_page(path: Path, content: bytes, resources: bytes = b"<< >>", media: bytes = b"[0 0 595 842]",
             extra: list[bytes] = ()) -> Path:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox " + media + b" /Resources " + resources + b" /Contents 4 0 R >>"
    return write_pdf(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                            page, _stream(b"<< >>", content), *extra])


def bomb_pdf(path: Path, side: int = 20000) -> Path:
    """A page showing a side x side gray image: 3 KB per 1000 rows on disk, side² bytes decoded."""
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(bytes(side) * 1000) for _ in range(side // 1000)) + comp.flush()
    image = _stream(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8 /Filter /FlateDecode >>" % (side, side), data)
    return one_page(path, b"q 500 0 0 700 40 60 cm /Im0 Do Q", b"<< /XObject << /Im0 5 0 R >> >>", extra=[image])


FONT = b"<< /Font << /F1 5 0 R >> >>"
HELV = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store holding the sample documents, and its chunk count."""
    root = tmp_path_factory.mktemp("bad")
    good = [p for p in make_sample_docs(root / "good") if "scanned" not in p.stem]
    pipe = Pipeline(db=root / "db", encoder={"name": "hash"}, workers=1)
    assert pipe.ingest(good, progress=False).ok
    return root, good, pipe.store.count()


def bad_files(folder: Path, sample: Path) -> dict[str, str]:
    """{file name: words its error must contain}."""
    folder.mkdir()
    data = sample.read_bytes()
    (folder / "zero.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    (folder / "image.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (folder / "notes.txt").write_bytes("caf\xe9 latin-1 text".encode("latin-1"))
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "secret turbine figures")
        doc.save(folder / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="owner")
    (folder / os.fsdecode(b"caf\xe9.pdf")).write_bytes(data)  # a file name that is not UTF-8
    return {"zero.pdf": "empty file", "truncated.pdf": "truncated", "image.pdf": "not a PDF",
            "notes.txt": "unsupported file type", "locked.pdf": "encrypted PDF", "caf": "not valid UTF-8"}


def test_bad_files_fail_one_by_one_and_lose_nothing(store, tmp_path, capsys):
    root, good, count = store
    expected = bad_files(tmp_path / "bad", good[0])
    code = main(["ingest", str(tmp_path / "bad"), str(good[1]), "--db", str(root / "db"), "-q"])
    out, err = capsys.readouterr()
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert code == 1 and len(errors) == len(expected), errors
    for name, words in expected.items():
        assert [ln for ln in errors if name in ln and words in ln], (name, words, errors)
    assert f"{len(expected)} failed" in out and "1 unchanged" in out
    assert Pipeline(db=root / "db").store.count() == count


def test_encrypted_pdf_with_the_password_is_ingested(tmp_path, capsys):
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "The secret gearbox oil is grade ISO VG 320.")
        doc.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="o")
    db = str(tmp_path / "db")
    assert main(["ingest", str(tmp_path / "locked.pdf"), "--db", db, "--encoder", "hash", "-q",
                 "--password", "wrong"]) == 1
    assert "the password is wrong" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "locked.pdf"), "--db", db, "-q", "--password", "pw"]) == 0
    assert main(["query", "gearbox oil grade", "--db", db, "--json"]) == 0
    assert "ISO VG 320" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["bomb_image", "deep_nesting", "huge_page", "non_utf8_text"])
def test_pathological_pdfs_parse_or_fail_cleanly_in_bounded_time(kind, store, tmp_path, capsys):
    root, good, count = store
    path = tmp_path / f"{kind}.pdf"
    if kind == "bomb_image":  # 400 MB of pixels once decoded, 1 MB on disk
        bomb_pdf(path)
    elif kind == "deep_nesting":
        deep = b"[" * 50_000 + b"]" * 50_000
        one_page(path, b"BT /F1 12 Tf 72 720 Td (deep) Tj ET " + deep, FONT, extra=[HELV])
    elif kind == "huge_page":  # 200 x 200 inches, all one picture: OCR renders it coarser
        with pymupdf.open() as doc:
            page = doc.new_page(width=14400, height=14400)
            im = io.BytesIO()
            Image.new("L", (64, 64), 128).save(im, "PNG")
            page.insert_image(page.rect, stream=im.getvalue())
            doc.save(path)
    else:  # string bytes that are not UTF-8 (nor meaningful in the font's encoding)
        one_page(path, b"BT /F1 12 Tf 72 720 Td (caf\xe9 \xff\xfe\x80\x81 d\xc3\x28bris) Tj ET", FONT, extra=[HELV])
    start = time.perf_counter()
    code = main(["ingest", str(path), "--db", str(root / "db"), "-q"])
    out, err = capsys.readouterr()
    assert time.perf_counter() - start < 300
    if code:  # a failure must name the file
        assert f"error: {path}" in err
    else:
        assert "ingested 1 document(s)" in out
    after = Pipeline(db=root / "db").store
    assert after.count() >= count and all(d["complete"] for d in after.docs().values())
    main(["rm", path.stem, "--db", str(root / "db")])
    assert Pipeline(db=root / "db").store.count() == count


def test_an_enormous_query_is_cut_and_answered(store):
    root, _, _ = store
    pipe = Pipeline(db=root / "db", encoder={"name": "hash"})
    start = time.perf_counter()
    answer = pipe.query("battery temperature at the sites " * 300_000)  # ~10 MB
    assert time.perf_counter() - start < 60
    assert answer.citations and len(answer.question) <= MAX_QUERY_CHARS


def _image(fmt: str, mode: str, **kw) -> bytes:
    im = Image.new("RGB", (240, 160), (250, 250, 250))
    for x in range(40, 200):
        for y in range(60, 100):
            im.putpixel((x, y), (20, 60, 200))
    if mode == "I;16":
        im = Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257)
    else:
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,mode", [("GIF", "P"), ("JPEG", "CMYK"), ("PNG", "I;16"), ("WEBP", "RGB")])
def test_image_queries_in_odd_formats_are_answered(store, fmt, mode):
    root, _, _ = store
    answer = Pipeline(db=root / "db", encoder={"name": "hash"}).query(image=_image(fmt, mode))
    assert answer.question  # retrieved without error (a plain block has nothing to cite reliably)


@pytest.mark.parametrize("case", ["truncated_png", "bomb_png", "not_an_image"])
def test_broken_query_images_get_a_clear_error_naming_the_file(store, tmp_path, case, capsys):
    root, _, _ = store
    if case == "truncated_png":
        data = _image("PNG", "RGB")[:300]
    elif case == "bomb_png":  # 400 million 1-bit pixels, a few hundred KB
        buf = io.BytesIO()
        Image.new("1", (20000, 20000)).save(buf, "PNG")
        data = buf.getvalue()
    else:
        data = b"GIF89a but not really"
    path = tmp_path / f"{case}.png"
    path.write_bytes(data)
    assert main(["query", "--image", str(path), "--db", str(root / "db")]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}: query image: cannot decode it as an image" in err
    if case == "bomb_png":
        assert "pixels" in err


CRASHY = '''
import os
from unirag.parsers import PdfParser

class CrashyParser(PdfParser):
    """Dies like a segfault on files named crash*.pdf."""
    def parse(self, path, doc_id=None):
        if os.path.basename(str(path)).startswith("crash"):
            os._exit(139)
        return super().parse(path, doc_id)
'''


def test_a_parser_process_that_dies_fails_only_its_file(tmp_path, monkeypatch):
    from unirag.pipelines.ingest import Ingestor
    from unirag.rag.encoders import make_encoder
    from unirag.rag.store import ChromaStore

    (tmp_path / "crashy_parser.py").write_text(CRASHY)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned parser processes get this sys.path too
    good = [p for p in make_sample_docs(tmp_path / "docs") if "scanned" not in p.stem]
    (tmp_path / "docs" / "solar_field_study_scanned.pdf").rename(tmp_path / "docs" / "crash.pdf")
    ingestor = Ingestor(ChromaStore(path=tmp_path / "db"), make_encoder("hash"),
                        {"name": "crashy_parser.CrashyParser", "ocr": "off"}, workers=2, allow_imports=True)
    report = ingestor.run([tmp_path / "docs"], progress=False)
    assert sorted(report.added) == sorted(p.stem for p in good)
    assert [(Path(f).name, why) for f, why in report.failed] == [("crash.pdf", "the parser process died (exit status 139)")]
