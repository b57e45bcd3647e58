"""One Chroma collection holding every modality, plus a folder of PNG crops beside it.

Chroma is the single source of truth: the keyword index is derived from it. We always
pass embeddings explicitly (Chroma's built-in embedding function downloads a model).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from unirag.rag.store.sharing import SEEN, StoreBusyError, WriteTracked, last_write_seq
from unirag.rag.types import Chunk, Document, Hit, Query, content_hash

BATCH = 1000
PAGE = 5000  # chunks per read when listing the whole collection
# Test hook, not a setting: with UNIRAG_FAULT_KILL_AFTER_CHUNKS=N in the environment, `add` upserts
# in batches that end exactly at the N-th chunk this process stores, then SIGKILLs the process
# (tests/rag/test_store_fault.py and tests/pipelines/test_crash.py use it to die mid-ingest).
FAULT_KILL_AFTER_CHUNKS = "UNIRAG_FAULT_KILL_AFTER_CHUNKS"
COUNT_TTL = 2.0  # seconds a count (and the look at the files on disk) is trusted for other processes' changes
RETRIES = 5  # reads retried on a reopened store when Chroma fails on segments another process is rewriting
BACKOFF = 0.1  # seconds before the first retry, doubled for each next one (3.1 s in all)
log = logging.getLogger(__name__)
_PLAIN_NAME = re.compile(r"[^./\\\x00-\x1f][^/\\\x00-\x1f]{0,199}")


def safe_name(name: str) -> str:
    """A file/folder name for a doc or chunk id that cannot leave its parent folder: ids without
    path separators, control characters or a leading dot are kept, anything else becomes a hash.

    >>> safe_name("report_2024"), safe_name("../../x")
    ('report_2024', 'id-3b39aa872a67a759')
    """
    plain = _PLAIN_NAME.fullmatch(name) and len(name.encode("utf-8", "surrogatepass")) <= 200
    return name if plain else "id-" + content_hash(name)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename, so readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _batch_ends(n: int, kill_at: int) -> list[int]:
    """Where `add`'s upserts of `n` chunks end: every BATCH chunks and at `n`, and at `kill_at`
    (the FAULT_KILL_AFTER_CHUNKS hook) when it falls inside.

    >>> _batch_ends(2500, 0), _batch_ends(2500, 7), _batch_ends(0, 0)
    ([1000, 2000, 2500], [7, 1000, 2000, 2500], [])
    """
    return sorted({*range(BATCH, n, BATCH), *([n] if n else []), *([kill_at] if 0 < kill_at < n else [])})


def where_clause(query: Query) -> dict | None:
    """Chroma metadata filter for a query's modality/document/page restrictions."""
    conds = []
    for key, values in (("modality", query.modalities), ("doc_id", query.doc_ids), ("page", query.pages)):
        if values:
            conds.append({key: {"$in": list(values)}})
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


def _meta(chunk: Chunk, doc: Document, crop: str) -> dict:
    return {
        "doc_id": chunk.doc_id, "modality": chunk.modality, "page": chunk.page,
        "bbox": json.dumps(chunk.bbox), "order": chunk.order, "section": chunk.section,
        "caption": chunk.caption, "links": json.dumps(list(chunk.links)), "context": chunk.context, "crop": crop,
        "doc_sha": doc.sha256, "doc_chunks": len(doc.chunks), "source": doc.source,
        "meta": json.dumps(chunk.meta, ensure_ascii=False, default=str),
    }


def _chunk(cid: str, text: str, m: dict) -> Chunk:
    bbox = json.loads(m.get("bbox") or "null")
    return Chunk(doc_id=m["doc_id"], modality=m["modality"], page=int(m["page"]), text=text or "",
                 bbox=bbox, order=int(m.get("order", 0)), section=m.get("section", ""),
                 caption=m.get("caption", ""), links=tuple(json.loads(m.get("links") or "[]")),
                 context=m.get("context", ""), meta=json.loads(m.get("meta") or "{}"), id=cid)


