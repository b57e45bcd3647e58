"""The keyword index of one version of a store, and its file beside the store.

A cold `unirag query` used to rebuild BM25 from every stored chunk (read, tokenize, index: about
a second on a corpus of 1,600 chunks, plus half a second importing bm25s and numba). The index is
now written once, after the store changes, and loaded in milliseconds: numpy arrays and one JSON
record in an `.npz` file, read with `allow_pickle=False` (the store folder may come from anyone,
so nothing in it may run code). The file names the store content it was built from
(`Store.content_key`) and a hash of the tokenizing code; a file naming anything else is stale,
and one that does not read back as a consistent index is refused: either way the index is
rebuilt from the store.

>>> snap = Snapshot.empty()
>>> snap.bm25.scores(["anything"]).shape
(0,)
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 1  # bumped whenever the file layout changes
ARRAYS = ("data", "indices", "indptr", "page")
READABLE = 0o644  # the file's mode: the store folder's read bits, and the owner's write bit


class IndexFileError(ValueError):
    """A keyword index file that does not read back as a consistent index."""


def code_fingerprint() -> str:
    """A hash of the modules that decide what an index holds (tokens, searched text, labels):
    an index built by other code is stale."""
    from unirag.rag import text
    from unirag.rag.encoders import base
    from unirag.rag.retrieval import labels

    digest = hashlib.sha256()
    for module in (text, base, labels):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Bm25Scores:
    """BM25 scores precomputed per (token, row), as bm25s builds them (a CSC matrix: the rows
    holding token t and their scores are `indices`/`data[indptr[t]:indptr[t + 1]]`). Summing
    them for a query gives bm25s's `get_scores` exactly, without importing bm25s (and numba)."""

    data: np.ndarray  # float32
    indices: np.ndarray  # row of each score
    indptr: np.ndarray  # len(vocab) + 1 offsets
    vocab: dict[str, int]  # token -> column
    rows: int

    @classmethod
    def from_bm25s(cls, bm25, rows: int) -> Bm25Scores:
        s = bm25.scores
        columns = len(s["indptr"]) - 1  # bm25s adds an empty token to its vocabulary without a column
        vocab = {t: i for t, i in bm25.vocab_dict.items() if i < columns}
        return cls(np.asarray(s["data"], np.float32), np.asarray(s["indices"]), np.asarray(s["indptr"]), vocab, rows)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Each row's summed score for `tokens` (tokens not in the vocabulary add nothing)."""
        out = np.zeros(self.rows, np.float32)
        for t in tokens:
            col = self.vocab.get(t)
            if col is not None:  # added token by token, in bm25s's order, so sums match it to the bit
                start, end = self.indptr[col], self.indptr[col + 1]
                np.add.at(out, self.indices[start:end], self.data[start:end])
        return out


@dataclass(frozen=True)
class Snapshot:
    """The index of one version of the store; replaced whole, never changed in place."""

    version: tuple[int, int]  # (chunk count, store revision) as this process saw it
    bm25: Bm25Scores
    ids: np.ndarray
    modality: np.ndarray
    doc_id: np.ndarray
    page: np.ndarray
    labels: dict  # label -> row numbers

    @classmethod
    def empty(cls, version: tuple[int, int] = (0, 0)) -> Snapshot:
        none = np.asarray([], dtype=str)
        return cls(version, Bm25Scores(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), {}, 0),
                   none, none, none, np.zeros(0, np.int64), {})

    def save(self, path: Path, key: str, config: dict) -> None:
        """Write the index to `path` (atomically), naming the store content `key` it was built from."""
        vocab = sorted(self.bm25.vocab, key=self.bm25.vocab.__getitem__)
        record = {"format": FORMAT, "key": key, "code": code_fingerprint(), "config": config, "vocab": vocab,
                  "ids": self.ids.tolist(), "modality": self.modality.tolist(), "doc_id": self.doc_id.tolist(),
                  "labels": [[list(label), rows] for label, rows in self.labels.items()]}
        buf = io.BytesIO()
        np.savez(buf, data=self.bm25.data, indices=self.bm25.indices, indptr=self.bm25.indptr,
                 page=np.asarray(self.page, np.int64),
                 record=np.frombuffer(json.dumps(record, ensure_ascii=False).encode(), np.uint8))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # a new file: never through a link
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(buf.getvalue())
            os.chmod(tmp, path.parent.stat().st_mode & READABLE)  # readable by whom the store folder is
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, key: str, config: dict, version: tuple[int, int]) -> Snapshot | None:
        """The index in `path` if it was built from store content `key` with `config` by this
        code; None if it is missing or stale. Raises IndexFileError if it is unreadable or
        inconsistent."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {name: z[name] for name in ARRAYS}
                record = json.loads(z["record"].tobytes().decode())
        except (OSError, ValueError, KeyError, EOFError, RecursionError, zipfile.BadZipFile) as e:
            raise IndexFileError(f"{path}: not a keyword index file ({type(e).__name__}: {e})") from None
        if not isinstance(record, dict):
            raise IndexFileError(f"{path}: expected a JSON object as its record, got {type(record).__name__}")
        if (record.get("format"), record.get("key"), record.get("code"), record.get("config")) != (
                FORMAT, key, code_fingerprint(), config):
            return None
        return _checked(path, arrays, record, version)


def _checked(path: Path, arrays: dict, record: dict, version: tuple[int, int]) -> Snapshot:
    """A Snapshot from a file's arrays and record, after checking that they fit together."""
    def expect(ok: bool, what: str) -> None:
        if not ok:
            raise IndexFileError(f"{path}: inconsistent keyword index: expected {what}")

    lists: list = [record.get(k) for k in ("vocab", "ids", "modality", "doc_id")]
    expect(all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in lists),
           "vocab, ids, modality and doc_id as lists of strings")
    vocab, ids, modality, doc_id = lists
    try:
        labels = {(str(kind), str(num)): [int(r) for r in rows] for (kind, num), rows in record.get("labels", [])}
    except (TypeError, ValueError) as e:
        raise IndexFileError(f"{path}: inconsistent keyword index: expected labels as [[kind, number], rows] ({e})") from None
    data, indices, indptr, page = (arrays[k] for k in ARRAYS)
    n = len(ids)
    expect(data.dtype == np.float32 and all(np.issubdtype(a.dtype, np.integer) for a in (indices, indptr, page))
           and data.ndim == indices.ndim == indptr.ndim == page.ndim == 1, "float32 scores and integer vectors")
    expect(len(set(vocab)) == len(vocab), "each vocabulary token once")
    expect(len(modality) == len(doc_id) == len(page) == n, "ids, modality, doc_id and page of one length")
    expect(len(indptr) == len(vocab) + 1 and len(data) == len(indices) and indptr[0] == 0
           and indptr[-1] == len(data) and not np.any(np.diff(indptr) < 0), "offsets that fit the scores")
    expect(not len(indices) or (indices.min() >= 0 and indices.max() < n), "score rows in range")
    expect(all(0 <= r < n for rows in labels.values() for r in rows), "label rows in range")
    bm25 = Bm25Scores(data, indices, indptr, {t: i for i, t in enumerate(vocab)}, n)
    return Snapshot(version, bm25, np.asarray(ids, dtype=str), np.asarray(modality, dtype=str),
                    np.asarray(doc_id, dtype=str), page, labels)
