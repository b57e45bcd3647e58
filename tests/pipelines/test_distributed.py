"""`unirag ingest --ray`: parse+embed as Ray tasks (a local Ray instance), written to a real
`chroma run` server; the result equals a local ingest of the same files."""

import numpy as np
import pytest

from unirag.parsers.samples import make_sample_docs, make_two_column_pdf
from unirag.pipelines.cli import main
from unirag.pipelines.pipeline import Pipeline
from unirag.rag.store import ChromaStore

pytestmark = pytest.mark.integration
ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'unirag[distributed]'")


def _rows(store: ChromaStore) -> dict:
    res = store._open().get(include=["metadatas", "embeddings"])
    return {cid: (m, np.asarray(v)) for cid, m, v in zip(res["ids"], res["metadatas"], res["embeddings"])}


def test_ray_ingest_into_a_chroma_server_matches_a_local_ingest(chroma_server, tmp_path, capsys):
    docs = tmp_path / "docs"
    good = [p for p in make_sample_docs(docs) if "scanned" not in p.stem]
    (docs / "solar_field_study_scanned.pdf").unlink()  # OCR time is not what this test is about
    good.append(make_two_column_pdf(docs / "two_column.pdf"))
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00" * 100)
    db = tmp_path / "db"
    try:
        code = main(["ingest", str(docs), "--db", str(db), "--chroma-url", chroma_server,
                     "--encoder", "hash", "-q", "--ray"])
    finally:
        ray.shutdown()
    out, err = capsys.readouterr()
    assert code == 1 and f"ingested {len(good)} document(s)" in out and "1 failed" in out
    assert "broken.pdf" in err  # a bad file is reported by name; the batch goes on

    local = Pipeline(db=tmp_path / "local", encoder={"name": "hash"})
    assert local.ingest(good, progress=False).ok
    remote_store = ChromaStore(path=db, url=chroma_server)
    remote, want = _rows(remote_store), _rows(local.store)
    assert set(remote) == set(want)
    for cid, (meta, vec) in want.items():
        crop = meta["crop"]
        assert remote[cid][0] == meta and np.allclose(remote[cid][1], vec)
        if crop:  # crops are written by the driver under --db
            assert (db / crop).read_bytes() == (tmp_path / "local" / crop).read_bytes()
    assert all(d["complete"] for d in remote_store.docs().values())
    # a second run skips every unchanged document without starting Ray
    assert main(["ingest", *map(str, good), "--db", str(db), "--chroma-url", chroma_server,
                 "--encoder", "hash", "-q", "--ray"]) == 0
    assert f"{len(good)} unchanged" in capsys.readouterr().out and not ray.is_initialized()