class ChromaStore:
    """Embedded (`path`) or client/server (`url`) Chroma store.

    >>> store = ChromaStore(path="/tmp/unirag-doctest")   # nothing is opened yet
    >>> store.to_dict()["collection"]
    'unirag'
    """

    def __init__(self, path: str | Path = ".unirag", url: str | None = None, collection: str = "unirag"):
        self.path = Path(path)
        self.url = url
        self.collection = collection
        self._col: Any = None  # the collection (behind WriteTracked), opened on first use
        self._lock = threading.Lock()
        self.revision = 0  # bumped on every change made through this object
        self._rows: tuple[tuple[int, int], dict] = ((-1, -1), {})  # chunk rows read (all_chunks, hits)
        self._counted = (-1.0, -1, 0)  # (time, revision, count) of the last count
        self._stored = 0  # chunks upserted through this object (for the FAULT_KILL_AFTER_CHUNKS hook)
        self._seq = None  # the store's last write as this object last saw it (`last_write_seq`)
        self._writes = 0  # writes of this object in progress
        self._looked_at = 0.0  # when we last looked for other processes' writes (monotonic seconds)
        self._system: Any = None  # the Chroma System of an embedded store

    def to_dict(self) -> dict:
        return {"path": str(self.path), "url": self.url, "collection": self.collection}

    @property
    def crops_dir(self) -> Path:
        return self.path / "crops"

    def _open(self, fresh: bool = False, look: bool = False):
        """The collection, opened on first use. An embedded store is reopened when `fresh`, or when
        another process has written it since we last looked (Chroma's embedded client keeps the
        vector index it loaded and never sees their additions); we look every COUNT_TTL seconds,
        or now with `look`."""
        if self._col is not None and not fresh and not self.url:
            fresh = (look or time.monotonic() - self._looked_at > COUNT_TTL) and self._written_elsewhere()
        with self._lock:
            if self._col is None or (fresh and not self.url):
                import chromadb
                from chromadb.config import Settings

                settings = Settings(anonymized_telemetry=False)
                if self.url:
                    from urllib.parse import urlparse

                    u = urlparse(self.url)
                    client = chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                                 settings=settings)
                else:
                    self.path.mkdir(parents=True, exist_ok=True)
                    self._seq = self._last_write()  # read first: what we read is at least this new
                    client = self._embedded_client(settings, fresh=self._col is not None)
                col = client.get_or_create_collection(
                    self.collection, configuration={"hnsw": {"space": "ip"}}, embedding_function=None)
                if self._col is not None:
                    self.revision += 1  # what we read may differ: derived indexes rebuild
                self._col = WriteTracked(col, self._writing)
        return self._col

    def _embedded_client(self, settings, fresh: bool):
        """A client on a Chroma System that has seen the store's last write: Chroma shares one per
        path within a process, and it keeps the segments it loaded, so one opened before another
        process wrote is replaced (holders of it, a read in another thread, finish on it)."""
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient

        path = str(self.path / "chroma")
        shared = SharedSystemClient._identifier_to_system.get(path)  # a persistent System's key is its path
        if fresh or shared is None or SEEN.get(shared, -1) != self._seq:
            SharedSystemClient._identifier_to_system.pop(path, None)
        client = chromadb.PersistentClient(path=path, settings=settings)
        self._system = client._system  # type: ignore[attr-defined]  # chromadb's Client has it; ClientAPI does not say so
        SEEN[self._system] = self._seq
        return client

    @contextmanager
    def _writing(self):
        """Around each write through this object (see `WriteTracked`): yields the collection to write
        to, reopened first if another process wrote since we last looked."""
        col = self._open(look=not self.url)
        with self._lock:
            self._writes += 1
        try:
            yield col
        finally:
            with self._lock:
                self._writes -= 1
                self.revision += 1  # whatever the write changed, rows and indexes read before are stale
            if not self.url:
                self._seq = SEEN[self._system] = self._last_write()

    def _last_write(self):
        """`last_write_seq` of this store; while a writer holds the file locked, the one seen before."""
        try:
            return last_write_seq(self.path / "chroma")
        except sqlite3.OperationalError as e:
            log.debug("%s: not checked for other processes' writes: %s", self.path, e)
            return self._seq

    def _written_elsewhere(self) -> bool:
        """Whether another process has written the store since we last looked. A change while a
        write of ours runs is taken for ours: a reopen must not split one (its vectors would go to
        two copies of the index)."""
        self._looked_at = time.monotonic()
        seq = self._last_write()
        if seq == self._seq or seq == SEEN.get(self._system):  # seen, or written through our System
            self._seq = seq
            return False
        if self._quiet():
            return True
        self._seq = seq
        return False

    def _quiet(self) -> bool:
        """No write of ours runs."""
        return self._writes == 0

    def _read(self, what: str, read, look: bool = False):
        """`read(collection)`, retried on a reopened store (after BACKOFF, doubling) while Chroma
        fails with an internal error, as it does on segments another process is rewriting."""
        from chromadb.errors import InternalError

        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                return read(self._open(fresh=attempt > 0 and self._quiet(), look=look))
            except InternalError as e:
                if self.url:
                    raise
                error = e
        raise StoreBusyError(
            f"store {self.path}: {what} failed {RETRIES + 1} times ({error}); another process is probably "
            "writing it: try again when it has finished. An embedded store takes one writer at a time; for "
            "several processes at once, serve it with `chroma run --path "
            f"{self.path / 'chroma'}` and pass --chroma-url") from error

    def recorded_encoder(self) -> dict | None:
        """The encoder config this store was built with, if any. It is data (a store folder or a
        shared server may come from anyone): only a config naming registered encoders is returned."""
        from unirag.rag.encoders import registered_only

        stored = (self._read("reading the encoder", lambda col: col.metadata) or {}).get("unirag_encoder")
        if not stored:
            return None
        where = f"store {self.url or self.path}: recorded encoder"
        try:
            config = json.loads(stored)
        except (TypeError, json.JSONDecodeError) as e:
            raise ValueError(f"{where} is not valid JSON ({e})") from None
        return registered_only(config, where)

    def check_encoder(self, encoder_config: dict, record: bool = True) -> None:
        """Refuse an encoder other than the one the store was built with (vectors would not
        match); with `record`, remember the encoder of a store that has none yet."""
        col = self._open()
        stored = (col.metadata or {}).get("unirag_encoder")
        wanted = json.dumps(encoder_config, sort_keys=True)
        if stored is None:
            if record:
                col.modify(metadata={"unirag_encoder": wanted})
        elif stored != wanted:
            raise ValueError(f"Store {self.path}: built with encoder {stored}, got {wanted}; "
                             "use the same encoder or a new --db")

    def count(self) -> int:
        return self._read("counting chunks", lambda col: col.count())

    def version(self) -> tuple[int, int]:
        """(chunk count, revision): changes whenever this object changes the store, and within
        COUNT_TTL seconds when another process does (the store is reopened then, to see it).
        Counting a 100k collection takes ~15 ms, too much to repeat for every query."""
        now = time.monotonic()
        at, revision, n = self._counted
        if revision != self.revision or now - at > COUNT_TTL:
            n = self._read("counting chunks", lambda col: col.count(), look=True)
            revision = self.revision  # after a reopen by the count
            self._counted = (now, revision, n)
        return n, revision

    def content_key(self) -> str | None:
        """The collection's id, its last write and its chunk count, for an embedded store (the
        collection's id changes when the store is made again, the write sequence only grows);
        None for a server store (its writes cannot be seen from here) or while a writer holds
        the store locked."""
        if self.url:
            return None
        col = self._open()
        try:
            seq = last_write_seq(self.path / "chroma")  # before the count: a write between makes the key stale
        except sqlite3.OperationalError as e:
            log.debug("%s: no content key while it is being written: %s", self.path, e)
            return None
        return f"{col.id}:{seq}:{self.count()}"

    def index_path(self, name: str) -> Path | None:
        """`name` beside the store's chroma/ and crops/ folders; None for a server store."""
        return None if self.url else self.path / safe_name(name)

    def docs(self) -> dict[str, dict]:
        """{doc_id: {"sha256", "chunks" (stored), "expected", "source", "complete"}}. A document
        caught half-way through `add` (a crash) is not complete: its chunks are too few, too
        many (stale ones of the earlier version), or of two versions (then "sha256" is "")."""
        metas = self._read("listing documents", lambda col: [
            m for offset in range(0, col.count(), PAGE)
            for m in col.get(include=["metadatas"], limit=PAGE, offset=offset)["metadatas"]])
        out: dict[str, dict] = {}
        for m in metas:
            d = out.setdefault(m["doc_id"], {"sha256": m["doc_sha"], "chunks": 0,
                                             "expected": m["doc_chunks"], "source": m["source"]})
            d["chunks"] += 1
            if m["doc_sha"] != d["sha256"]:
                d["sha256"] = ""
        for d in out.values():
            d["complete"] = bool(d["sha256"]) and d["chunks"] == d["expected"]
        return out

    def missing_docs(self, doc_ids: Iterable[str]) -> list[str]:
        """The ids among `doc_ids` that the store holds no chunk of."""
        def missing(col) -> list[str]:
            return [d for d in dict.fromkeys(doc_ids) if not col.get(where={"doc_id": d}, limit=1, include=[])["ids"]]

        return self._read("looking up documents", missing)

    def crop_dir(self, doc_id: str) -> Path:
        """The folder of a document's crops: always a direct child of `crops_dir`."""
        return self.crops_dir / safe_name(doc_id)

    def add(self, doc: Document, vectors: np.ndarray) -> int:
        """Store a document's chunks and crops, replacing any earlier version of it.

        Crash-safe order: (1) the crops are written, each atomically; (2) the chunks are upserted
        (ids are content hashes, so unchanged chunks are overwritten in place); (3) chunks and crops
        of the earlier version that the new one lacks are deleted. Until (2) ends the document
        reads as incomplete in `docs()`, so an interrupted ingest redoes it; the earlier version
        stays searchable until the new one is in."""
        if len(vectors) != len(doc.chunks):
            raise ValueError(f"{doc.source}: expected {len(doc.chunks)} vectors, got {len(vectors)}")
        col = self._open()
        folder = self.crop_dir(doc.doc_id)
        ids, texts, metas, keep, crops, seen = [], [], [], [], set(), set()
        for i, c in enumerate(doc.chunks):
            if c.id in seen:  # identical content twice in one document: store it once
                continue
            seen.add(c.id)
            keep.append(i)
            crop = ""
            if c.image:
                name = safe_name(c.id) + ".png"
                folder.mkdir(parents=True, exist_ok=True)
                _write_atomic(folder / name, c.image)
                crops.add(name)
                crop = f"crops/{folder.name}/{name}"
            ids.append(c.id)
            texts.append(c.text)
            metas.append(_meta(c, doc, crop))
        for m in metas:
            m["doc_chunks"] = len(ids)
        vecs = np.asarray(vectors, dtype=np.float32)[keep]
        self.revision += 1
        kill_at = int(os.environ.get(FAULT_KILL_AFTER_CHUNKS) or 0) - self._stored  # a test hook, see its name
        ends = _batch_ends(len(ids), kill_at)
        for s, e in zip([0, *ends], ends):
            col.upsert(ids=ids[s:e], documents=texts[s:e], metadatas=metas[s:e], embeddings=vecs[s:e].tolist())
            if e == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        self._stored += len(ids)
        self._prune(doc.doc_id, set(ids), crops)
        return len(ids)

    def _prune(self, doc_id: str, ids: set[str], crops: set[str]) -> None:
        """Delete a document's chunks not in `ids` and its crop files not in `crops`."""
        col = self._open()
        stale = [cid for cid in col.get(where={"doc_id": doc_id}, include=[])["ids"] if cid not in ids]
        for s in range(0, len(stale), BATCH):
            col.delete(ids=stale[s:s + BATCH])
        self.revision += 1
        folder = self.crop_dir(doc_id)
        if folder.is_dir():
            for f in folder.iterdir():
                if f.name not in crops:
                    f.unlink(missing_ok=True)
            if not crops:
                shutil.rmtree(folder, ignore_errors=True)

    def delete(self, doc_id: str) -> None:
        """Delete a document's chunks, then its crops."""
        self._prune(doc_id, set(), set())

    def orphan_crops(self) -> list[Path]:
        """Crop folders of documents the store does not hold (left by a crash before step 2 of
        `add` for a file that is not ingested again)."""
        if not self.crops_dir.is_dir():
            return []
        known = {safe_name(d) for d in self.docs()}
        return sorted(p for p in self.crops_dir.iterdir() if p.name not in known)

    def search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[Hit]:
        """Dense search; scores are inner products (cosine similarities for unit vectors)."""
        n = self.version()[0]
        if n == 0:
            return []
        embedding = [np.asarray(vector, np.float32).tolist()]
        res = self._read("searching", lambda col: col.query(
            query_embeddings=embedding, n_results=min(k, n), where=where, include=["distances"]))
        return self.hits(res["ids"][0], [1.0 - d for d in res["distances"][0]], "dense")

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk, without crops (to build the keyword index); read in pages, since one
        `get` of ~100k chunks exceeds SQLite's variable limit inside Chroma. The rows are kept
        for `hits` until the store changes: fetching 50 hits' text and metadata from Chroma took
        ~25 ms a query at 100k chunks, far more than the searches themselves."""
        version = self.version()

        def read(col) -> dict:
            rows: dict[str, tuple[str, dict]] = {}
            for offset in range(0, version[0], PAGE):
                res = col.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
                rows.update((cid, (t, m)) for cid, t, m in zip(res["ids"], res["documents"], res["metadatas"]))
            return rows

        rows = self._read("reading chunks", read)
        self._rows = (version, rows)
        return [_chunk(cid, t, m) for cid, (t, m) in rows.items()]

    def _hit(self, cid: str, text: str, m: dict, score: float, source: str) -> Hit:
        crop = self._crop_path(m.get("crop") or "")
        return Hit(chunk=_chunk(cid, text, m), score=float(score), sources=(source,), crop_path=crop)

    def _crop_path(self, rel: str) -> str:
        """The crop file named in chunk metadata, only if it lies inside `crops_dir` (metadata in a
        shared server is not trusted to name other files)."""
        if not rel:
            return ""
        path = (self.path / rel).resolve()
        return str(self.path / rel) if path.is_relative_to(self.crops_dir.resolve()) else ""

    def hits(self, ids: list[str], scores: list[float], source: str) -> list[Hit]:
        """Hits for chunk ids found by another index (e.g. keyword search), in the given order."""
        if not ids:
            return []
        version, rows = self._rows
        now = self.version()
        if version != now:
            rows = {}
            self._rows = (now, rows)
        missing = [cid for cid in ids if cid not in rows]
        if missing:  # kept with the rows: a long-lived process soon holds those it is asked for
            res = self._read("reading hits", lambda col: col.get(ids=missing, include=["documents", "metadatas"]))
            rows.update((cid, (t, m)) for cid, t, m in zip(res["ids"], res["documents"], res["metadatas"]))
        return [self._hit(cid, rows[cid][0], rows[cid][1], score, source) for cid, score in zip(ids, scores) if cid in rows]
