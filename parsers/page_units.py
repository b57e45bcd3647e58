"""Turns one page's lines, drawings and images into `Unit`s in reading order: tables,
figures (with captions and inner text), display formulas, headings and text blocks."""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pymupdf

from unirag.parsers.captions import find_captions, nearest_caption
from unirag.parsers.figures import (LINE_INSIDE, FigureFinder, drawn_rows, holds_prose, inner_text, overlap_share,
                                     panel_groups)
from unirag.parsers.formulas import FormulaFinder, text_columns
from unirag.parsers.layout import HeadingDetector, Unit, group_blocks, join_lines, reading_order, split_block, union
from unirag.parsers.lines import Line
from unirag.parsers.ocr import OcrUnavailable, PageOcr
from unirag.parsers.png import png_bytes
from unirag.parsers.raster_tables import RasterTable, RasterTableFinder
from unirag.parsers.tables import TableFinder, scanned_table, to_html, to_markdown
from unirag.rag.timing import StageTimer

MAX_BLOCK_CHARS = 1200  # characters: longer text blocks are split at line boundaries
CROP_DPI = 110  # dots per inch: the resolution crops are rendered at by default
MIN_CROP_DPI = 36  # dots per inch: crops of large regions are rendered at no less than this
CROP_PAD = 2  # points added around a region when it is cropped
MAX_CROP_PX = 1000  # longest side of a crop, in pixels
MIN_OCR_DPI = 72  # dots per inch: figures are rendered for OCR at no less than this
FIGURE_OCR_DPI = 200  # raster figures are read at this resolution (axis labels are small)
MAX_OCR_PX = 2000  # longest side of a figure rendered for OCR
MIN_INNER_CHARS = 20  # a figure with less text-layer text inside is read by OCR
LINE_IN_TABLE = 0.5  # share of a line's area inside a table: more makes it the table's text
TABLE_OVERLAP = 0.5  # share of a figure or table inside the other: more drops the figure
SCAN_OVERLAP = 0.3  # share of a scanned figure or table inside the other: more drops the figure
CAPTION_SLACK = 2  # points: a title line may reach this far into its caption or table
PICTURE_TABLE = 0.3  # share of a raster figure's area its one table covers, at least, for the figure to be that table
DRAWN_RELATION = "=<>≤≥≈"  # a row of drawn text holding one of these is an equation
DRAWN_LANGUAGE = "eng"  # Tesseract model rows of drawn text are read with
DRAWN_DPI = 300  # dots per inch rows of drawn text are read at (glyph outlines are small)
DRAWN_PAD = 2  # points of margin around a row of drawn text when it is read
PIXEL_NOISE = 30  # levels (0..255): a sample differing by more has changed
SAME_PIXEL_SHARE = 0.01  # share of changed samples: at most this, two crops show the same picture


