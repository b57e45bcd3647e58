"""Cheap per-stage wall-clock timing (two `perf_counter` calls a stage): the PDF parser's stages
(STAGES), and ingest's encoding per channel and writing (`unirag bench` prints them).

>>> timer = StageTimer()
>>> with timer("tables"):
...     pass
>>> list(timer.seconds)
['tables']
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

STAGES = ("text", "ocr", "tables", "figures", "formulas", "crops", "figure_ocr", "layout")  # the PDF parser's


class StageTimer:
    """Adds the seconds spent inside `with timer(stage):` blocks to `seconds[stage]`."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += perf_counter() - start
