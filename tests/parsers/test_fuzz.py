"""Fuzzing the parser entry point with mutated bytes of a sample PDF: it returns a Document or
raises ParseError; it never hangs (bounded time per case) and never crashes the process."""
import concurrent.futures as cf
import multiprocessing
import tempfile
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed: pip install 'unirag[dev]'")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from unirag.parsers.samples import make_sample_docs  # noqa: E402

SECONDS_PER_CASE = 60  # generous: the machine running the suite may be busy


def parse_bytes(data: bytes) -> str:
    """Runs in a child process: "document", or "ParseError: ..."; anything else escapes."""
    from unirag.parsers import ParseError, PdfParser

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.pdf"
        path.write_bytes(data)
        try:
            doc = PdfParser(ocr="off").parse(path)
        except ParseError as e:
            return f"ParseError: {e.reason}"
    assert doc.doc_id == "fuzz" and doc.n_pages >= 1
    return "document"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> bytes:
    note = make_sample_docs(tmp_path_factory.mktemp("fuzz"))[2]
    return note.read_bytes()


@pytest.fixture(scope="module")
def child():
    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**9), st.integers(1, 4096)),
    st.tuples(st.just("insert"), st.integers(0, 10**9), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("repeat"), st.integers(0, 10**9), st.integers(2, 50)),
)


def mutate(data: bytes, edits) -> bytes:
    buf = bytearray(data)
    for kind, at, arg in edits:
        at %= max(len(buf), 1)
        if kind == "flip":
            buf[at:at + 1] = bytes([arg])
        elif kind == "cut":
            del buf[at:at + arg]
        elif kind == "insert":
            buf[at:at] = arg
        else:  # repeat a short run: deep nesting, long tokens
            buf[at:at] = bytes(buf[at:at + 8]) * arg
    return bytes(buf)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_pdfs_give_a_document_or_a_parse_error(sample, child, edits):
    data = mutate(sample, edits)
    future = child.submit(parse_bytes, data)
    try:
        outcome = future.result(timeout=SECONDS_PER_CASE)
    except cf.TimeoutError:
        pytest.fail(f"parser hung for over {SECONDS_PER_CASE} s on a mutated PDF (edits {edits})")
    except BrokenProcessPool:
        pytest.fail(f"parser crashed the process on a mutated PDF (edits {edits})")
    assert outcome == "document" or outcome.startswith("ParseError: ")