class PageUnits:
    """`units(page, lines, scanned)` -> units in reading order, crops rendered at `crop_dpi`.

    Raster figures with (almost) no text-layer text inside are read by `figure_ocr` (a
    `PageOcr`; None: not read) when `read_figures` is called, so their labels, legends and
    titles join their surrogate.
    Images in `skip_images` (`figures.image_key`s of repeated logos) are not figures. `pixel_tables`
    (None: not searched) finds tables drawn in pixels: on scanned pages and in those raster
    figures (a figure that is one table becomes a table). A table caption on a scanned page that no
    table was found for is noted in `warnings` (the table's text stays in the page chunk). Time
    spent per stage is added to `timer` (a `StageTimer`).
    """

    def __init__(self, headings: HeadingDetector, crop_dpi: int = CROP_DPI, timer: StageTimer | None = None,
                 figure_ocr: PageOcr | None = None, skip_images: frozenset[tuple] = frozenset(),
                 pixel_tables: RasterTableFinder | None = None) -> None:
        self.headings = headings
        self.crop_dpi = crop_dpi
        self.timer = timer or StageTimer()
        self.tables = TableFinder()
        self.figures = FigureFinder()
        self.figure_ocr = figure_ocr
        self.skip_images = skip_images
        self.pixel_tables = pixel_tables
        self.warnings: list[str] = []
        self._read: dict[bytes, str] = {}  # OCR text by crop digest: duplicate slides are read once
        self._pending: list[tuple[Unit, bytes]] = []  # (figure unit, crop digest) waiting for `read_figures`
        self._images: dict[bytes, tuple[bytes, int]] = {}  # digest -> (PNG, dpi) of crops to read
        self._last_figures: dict[tuple, bytes] = {}  # the previous page's figure crops by rounded box

    def units(self, page: pymupdf.Page, lines: list[Line], scanned: bool,
              images: list[dict] | None = None) -> list[Unit]:
        """`images`: the page's `get_image_info()`, when the caller has it already."""
        captions = find_captions(lines)
        cap_ids = {id(ln) for c in captions for ln in c.lines}
        used: set[int] = set()  # ids of lines consumed by tables/figures/formulas/captions
        taken: set[int] = set()  # indexes of captions attached to a region
        units: list[Unit] = []
        if not scanned:
            bboxlog = page.get_bboxlog()  # shared by the table and figure finders
            with self.timer("tables"):
                units += self._tables(page, lines, captions, used, taken, bboxlog)
            with self.timer("figures"):
                images = page.get_image_info() if images is None else images
                units += self._figures(page, lines, captions, cap_ids, used, taken, units, bboxlog, images)
                if self.figure_ocr is not None:
                    units += self._drawn_rows(bboxlog, lines, units)
        else:
            with self.timer("tables"):
                units += self._ruled_scan_tables(page, lines, captions, used, taken)
                units += self._scanned_tables(lines, captions, used, taken)
                self._note_missed(page, captions, taken)
            with self.timer("figures"):
                units += self._scanned_figures(page, lines, captions, cap_ids, used, taken, units)
        for i in taken:
            used.update(id(ln) for ln in captions[i].lines)
        rest = [ln for ln in lines if id(ln) not in used]
        with self.timer("formulas"):
            for f in FormulaFinder(text_columns(rest, page.rect.width)).find(rest):
                used.update(id(ln) for ln in f.lines)
                units.append(Unit("formula", f.bbox, f.text, payload={"number": f.number}))
        with self.timer("crops"):
            display = self._add_crops(page, units)
        if self.pixel_tables is not None and display is not None and not scanned:
            with self.timer("tables"):
                self._picture_tables(page, display, units)
        units = self._drop_builds(units)
        if self.figure_ocr is not None and display is not None:
            with self.timer("figure_ocr"):
                self._read_figures(page, display, units)
                units = self._read_drawn(page, display, units)
        with self.timer("layout"):
            units += self._text_units([ln for ln in lines if id(ln) not in used], scanned)
            return reading_order(units, page.rect.width)

    def _tables(self, page, lines, captions, used, taken, bboxlog) -> list[Unit]:
        out = []
        for t in self.tables.find(page, captions, taken, bboxlog):
            used.update(id(ln) for ln in lines if overlap_share(ln.bbox, t.bbox) > LINE_IN_TABLE)
            text = "\n".join(x for x in (t.caption, t.markdown, t.extra) if x)
            out.append(Unit("table", t.bbox, text, payload={"caption": t.caption, "rows": t.rows, "cols": t.cols,
                                                            "html": t.html}))
        return out

    def _find_pixel_tables(self, page: pymupdf.Page, clip, display=None):
        """`RasterTableFinder.find`, or None when Tesseract is missing (reported once per document elsewhere)."""
        assert self.pixel_tables is not None
        try:
            return self.pixel_tables.find(page, clip, display)
        except OcrUnavailable:
            return None

    def _ruled_scan_tables(self, page, lines, captions, used, taken) -> list[Unit]:
        """Tables ruled in the pixels of a scanned page, read into cells, with their captions (and
        the title lines between a caption and its table: "TABLE III" over "Sample Executions ...")."""
        found = self._find_pixel_tables(page, tuple(page.rect)) if self.pixel_tables is not None else None
        out = []
        for t in found or []:
            cap = nearest_caption(t.bbox, captions, "table", taken, below_first=False)
            used.update(id(ln) for ln in lines if overlap_share(ln.bbox, t.bbox) > LINE_IN_TABLE)
            caption = ""
            if cap is not None:
                top, bottom = (cap.bbox[3], t.bbox[1]) if cap.bbox[1] < t.bbox[1] else (t.bbox[3], cap.bbox[1])
                title = [ln for ln in lines if id(ln) not in used and ln not in cap.lines
                         and top - CAPTION_SLACK <= ln.yc <= bottom and ln.bbox[0] < t.bbox[2] and ln.bbox[2] > t.bbox[0]]
                used.update(id(ln) for ln in title)
                caption = join_lines([cap.text, *(ln.text for ln in title)])
            out.append(_table_unit(t, caption))
        return out

    def _note_missed(self, page, captions, taken) -> None:
        self.warnings += [f"page {page.number + 1}: no table found for the caption {c.text[:40]!r}; its text "
                          "stays in the page" for i, c in enumerate(captions) if c.kind == "table" and i not in taken]

    def _picture_tables(self, page: pymupdf.Page, display: pymupdf.DisplayList, units: list[Unit]) -> None:
        """Tables in raster figures without text of their own. A figure that is one table becomes
        that table (its box, crop and caption kept; the picture's words, a title over the table
        too, are still read as a figure's); smaller tables in a figure are added beside it."""
        for u in [u for u in units if u.kind == "figure" and u.payload.get("needs_ocr")]:
            found = self._find_pixel_tables(page, u.bbox, display)
            if not found:
                continue
            caption = u.payload.get("caption", "")
            first = found[0]
            if len(found) == 1 and _area(first.bbox) >= PICTURE_TABLE * _area(u.bbox):
                table = _table_unit(first, caption)
                u.kind, u.text = "table", table.text
                u.payload.update(table.payload)
                continue
            added = [_table_unit(t, caption) for t in found]
            self._add_crops(page, added)
            units += added

    def _scanned_tables(self, lines, captions, used, taken) -> list[Unit]:
        """Tables on an OCR'd page: the caption, its title and the numeric rows under it."""
        out = []
        for i, cap in enumerate(captions):
            if cap.kind != "table" or i in taken:
                continue
            found = scanned_table(cap, [ln for ln in lines if id(ln) not in used])
            if found is None:
                continue
            box, rows = found
            taken.add(i)
            used.update(id(ln) for ln in rows)
            body = "\n".join(ln.text for ln in rows)
            out.append(Unit("table", union([box, cap.bbox]), f"{cap.text}\n{body}",
                            payload={"caption": cap.text, "rows": len(rows), "ocr": True}))
        return out

    def _figures(self, page, lines, captions, cap_ids, used, taken, tables, bboxlog, images) -> list[Unit]:
        free = [ln for ln in lines if id(ln) not in used and id(ln) not in cap_ids]
        pieces = []  # (box, lines inside, raster, caption)
        clear = [c.bbox for c in captions] + [t.bbox for t in tables]
        for box, inside, raster in self.figures.find(page, free, bboxlog, images, self.skip_images, clear):
            if any(overlap_share(box, t.bbox) > TABLE_OVERLAP or overlap_share(t.bbox, box) > TABLE_OVERLAP
                   for t in tables):
                continue
            cap = nearest_caption(box, captions, "figure", taken)
            used.update(id(ln) for ln in inside)
            pieces.append((box, inside, raster, cap.text if cap else ""))
        out = []
        for group in self._panels(pieces, free, used, tables):
            members = sorted((pieces[i] for i in group), key=lambda p: (p[0][1], p[0][0]))
            caption = next((p[3] for p in members if p[3]), "")
            inner = " ".join(t for t in (inner_text(p[1]) for p in members) if t)
            payload: dict[str, Any] = {"caption": caption}
            if any(raster and len(inner_text(inside)) < MIN_INNER_CHARS for _, inside, raster, _ in members):
                payload["needs_ocr"] = True
            out.append(Unit("figure", union(p[0] for p in members), "\n".join(t for t in (caption, inner) if t),
                            payload=payload))
        return out

    @staticmethod
    def _panels(pieces: list, free: list[Line], used: set[int], tables: list[Unit]) -> list[list[int]]:
        """`figures.panel_groups` of the pieces, except groups whose joint box would take in
        running text or a table: their pieces stay figures of their own."""
        out = []
        for group in panel_groups([p[0] for p in pieces], [bool(p[3]) for p in pieces], [p[2] for p in pieces]):
            box = union(pieces[i][0] for i in group)
            if len(group) > 1 and (any(overlap_share(t.bbox, box) > TABLE_OVERLAP for t in tables) or holds_prose(
                    [ln for ln in free if id(ln) not in used and overlap_share(ln.bbox, box) > LINE_INSIDE])):
                out += [[i] for i in group]
            else:
                out.append(group)
        return out

    def _drawn_rows(self, bboxlog, lines, regions) -> list[Unit]:
        """Rows of glyph outlines (`figures.drawn_rows`) off the page's figures and tables, as
        formulas to be read by OCR; `_settle_drawn` decides what they are once read."""
        return [Unit("formula", box, "", payload={"drawn": True})
                for box in drawn_rows(bboxlog, lines)
                if not any(overlap_share(box, u.bbox) > SCAN_OVERLAP for u in regions)]

    def _read_drawn(self, page: pymupdf.Page, display: pymupdf.DisplayList, units: list[Unit]) -> list[Unit]:
        """OCR of the rows of drawn text among `units` (in DRAWN_LANGUAGE: equations are set in
        Latin and Greek letters whatever the document's language): a row that relates something
        ("=") stays a formula, another becomes plain text, one read as nothing is dropped."""
        rows = [u for u in units if u.payload.pop("drawn", False)]
        if not rows:
            return units
        images = []
        for u in rows:
            clip = (pymupdf.Rect(u.bbox) + (-DRAWN_PAD, -DRAWN_PAD, DRAWN_PAD, DRAWN_PAD)) & page.rect
            pix = display.get_pixmap(matrix=pymupdf.Matrix(DRAWN_DPI / 72, DRAWN_DPI / 72), clip=clip,
                                     colorspace=pymupdf.csGRAY)
            pix.set_dpi(DRAWN_DPI, DRAWN_DPI)
            images.append((png_bytes(pix), DRAWN_DPI))
        try:
            read = PageOcr(DRAWN_LANGUAGE, DRAWN_DPI, jobs=1, retry=False).images(images)
        except OcrUnavailable:
            return [u for u in units if all(u is not r for r in rows)]
        empty = []
        for u, got in zip(rows, read):
            u.text = " ".join(" ".join(ln.text for ln in got.lines).split())
            u.payload["ocr_text"] = u.text
            if not u.text:
                empty.append(u)
            elif not any(c in u.text for c in DRAWN_RELATION):
                u.kind = "text"
                u.payload.pop("image", None)
        return [u for u in units if all(u is not e for e in empty)]

    def _scanned_figures(self, page, lines, captions, cap_ids, used, taken, tables) -> list[Unit]:
        """Figures on an OCR'd page: ink regions that are not text, with a figure caption next
        to them (without one, scan specks and rules would pass for figures)."""
        if not any(c.kind == "figure" for c in captions):
            return []
        free = [ln for ln in lines if id(ln) not in used and id(ln) not in cap_ids]
        out: list[Unit] = []
        for box, inside in self.figures.find_scanned(page, lines, free):
            if any(overlap_share(box, u.bbox) > SCAN_OVERLAP or overlap_share(u.bbox, box) > SCAN_OVERLAP
                   for u in tables + out):
                continue
            cap = nearest_caption(box, captions, "figure", taken)
            if cap is None:
                continue
            used.update(id(ln) for ln in inside)
            out.append(Unit("figure", box, f"{cap.text}\n{inner_text(inside)}".strip(), payload={"caption": cap.text}))
        return out

    def _drop_builds(self, units: list[Unit]) -> list[Unit]:
        """Figures the previous page showed at the same place with the same pixels are left out: a
        build slide showing its picture again (one figure, cited where it first appears; its words
        stay in the page chunk). Tables are kept, as each slide's text refers to its own."""
        shown = {_box_key(u): u.payload["image"] for u in units if u.kind == "figure" and "image" in u.payload}
        last, self._last_figures = self._last_figures, shown
        return [u for u in units if not (u.kind == "figure" and "image" in u.payload and _box_key(u) in last
                                         and same_pixels(last[_box_key(u)], u.payload["image"]))]

    def _read_figures(self, page: pymupdf.Page, display: pymupdf.DisplayList, units: list[Unit]) -> None:
        """Render the raster figures that have no text layer of their own for OCR; `read_figures`
        reads them, several pages' worth in one go."""
        for u in [u for u in units if u.payload.pop("needs_ocr", False)]:
            clip = pymupdf.Rect(u.bbox) & page.rect
            dpi = max(min(FIGURE_OCR_DPI, int(MAX_OCR_PX * 72 / max(clip.width, clip.height, 1))), MIN_OCR_DPI)
            pix = display.get_pixmap(matrix=pymupdf.Matrix(dpi / 72, dpi / 72), clip=clip, colorspace=pymupdf.csGRAY)
            pix.set_dpi(dpi, dpi)  # Tesseract reads it when several crops go to one process
            png = png_bytes(pix)
            key = hashlib.sha1(png).digest()
            if key not in self._read and key not in self._images:
                self._images[key] = (png, dpi)
            self._pending.append((u, key))

    @property
    def unread(self) -> int:
        """Figures rendered for OCR and not read yet."""
        return len(self._images)

    def read_figures(self) -> None:
        """OCR the figures rendered so far, in one `PageOcr.images` call (a Tesseract process and
        its language model load once for many figures, not once per page), and append their text
        to their units' surrogates (`payload["ocr_text"]` keeps it apart)."""
        pending, images = self._pending, self._images
        self._pending, self._images = [], {}
        if not pending:
            return
        try:
            assert self.figure_ocr is not None  # figures are rendered only when there is a figure reader
            self._read.update(zip(images, (" ".join(" ".join(ln.text for ln in p.lines).split())
                                           for p in self.figure_ocr.images(list(images.values())))))
        except OcrUnavailable:
            return  # the scanned-page reader reports a missing Tesseract once per document
        for u, key in pending:
            words = self._read[key]
            if words:
                u.payload["ocr_text"] = words
                u.text = f"{u.text}\n{words}" if u.text else words

    def _text_units(self, lines: list[Line], scanned: bool = False) -> list[Unit]:
        out = []
        for block in group_blocks(lines):
            level = self.headings.level(block, scanned)
            if level is not None:
                out.append(Unit("heading", union(ln.bbox for ln in block),
                                join_lines([ln.text for ln in block]), level=level))
                continue
            for piece in split_block(block, MAX_BLOCK_CHARS):
                out.append(Unit("text", union(ln.bbox for ln in piece), join_lines([ln.text for ln in piece])))
        return out

    def _add_crops(self, page: pymupdf.Page, units: list[Unit]) -> pymupdf.DisplayList | None:
        """PNG crops of the table/figure/formula units, from one display list of the page,
        which is returned for other renderings of the page (None: no units)."""
        if not units:
            return None
        display = page.get_displaylist()  # interpret the page once
        for u in units:
            clip = (pymupdf.Rect(u.bbox) + (-CROP_PAD, -CROP_PAD, CROP_PAD, CROP_PAD)) & page.rect
            dpi = max(min(self.crop_dpi, int(MAX_CROP_PX * 72 / max(clip.width, clip.height, 1))), MIN_CROP_DPI)
            if clip.is_empty:
                pix = page.get_pixmap(clip=clip, dpi=dpi)
            else:
                pix = display.get_pixmap(matrix=pymupdf.Matrix(dpi / 72, dpi / 72), clip=clip)
                pix.set_dpi(dpi, dpi)  # same PNG bytes as page.get_pixmap(dpi=dpi)
            u.payload["image"] = png_bytes(pix)
        return display


