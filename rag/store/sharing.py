"""Sharing an embedded Chroma store between processes: which write a store has seen, which writes
are a store object's own, and the error for a read that kept failing while another process wrote."""
from __future__ import annotations

import sqlite3
import weakref
from contextlib import closing
from pathlib import Path

SQLITE_WAIT = 1.0  # seconds to wait for a writer's lock on the SQLite file when looking for its writes
SEEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Chroma System -> `last_write_seq` it has seen


class StoreBusyError(RuntimeError):
    """A read of an embedded store kept failing, even on a reopened store: most likely another
    process was writing it."""


def last_write_seq(folder: Path):
    """The sequence number of the last write applied to the embedded store in `folder`, by any
    process (Chroma's `max_seq_id` table); None before the first. The SQLite file's mtime is no
    use: Chroma touches it on reads too. Raises sqlite3.OperationalError while a writer holds the
    file locked for longer than SQLITE_WAIT."""
    db = Path(folder) / "chroma.sqlite3"
    if not db.exists():
        return None
    with closing(sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, timeout=SQLITE_WAIT)) as con:
        return con.execute("SELECT MAX(seq_id) FROM max_seq_id").fetchone()[0]


class WriteTracked:
    """A Chroma collection whose writes each run inside `writing()`, a context manager that
    yields the collection to write to (its store may have reopened it since), so that the store
    tells its own changes on disk from other processes'."""

    WRITES = frozenset({"add", "update", "upsert", "delete", "modify"})

    def __init__(self, col, writing):
        self.col, self._writing = col, writing

    def __getattr__(self, name: str):
        if name not in self.WRITES:
            return getattr(self.col, name)

        def write(*args, **kwargs):
            with self._writing() as tracked:
                return getattr(tracked.col, name)(*args, **kwargs)

        return write
