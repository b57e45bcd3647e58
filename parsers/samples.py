"""Small deterministic sample documents for demos and tests.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in make_sample_docs(folder)]
['solar_field_study.pdf', 'solar_field_study_scanned.pdf', 'wind_maintenance_note.pdf']
"""
from __future__ import annotations

import io
from pathlib import Path

import pymupdf

A4 = (595.0, 842.0)
MARGIN = 64.0
BODY, HEAD, SUBHEAD = 10.0, 13.0, 11.0

SAMPLE_QUESTIONS: list[dict] = [
    {"question": "What share of its capacity did the Corran battery pack retain after twelve months?",
     "answer": "98.3%", "page": 2, "modality": "table"},
    {"question": "How much energy did the Brookfield site deliver per day on average?",
     "answer": "36.2 kWh", "page": 2, "modality": "figure"},
    {"question": "What temperature coefficient is used in the capacity derating equation?",
     "answer": "0.012", "page": 1, "modality": "formula"},
    {"question": "Which month had the lowest average evening state of charge?",
     "answer": "December", "page": 3, "modality": "figure"},
    {"question": "What does the study recommend fitting to the Brookfield battery enclosure?",
     "answer": "ventilation louvres", "page": 3, "modality": "text"},
]

_INTRO = ("This report summarises a twelve-month field study of lithium iron phosphate battery packs "
          "paired with rooftop solar arrays at three rural sites: Aldmere, Brookfield and Corran. Each site "
          "runs a 5 kW array feeding a 13.5 kWh pack that powers a village clinic overnight. The study asked "
          "how much energy the packs deliver in daily use and how heat inside the enclosures affects their "
          "ageing over a full year of operation.")
_SITES = ("Every pack was instrumented with a data logger that records cell temperatures, charge and "
          "discharge energy once per minute. Loggers were read out monthly by local technicians. Usable "
          "capacity was measured at the start and at the end of the study with a full discharge at a fixed "
          "rate. The nominal capacity is derated for enclosure temperature with the linear model below, where "
          "T is the mean cell temperature in degrees Celsius.")
_DERATE = ("Equation 1 is applied to every monthly reading before capacities are compared across sites, so that "
           "a hot month does not look like permanent capacity loss.")
_RESULTS = ("Figure 1 compares the mean daily energy delivered by the three packs. Aldmere, with the largest "
            "clinic load, delivered the most energy; Corran, the smallest site, delivered the least. Daily "
            "energy varied by less than ten percent between months at every site.")
_TEMPS = ("Peak cell temperatures, cycle counts and the capacity retained after twelve months are listed in "
          "Table 1. The Brookfield enclosure faces west and received direct afternoon sun, which explains its "
          "higher peak temperature.")
_SEASON = ("Figure 2 shows how the average evening state of charge follows the seasons. Packs entered the "
           "night with less stored energy in the darker months, but no site ran out of energy before dawn.")
_CONCLUSION = ("All three packs delivered their design energy throughout the year and lost little capacity. "
               "Heat was the main ageing factor. We recommend fitting ventilation louvres to the Brookfield "
               "enclosure and repeating the capacity test after a second year of operation.")
_TABLE = [["Site", "Peak temp. (°C)", "Cycles", "Capacity retained (%)"],
          ["Aldmere", "38.5", "412", "97.1"],
          ["Brookfield", "44.2", "398", "95.4"],
          ["Corran", "31.7", "377", "98.3"]]


class _Writer:
    """Writes flowing blocks down a page, tracking the vertical cursor."""

    def __init__(self, page: pymupdf.Page, x0: float = MARGIN, x1: float = A4[0] - MARGIN) -> None:
        self.page, self.x0, self.x1, self.y = page, x0, x1, MARGIN

    def text(self, text: str, size: float = BODY, font: str = "helv", gap: float = 8.0, align: int = 0) -> None:
        rect = pymupdf.Rect(self.x0, self.y, self.x1, self.y + 400)
        left = self.page.insert_textbox(rect, text, fontsize=size, fontname=font, align=align)
        self.y += 400 - left + gap

    def heading(self, text: str, size: float = HEAD) -> None:
        self.y += 4
        self.text(text, size=size, font="hebo", gap=4)


