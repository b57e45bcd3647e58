"""`unirag ingest` killed with SIGKILL while its parser processes work leaves no process behind:
the parser processes (and multiprocessing's resource tracker) end with it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unirag.parsers.samples import make_sample_docs, make_sample_pdf

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 120  # seconds allowed for the ingest to start its parser processes on a loaded machine
# seconds the children of a killed ingest get to end: one caught while still starting up ends when
# its imports are done (about 3 s on a 2-core machine), one at work within a fraction of a second
GONE_S = 15

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads processes from /proc")


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """Text-layer sample documents, enough of them that parsing is still going on when the kill comes."""
    folder = tmp_path_factory.mktemp("orphans") / "docs"
    make_sample_docs(folder)[1].unlink()  # the scanned one: OCR time would only slow the test
    for i in range(8):
        make_sample_pdf(folder / f"copy_{i}.pdf")
    return folder


def children(pid: int) -> dict[int, str]:
    """{pid: command line} of the processes whose parent is `pid`."""
    out = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                out[int(status.parent.name)] = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # the process ended while we looked
            continue
    return out


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its new parent to reap it counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_while_parsing(docs: Path, db: Path, after_first_document: bool) -> tuple[dict[int, str], list[int], float]:
    """Start `unirag ingest --workers 2`, SIGKILL it once both parser processes exist (or once the
    first document is stored, when the workers have surely finished starting up), and return
    (its children at the kill, those still alive GONE_S seconds later, seconds until they ended)."""
    cmd = [sys.executable, "-m", "unirag.pipelines.cli", "ingest", str(docs), "--db", str(db),
           "--encoder", "hash", "--workers", "2", "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_S
    while True:
        kids = children(proc.pid)
        workers = [p for p, cmdline in kids.items() if "spawn_main" in cmdline]
        ready = len(workers) >= 2 and (not after_first_document or any(db.glob("crops/*")))
        if ready or proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the ingest ended before its parser processes were seen"
    assert len(workers) >= 2, kids
    killed = time.monotonic()
    while any(map(alive, kids)) and time.monotonic() < killed + GONE_S:
        time.sleep(0.02)
    seconds = time.monotonic() - killed
    left = [p for p in kids if alive(p)]
    for p in left:  # do not leave them running after a failed test
        os.kill(p, signal.SIGKILL)
    return kids, left, seconds


def orphan_trials(docs: Path, tmp_path: Path, trials: int) -> list[str]:
    log = []
    for trial in range(trials):
        when = "after the first document" if trial % 2 else "as the workers appear"
        kids, left, seconds = kill_while_parsing(docs, tmp_path / f"db{trial}", after_first_document=bool(trial % 2))
        log.append(f"trial {trial}: killed {when}; {len(kids)} children, {len(left)} left after {seconds:.2f} s: "
                   + "; ".join(kids[p][:80] for p in left))
    print("\n".join(log))
    return log


def test_a_killed_ingest_leaves_no_parser_process(docs, tmp_path):
    log = orphan_trials(docs, tmp_path, trials=2)
    assert all(" 0 left" in ln for ln in log), log


WATCHED = """
import multiprocessing, os, time
from unirag.pipelines.workers import watch_parent

if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=watch_parent, args=(os.getpid(),))
    child.start()
    print(child.pid, flush=True)
    time.sleep(600)
"""


def test_without_the_parent_death_signal_the_watchdog_ends_the_worker(tmp_path):
    """The portable fallback alone (no prctl): a process running `watch_parent` ends soon after
    its parent is killed."""
    (tmp_path / "watched.py").write_text(WATCHED)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "watched.py")], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    assert alive(child)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + GONE_S
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


@pytest.mark.slow
def test_ten_killed_ingests_leave_no_parser_process(docs, tmp_path):
    log = orphan_trials(docs, tmp_path, trials=10)
    assert all(" 0 left" in ln for ln in log), log
