"""Cold `unirag query` processes on a store: wall time and peak RSS of each, and whether each
exited cleanly. They are started from a small process of their own (`python -m unirag.eval.cold`,
standard library only): a process started from a big one (the bench holds torch and LlamaIndex)
inherits its parent's peak RSS through vfork and exec, which would hide the query's own.

    python -m unirag.eval.cold DB QUESTION [RUNS]    # prints the result as JSON
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

COLD_RUNS = 5  # new `unirag query` processes timed


def cold_queries(db: str, question: str, runs: int = COLD_RUNS) -> dict:
    """Wall time (s) and peak RSS (MB) of `unirag query QUESTION --db DB` in `runs` new processes,
    started from this one."""
    seconds, rss, unclean = [], [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "unirag.pipelines.cli", "query", question, "--db", db, "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds.append(time.perf_counter() - t0)
        rss.append(usage.ru_maxrss / 1024)  # KiB on Linux
        unclean += proc.returncode != 0 or b"terminate called" in err
    return {"runs": runs, "median_s": round(statistics.median(seconds), 2), "max_s": round(max(seconds), 2),
            "peak_rss_mb": round(max(rss), 1), "unclean_exits": unclean}


def measure(db: str, question: str, runs: int = COLD_RUNS) -> dict:
    """`cold_queries`, run from a new small process (see the module's docstring)."""
    done = subprocess.run([sys.executable, "-m", "unirag.eval.cold", db, question, str(runs)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


if __name__ == "__main__":
    print(json.dumps(cold_queries(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:4]))))