def _bar_chart_pdf() -> bytes:
    """Vector bar chart (matplotlib PDF) whose values appear only in the chart."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.6, 2.4))
    ax = fig.add_subplot()
    sites, values = ["Aldmere", "Brookfield", "Corran"], [41.7, 36.2, 28.9]
    bars = ax.bar(sites, values, color=["#d95f02", "#1b9e77", "#7570b3"])
    ax.bar_label(bars, labels=[f"{v} kWh" for v in values], fontsize=9)
    ax.set_ylabel("kWh per day")
    ax.set_ylim(0, 50)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None})
    return buf.getvalue()


def _line_chart_png() -> bytes:
    """Raster line chart: evening state of charge by month, lowest in December."""
    from matplotlib.figure import Figure

    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    soc = [58, 63, 71, 79, 85, 88, 87, 83, 74, 64, 55, 49]
    fig = Figure(figsize=(4.6, 2.2), dpi=120)
    ax = fig.add_subplot()
    ax.plot(months, soc, marker="o", color="#1f78b4", label="mean of three sites")
    ax.annotate("December low: 49%", xy=(11, 49), xytext=(6.5, 52), arrowprops={"arrowstyle": "->"}, fontsize=8)
    ax.set_ylabel("State of charge (%)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _table(page: pymupdf.Page, x0: float, y0: float, widths: list[float], row_h: float = 18.0) -> float:
    """Ruled table from `_TABLE`; returns the y below it."""
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    y1 = y0 + row_h * len(_TABLE)
    for i in range(len(_TABLE) + 1):
        page.draw_line((xs[0], y0 + i * row_h), (xs[-1], y0 + i * row_h), width=0.8)
    for x in xs:
        page.draw_line((x, y0), (x, y1), width=0.8)
    for r, row in enumerate(_TABLE):
        for c, cell in enumerate(row):
            font = "hebo" if r == 0 else "helv"
            page.insert_text((xs[c] + 5, y0 + r * row_h + 12.5), cell, fontsize=9, fontname=font)
    return y1


def make_sample_pdf(path: str | Path) -> Path:
    """Write the 3-page "Solar Battery Field Study" report to `path` (deterministic bytes)."""
    path = Path(path)
    doc = pymupdf.open()
    w = _Writer(doc.new_page(width=A4[0], height=A4[1]))
    w.text("Solar Battery Field Study", size=20, font="hebo", gap=4)
    w.text("Technical report TR-7, Helios Storage Lab", size=11, gap=14)
    w.heading("1 Introduction")
    w.text(_INTRO)
    w.heading("2 Method")
    w.heading("2.1 Sites and Equipment", size=SUBHEAD)
    w.text(_SITES, gap=10)
    y = w.y + 8
    w.page.insert_text((175, y), "Ceff = Cnom × (1 - 0.012 · (T - 25))", fontsize=11, fontname="tiit")
    w.page.insert_text((A4[0] - MARGIN - 16, y), "(1)", fontsize=10, fontname="helv")
    w.y = y + 16
    w.text(_DERATE)

    w = _Writer(doc.new_page(width=A4[0], height=A4[1]))
    w.heading("3 Results")
    w.text(_RESULTS)
    chart = pymupdf.open("pdf", _bar_chart_pdf())
    rect = pymupdf.Rect(MARGIN + 50, w.y, MARGIN + 50 + 331, w.y + 173)
    w.page.show_pdf_page(rect, chart, 0)
    w.y = rect.y1 + 6
    w.text("Figure 1: Mean daily energy delivered per site.", size=9, gap=12, align=1)
    w.heading("3.1 Battery Temperatures", size=SUBHEAD)
    w.text(_TEMPS)
    w.text("Table 1: Peak temperature, cycles and capacity retained after twelve months.", size=9, gap=4, align=1)
    w.y = _table(w.page, MARGIN + 30, w.y, [90, 100, 60, 150]) + 14
    w.text("Capacity retention stayed above the warranty threshold of 90 percent at all sites.")

    w = _Writer(doc.new_page(width=A4[0], height=A4[1]))
    w.heading("3.2 Seasonal State of Charge", size=SUBHEAD)
    w.text(_SEASON)
    rect = pymupdf.Rect(MARGIN + 50, w.y, MARGIN + 50 + 331, w.y + 158)
    w.page.insert_image(rect, stream=_line_chart_png())
    w.y = rect.y1 + 6
    w.text("Figure 2: Average evening state of charge by month.", size=9, gap=12, align=1)
    w.heading("4 Conclusion")
    w.text(_CONCLUSION)
    return _save(doc, path, "Solar Battery Field Study")


def make_scanned_pdf(src: str | Path, dst: str | Path, dpi: int = 150) -> Path:
    """Rasterise every page of `src` into an image-only PDF at `dst` (no text layer)."""
    dst = Path(dst)
    with pymupdf.open(src) as source:
        out = pymupdf.open()
        for page in source:
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            new = out.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, stream=pix.tobytes("png"))
    return _save(out, dst, "")


def make_two_column_pdf(path: str | Path) -> Path:
    """One page: a full-width title, then two columns of numbered paragraphs
    ("Left one", "Left two", "Right one", "Right two") whose y positions interleave."""
    path = Path(path)
    doc = pymupdf.open()
    page = doc.new_page(width=A4[0], height=A4[1])
    _Writer(page).text("Two Column Layout Test", size=18, font="hebo")
    mid, filler = A4[0] / 2, " ".join(["The quick brown fox jumps over the lazy dog."] * 6)
    for col, x0, x1 in (("Right", mid + 10, A4[0] - MARGIN), ("Left", MARGIN, mid - 10)):
        w = _Writer(page, x0, x1)
        w.y = 120 if col == "Left" else 110
        for word in ("one", "two"):
            w.text(f"{col} {word}. {filler}", gap=14)
    return _save(doc, path, "Two Column Layout Test")


def make_sample_docs(folder: str | Path) -> list[Path]:
    """The sample report, its scanned twin and a one-page note, written into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = make_sample_pdf(folder / "solar_field_study.pdf")
    scanned = make_scanned_pdf(report, folder / "solar_field_study_scanned.pdf")
    doc = pymupdf.open()
    w = _Writer(doc.new_page(width=A4[0], height=A4[1]))
    w.text("Wind Turbine Maintenance Note", size=18, font="hebo", gap=10)
    w.heading("1 Gearbox Inspection")
    w.text("The gearbox oil of turbine WT-3 was replaced in March after the particle counter reported "
           "iron debris above the alarm level. Bearings were inspected with a borescope and showed no pitting.")
    w.heading("2 Blade Repairs")
    w.text("Leading-edge erosion on blade B of turbine WT-1 was filled and coated with a polyurethane tape. "
           "The next inspection is due after the autumn storms.")
    note = _save(doc, folder / "wind_maintenance_note.pdf", "Wind Turbine Maintenance Note")
    return [report, scanned, note]


