"""Parser processes for ingest: when they can be started, and how they end with their parent.

Ingest starts them with the "spawn" method (forking a process that runs Chroma and torch threads
is unsafe). A spawned process re-runs the main script before it works, so that script must exist
and keep its work under an `if __name__ == "__main__":` guard; `main_rerun_problem` says when it
does not, and ingest then parses in its own process."""
from __future__ import annotations

import ast
import ctypes
import functools
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("unirag.ingest")

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): the signal the kernel sends a process when its parent dies
PARENT_POLL_S = 1.0  # seconds between a parser process's checks that the ingest process is still there
MAIN_GUARDS = ("__name__ == '__main__'", "'__main__' == __name__")  # a guard's test, as ast.unparse writes it


def end_with_parent(parent: int) -> None:
    """Runs first in every parser process, so that it cannot outlive the ingest process (after a
    kill -9 of the ingest it would otherwise wait forever on a queue nobody writes, and keep
    multiprocessing's resource tracker alive too). On Linux the kernel SIGKILLs it when its
    parent dies; everywhere, a daemon thread also checks for the parent every PARENT_POLL_S."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("parser process %d: prctl(PR_SET_PDEATHSIG) failed: %s", os.getpid(),
                        os.strerror(ctypes.get_errno()))
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=watch_parent, args=(parent,), name="unirag-parent-watch", daemon=True).start()


def watch_parent(parent: int) -> None:
    """Return never: end this process once its parent `parent` is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


@functools.cache
def main_rerun_problem() -> str:
    """Why spawned processes cannot start from this program, or "" when they can. An interactive
    session, a notebook, `python -c` and a package's __main__ re-run nothing."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if path is None or name.endswith("__main__") or Path(path).stem == "ipython":
        return ""
    try:
        body = ast.parse(Path(path).read_bytes(), filename=path).body
    except (OSError, SyntaxError, ValueError) as e:
        return f"the main script {path} cannot be read again ({type(e).__name__})"
    if not any(isinstance(node, ast.If) and ast.unparse(node.test) in MAIN_GUARDS for node in body):
        return f'the main script {path} has no `if __name__ == "__main__":` guard'
    return ""


def exit_cause(exitcode: int | None) -> str:
    """How a parser process ended, in words.

    >>> exit_cause(-9), exit_cause(-11), exit_cause(139), exit_cause(None)
    ('killed by SIGKILL (out of memory?)', 'killed by SIGSEGV', 'exit status 139', 'exit status unknown')
    """
    if exitcode is None or exitcode >= 0:
        return f"exit status {'unknown' if exitcode is None else exitcode}"
    name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else f"signal {-exitcode}"
    return f"killed by {name}" + (" (out of memory?)" if exitcode == -signal.SIGKILL else "")
