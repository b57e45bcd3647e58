"""Security defaults: no remote code from model hubs, no pickle loading, and nothing a document
names (its id, file name or stored metadata) can read or write outside the store's folder."""
import ast
import shutil
from pathlib import Path

import numpy as np

from unirag.parsers.samples import make_sample_pdf
from unirag.pipelines.cli import main
from unirag.rag.store import ChromaStore
from unirag.rag.store.chroma import safe_name
from unirag.rag.types import Chunk, Document

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("rag", "parsers", "pipelines", "eval")
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def sources():
    for pkg in PACKAGES:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def test_no_trust_remote_code_anywhere():
    hits = [str(p.relative_to(ROOT)) for p in sources() if "trust_remote_code" in p.read_text(encoding="utf-8")]
    assert not hits


def test_no_pickle_loading_of_files():
    problems = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                problems += [f"{path.name}: import {a.name}" for a in node.names if a.name in UNSAFE_MODULES]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
                problems.append(f"{path.name}: from {node.module} import")
            elif isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name.endswith(("torch.load", "read_pickle")):
                    problems.append(f"{path.name}: {name}()")
                for kw in node.keywords:
                    if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                        problems.append(f"{path.name}: allow_pickle")
    assert not problems


def _doc(doc_id: str) -> Document:
    chunk = Chunk(doc_id=doc_id, modality="figure", page=1, text="a chart", bbox=(0, 0, 10, 10), image=b"\x89PNG")
    return Document(doc_id=doc_id, source="x.pdf", sha256="s", n_pages=1, chunks=(chunk,))


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_malicious_doc_ids_cannot_write_or_delete_outside_the_crops_folder(tmp_path):
    db = tmp_path / "a" / "b" / "db"
    sentinel = tmp_path / "a" / "keep.txt"
    db.mkdir(parents=True)
    sentinel.write_text("precious")
    store = ChromaStore(path=db)
    outside = _files(tmp_path) - _files(db)
    for doc_id in ["../../x", "..", ".", "/etc/evil", "a/../../b", "..\\..\\w", ".hidden", "ok\x00id"]:
        store.add(_doc(doc_id), np.eye(1, 4, dtype=np.float32))
        folder = store.crop_dir(doc_id)
        assert folder.parent == store.crops_dir and folder.name == safe_name(doc_id)
        assert any(folder.iterdir())
        store.delete(doc_id)
        assert not folder.exists()
    assert _files(tmp_path) - _files(db) == outside and sentinel.read_text() == "precious"
    assert (db / "chroma").is_dir()


def test_a_file_named_dot_dot_pdf_stays_inside_the_store(tmp_path, capsys):
    docs = tmp_path / "docs"
    make_sample_pdf(docs / "...pdf")  # its stem, the document id, is ".."
    db = tmp_path / "db"
    assert main(["ingest", str(docs / "...pdf"), "--db", str(db), "--encoder", "hash", "-q"]) == 0
    crops = [p for p in (db / "crops").rglob("*.png")]
    assert crops and all(p.parent.parent == db / "crops" for p in crops)
    assert main(["rm", "..", "--db", str(db)]) == 0
    assert (db / "chroma").is_dir() and not list((db / "crops").rglob("*.png"))
    shutil.rmtree(docs)


def test_crop_paths_from_stored_metadata_never_point_outside_the_store(tmp_path):
    store = ChromaStore(path=tmp_path / "db")
    store.add(_doc("d"), np.eye(1, 4, dtype=np.float32))
    col = store._open()
    cid = col.get()["ids"][0]
    meta = col.get(ids=[cid])["metadatas"][0]
    col.update(ids=[cid], metadatas=[{**meta, "crop": "../../../etc/passwd"}])  # a tampered shared server
    hit = store.search(np.eye(1, 4, dtype=np.float32)[0], k=1)[0]
    assert hit.crop_path == ""
    col.update(ids=[cid], metadatas=[meta])
    assert store.search(np.eye(1, 4, dtype=np.float32)[0], k=1)[0].crop_path.startswith(str(store.crops_dir))