def make_sample_set(folder: str | Path) -> dict[str, Path]:
    """Everything the README's command-line examples use, written into `folder`: `docs/` (the
    sample documents), `extra.pdf` (a two-column paper), `chart.png` (a chart cut from the report,
    for image queries) and `questions.txt` (the sample questions, one a line, for the terminal chat)."""
    folder = Path(folder)
    docs = make_sample_docs(folder / "docs")
    extra = make_two_column_pdf(folder / "extra.pdf")
    chart = folder / "chart.png"
    with pymupdf.open(docs[0]) as d:
        d[1].get_pixmap(dpi=CHART_DPI, clip=pymupdf.Rect(*CHART_CLIP)).save(chart)
    questions = folder / "questions.txt"
    questions.write_text("".join(q["question"] + "\n" for q in SAMPLE_QUESTIONS) + "quit\n", encoding="utf-8")
    return {"docs": folder / "docs", "extra": extra, "chart": chart, "questions": questions}


CHART_CLIP = (60, 80, 540, 420)  # the region of the report's page 2 holding its chart, in points
CHART_DPI = 110  # resolution of the chart image cut from it


def _save(doc: pymupdf.Document, path: Path, title: str) -> Path:
    doc.set_metadata({"title": title, "author": "unirag samples", "creator": "unirag", "producer": "unirag",
                      "creationDate": "", "modDate": ""})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return path