def _table_unit(t: RasterTable, caption: str) -> Unit:
    rows = [list(r) for r in t.rows]
    md = to_markdown(rows)
    return Unit("table", t.bbox, f"{caption}\n{md}" if caption else md,
                payload={"caption": caption, "rows": len(rows), "cols": len(rows[0]), "html": to_html(rows), "ocr": True})


def _box_key(u: Unit) -> tuple:
    return tuple(round(v) for v in u.bbox)


def same_pixels(a: bytes, b: bytes) -> bool:
    """Whether two PNG crops show the same picture: same size, and at most SAME_PIXEL_SHARE of
    their samples differ by more than PIXEL_NOISE (renderings of one picture differ by a few
    levels at anti-aliased edges).

    >>> import pymupdf
    >>> pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    >>> pix.clear_with(255); white = pix.tobytes("png"); pix.clear_with(0)
    >>> same_pixels(white, white), same_pixels(white, pix.tobytes("png"))
    (True, False)
    """
    if a == b:
        return True
    pa, pb = pymupdf.Pixmap(a), pymupdf.Pixmap(b)
    if (pa.w, pa.h, pa.n) != (pb.w, pb.h, pb.n):
        return False
    diff = np.abs(np.frombuffer(pa.samples, np.uint8).astype(np.int16) - np.frombuffer(pb.samples, np.uint8))
    return float((diff > PIXEL_NOISE).mean()) <= SAME_PIXEL_SHARE


def _area(b) -> float:
    return max(b[2] - b[0], 0) * max(b[3] - b[1], 0)
