"""PDF parser built on PyMuPDF: text, figure, table, formula and page chunks.

>>> from unirag.parsers import PdfParser
>>> from unirag.parsers.samples import make_sample_pdf
>>> import tempfile, pathlib
>>> pdf = make_sample_pdf(pathlib.Path(tempfile.mkdtemp()) / "solar.pdf")
>>> doc = PdfParser(ocr="off").parse(pdf)
>>> sorted({c.modality for c in doc.chunks})
['figure', 'formula', 'page', 'table', 'text']
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from unirag.rag.text import cjk_share
from unirag.rag.types import Document

from unirag.parsers.base import ParseError
from unirag.parsers.chunking import ChunkBuilder
from unirag.parsers.figures import repeated_images
from unirag.parsers.layout import HeadingDetector, Unit, group_blocks, reading_order, union
from unirag.parsers.lines import Line, RepeatFilter, extract_lines
from unirag.parsers.ocr import OcrUnavailable, PageOcr, looks_scanned
from unirag.parsers.page_units import PageUnits
from unirag.parsers.raster_tables import RasterTableFinder
from unirag.rag.timing import StageTimer

log = logging.getLogger(__name__)
OCR_MODES = ("auto", "off", "force")
CJK_DOC_SHARE = 0.2  # documents with more CJK characters than this have their figures read as Chinese
FIGURE_WORD_CONF = 50.0  # words OCR reads in a figure with less confidence are dropped (plot marks)
FIGURE_OCR_BATCH = 32  # figures read by OCR together: each Tesseract process loads its language model once per batch


@dataclass
class _PageText:
    lines: list[Line]
    scanned: bool
    height: float


class PdfParser:
    """Parses a PDF into a `Document` of text/figure/table/formula/page chunks.

    `ocr`: "auto" OCRs pages without a text layer and raster figures without text of their
    own, "off" never, "force" every page. `ocr_languages`: Tesseract languages; on pages the
    first is tried alone, the rest only on pages it reads with low confidence; figures are
    read with one language, chosen by the document's script (the CJK one for mostly Chinese
    documents). `ocr_jobs`: Tesseract processes run at once. `figure_ocr=False` leaves raster
    figures to their caption and text layer (the corpus then parses about twice as fast).
    Constructing is cheap; nothing is loaded until `parse`.
    """

    def __init__(self, crop_dpi: int = 110, ocr: str = "auto", ocr_languages: str = "eng+chi_sim",
                 ocr_dpi: int = 150, ocr_jobs: int = 2, max_pages: int = 2000,
                 password: str | None = None, figure_ocr: bool = True) -> None:
        if ocr not in OCR_MODES:
            raise ValueError(f"PdfParser: expected ocr in {OCR_MODES}, got {ocr!r}")
        for name, value in (("crop_dpi", crop_dpi), ("ocr_dpi", ocr_dpi), ("ocr_jobs", ocr_jobs),
                            ("max_pages", max_pages)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"PdfParser: expected {name} as an int >= 1, got {value!r}")
        self.crop_dpi, self.ocr, self.ocr_languages = crop_dpi, ocr, ocr_languages
        self.ocr_dpi, self.ocr_jobs, self.max_pages, self.password = ocr_dpi, ocr_jobs, max_pages, password
        self.figure_ocr = bool(figure_ocr)

    def to_dict(self) -> dict:
        """Config as a plain dict (the password is never written out)."""
        return {"name": "pymupdf", "crop_dpi": self.crop_dpi, "ocr": self.ocr,
                "ocr_languages": self.ocr_languages, "ocr_dpi": self.ocr_dpi, "ocr_jobs": self.ocr_jobs,
                "max_pages": self.max_pages, "figure_ocr": self.figure_ocr}

    def parse(self, path: str | Path, doc_id: str | None = None, timer: StageTimer | None = None,
              on_page: Callable[[int, int], None] | None = None) -> Document:
        """Parse one PDF; pass a `StageTimer` to get the seconds spent per stage, and `on_page` to
        hear (pages done, pages in all) as each page is finished."""
        path = Path(path)
        timer = timer or StageTimer()
        pdf = self._open(path)
        warnings: list[str] = []
        try:
            pages = self._read_pages(pdf, path, warnings, timer)
            chunks = self._build(pdf, path, doc_id or path.stem, pages, warnings, timer, on_page)
            title = _title(pages)
        finally:
            pdf.close()
        return Document(doc_id=doc_id or path.stem, source=str(path), sha256=Document.file_sha256(path),
                        n_pages=len(pages), chunks=tuple(chunks), title=title, warnings=tuple(warnings))

    def _open(self, path: Path) -> pymupdf.Document:
        if not path.exists():
            raise ParseError(path, "file not found")
        if not path.is_file():
            raise ParseError(path, "not a file")
        size = path.stat().st_size
        if size == 0:
            raise ParseError(path, "empty file (0 bytes)")
        with open(path, "rb") as f:
            head = f.read(1024)
            f.seek(max(size - 2048, 0))
            tail = f.read()
        if b"%PDF-" not in head:
            raise ParseError(path, f"not a PDF (starts with {head[:8]!r})")
        if b"%%EOF" not in tail:
            raise ParseError(path, "truncated or corrupt PDF (no %%EOF marker at the end)")
        try:
            pdf = pymupdf.open(path, filetype="pdf")
        except Exception as exc:
            raise ParseError(path, f"truncated or corrupt PDF ({exc})") from exc
        if pdf.needs_pass:
            ok = self.password is not None and pdf.authenticate(self.password)
            if not ok:
                pdf.close()
                raise ParseError(path, "encrypted PDF; pass a password" if self.password is None
                                 else "encrypted PDF; the password is wrong")
        if pdf.page_count == 0:
            pdf.close()
            raise ParseError(path, "truncated or corrupt PDF (no pages)")
        if pdf.page_count > self.max_pages:
            n = pdf.page_count
            pdf.close()
            raise ParseError(path, f"too many pages ({n} > max_pages={self.max_pages})")
        return pdf

    def _read_pages(self, pdf: pymupdf.Document, path: Path, warnings: list[str],
                    timer: StageTimer) -> list[_PageText]:
        """Lines of every page; OCR for pages without a text layer (per `ocr`)."""
        out = []
        for page in pdf.pages():
            try:
                with timer("text"):
                    lines = extract_lines(page)
            except Exception as exc:
                warnings.append(f"{path}: page {page.number + 1}: text extraction failed ({exc})")
                lines = []
            n_chars = sum(len(ln.text) for ln in lines)
            scanned = self.ocr == "force" or looks_scanned(page, n_chars)
            if scanned and self.ocr == "off":
                warnings.append(f"{path}: page {page.number + 1} has no text layer and OCR is off")
            out.append(_PageText(lines, scanned, page.rect.height))
        todo = [i for i, p in enumerate(out) if p.scanned] if self.ocr != "off" else []
        if todo:
            try:
                with timer("ocr"):
                    ocred = PageOcr(self.ocr_languages, self.ocr_dpi, self.ocr_jobs).lines([pdf[i] for i in todo])
            except OcrUnavailable as exc:
                warnings += [f"{path}: {exc}", f"{path}: {len(todo)} scanned page(s) left without text"]
            else:
                for i, read in zip(todo, ocred):
                    out[i].lines = read.lines
        return out

    def _build(self, pdf, path: Path, doc_id: str, pages: list[_PageText], warnings: list[str], timer: StageTimer,
               on_page: Callable[[int, int], None] | None = None):
        repeat = RepeatFilter([(p.height, p.lines) for p in pages])
        headings = HeadingDetector.for_pages([p.lines for p in pages])
        images = [_image_info(page) for page in pdf]  # once per page: it interprets the page
        language = self._ocr_language(pages)
        figure_ocr = tables = None
        if language is not None:
            tables = RasterTableFinder(language, self.ocr_jobs)
            if self.figure_ocr:
                figure_ocr = PageOcr(language, self.ocr_dpi, self.ocr_jobs, retry=False, min_word_conf=FIGURE_WORD_CONF)
        assembler = PageUnits(headings, self.crop_dpi, timer, figure_ocr, repeated_images(images), tables)
        builder = ChunkBuilder(doc_id)
        held: list[tuple[int, list, str, tuple]] = []  # pages whose figures wait for one OCR batch
        for i, pt in enumerate(pages):
            page = pdf[i]
            with timer("layout"):  # running headers, footers and page numbers go, from page chunks too
                lines = repeat.clean(pt.lines, pt.height)
                page_text = _page_text(lines, page.rect.width)
            try:
                units = assembler.units(page, lines, pt.scanned, images[i])
            except Exception as exc:  # one bad page must not kill the document
                log.warning("%s: page %d skipped: %s", path, i + 1, exc)
                warnings.append(f"{path}: page {i + 1} skipped ({type(exc).__name__}: {exc})")
                units = []
            held.append((i + 1, units, page_text, tuple(page.rect)))
            if assembler.unread >= FIGURE_OCR_BATCH or i == len(pages) - 1:
                self._read_figures(assembler, held, path, warnings, timer)
                for page_no, page_units, text, rect in held:
                    with timer("layout"):
                        builder.add_page(page_no, page_units, text, rect)
                    if on_page is not None:
                        on_page(page_no, len(pages))
                held = []
        warnings += [f"{path}: {w}" for w in assembler.warnings]
        with timer("layout"):
            return builder.chunks()

    @staticmethod
    def _read_figures(assembler: PageUnits, held: list, path: Path, warnings: list[str], timer: StageTimer) -> None:
        """OCR the figures of the `held` pages in one batch; if that fails they keep their own text."""
        try:
            with timer("figure_ocr"):
                assembler.read_figures()
        except Exception as exc:  # figures without their OCR words still make a document
            log.warning("%s: pages %d-%d: figures not read: %s", path, held[0][0], held[-1][0], exc)
            warnings.append(f"{path}: pages {held[0][0]}-{held[-1][0]}: figures not read by OCR "
                            f"({type(exc).__name__}: {exc})")

    def _ocr_language(self, pages: list[_PageText]) -> str | None:
        """The one language raster figures and tables are read in: the document's script (None: OCR is off)."""
        if self.ocr == "off":
            return None
        langs = self.ocr_languages.split("+")
        sample = "".join(ln.text for p in pages[:20] for ln in p.lines)[:20000]
        cjk = [x for x in langs if x.startswith("chi") or x in ("jpn", "kor")]
        if cjk_share(sample) >= CJK_DOC_SHARE and cjk:
            lang = cjk[0]  # a CJK model reads the Latin labels too; two models at once cost 25% more
        else:
            lang = ([x for x in langs if x not in cjk] or langs)[0]
        return lang


def _image_info(page: pymupdf.Page) -> list[dict]:
    """The page's `get_image_info()`; none (logged) where PyMuPDF cannot list them."""
    try:
        return page.get_image_info()
    except Exception as exc:  # a damaged page must not stop the document
        log.warning("page %d: images not listed: %s", page.number + 1, exc)
        return []


def _page_text(lines: list[Line], width: float) -> str:
    """All text of the page, blocks in reading order."""
    units = [Unit("text", union(ln.bbox for ln in b), "\n".join(ln.text for ln in b)) for b in group_blocks(lines)]
    return "\n".join(u.text for u in reading_order(units, width))


def _title(pages: list[_PageText]) -> str:
    """The largest-font text in the top half of the first page."""
    if not pages or not pages[0].lines:
        return ""
    top = [ln for ln in pages[0].lines if ln.yc < pages[0].height / 2] or pages[0].lines
    size = max(ln.size for ln in top)
    return " ".join(ln.text for ln in top if ln.size >= size - 0.5)[:200]
