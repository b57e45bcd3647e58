"""The chat web API through FastAPI's TestClient: answers with citations, page images, crops,
uploads (refused when unsafe), the containment of every file-serving route, the host allow-list,
the security headers and error bodies that name no server path."""
import dataclasses
import json
import re
import shutil
import sys
import threading
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("python_multipart")
from fastapi.testclient import TestClient  # noqa: E402

from unirag.parsers.samples import SAMPLE_QUESTIONS, make_sample_pdf  # noqa: E402
from unirag.pipelines.chat import UploadPolicy, create_app  # noqa: E402
from unirag.pipelines.pipeline import Pipeline  # noqa: E402
from unirag.rag.generation import ExtractiveAnswerer, Generator  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
LOCAL = "http://127.0.0.1:8000"  # the server as the page sees it (TestClient's own host is refused)


def local(app) -> TestClient:
    return TestClient(app, base_url=LOCAL)


def events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("chat")
    pdf = make_sample_pdf(root / "docs" / "solar_field_study.pdf")
    pipeline = Pipeline(db=root / "db", encoder={"name": "hash"})
    assert pipeline.ingest([pdf], progress=False).ok
    return root, pipeline


@pytest.fixture()
def client(built):
    root, pipeline = built
    app = create_app(pipeline, uploads=UploadPolicy(root / "db" / "uploads", max_bytes=200_000, max_pages=20))
    with local(app) as c:
        yield c


def ask(client, question: str) -> tuple[list[tuple[str, dict]], dict]:
    r = client.post("/api/ask", json={"question": question})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    evs = events(r.text)
    assert evs[-1][0] == "answer", evs
    return evs, evs[-1][1]


def test_question_streams_answer_then_citations(client):
    q = SAMPLE_QUESTIONS[0]  # the Corran capacity, in Table 1 on page 2
    evs, answer = ask(client, q["question"])
    tokens = [d["text"] for e, d in evs if e == "token"]
    assert tokens and "".join(tokens) == answer["text"]
    assert q["answer"].rstrip("%") in answer["text"] and answer["found"]
    assert answer["generator"] == "extractive" and answer["llm"] is False
    first = answer["citations"][0]
    assert (first["doc_id"], first["page"], first["modality"]) == ("solar_field_study", 2, "table")
    assert first["page_url"].startswith("/api/page/solar_field_study/2.png?bbox=")
    assert first["crop_url"].startswith("/api/crops/solar_field_study/")


def test_info_index_and_docs(client):
    assert client.get("/api/info").json()["llm"] is False
    page = client.get("/")
    assert page.status_code == 200 and "unirag chat" in page.text and '<script src="/static/app.js">' in page.text
    script = client.get("/static/app.js")
    assert script.headers["content-type"].startswith("text/javascript") and "no LLM was used" in script.text
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")
    docs = client.get("/api/docs").json()
    assert [d["doc_id"] for d in docs] == ["solar_field_study"] and docs[0]["complete"]


def test_the_reply_and_its_note_are_in_the_questions_language(client):
    _, english = ask(client, "Which football club won the 1998 league?")
    _, chinese = ask(client, "员工制服是什么颜色？")
    assert english["status"] == chinese["status"] == "refused"
    assert english["note"] == ("Extractive answer from the retrieved evidence; no LLM was used. "
                               "The documents do not seem to answer it; the best hits are listed.")
    assert chinese["text"] == "文档中似乎没有这个问题的答案。" and chinese["note"].startswith("从检索到的证据中抽取的答案")
    assert chinese["top"] and chinese["top"][0]["page_url"].startswith("/api/page/")  # evidence, even so


def test_bad_questions_are_refused(client):
    assert client.post("/api/ask", json={"question": ""}).status_code == 422
    assert client.post("/api/ask", json={"question": "   "}).status_code == 422
    assert client.post("/api/ask", json={"question": "x" * 5000}).status_code == 422
    assert client.post("/api/ask", json={"question": "x", "top_k": 0}).status_code == 422


def test_page_image_is_a_png_with_the_region_outlined(client):
    _, answer = ask(client, SAMPLE_QUESTIONS[0]["question"])
    cited = client.get(answer["citations"][0]["page_url"])
    plain = client.get("/api/page/solar_field_study/2.png")
    assert cited.status_code == plain.status_code == 200
    assert cited.headers["content-type"] == "image/png" and cited.content.startswith(PNG)
    assert cited.content != plain.content  # the highlight is drawn
    assert cited.headers["x-page-count"] == "3" and cited.headers["x-page-size"] == "595,842"  # for the viewer
    assert client.get("/api/page/solar_field_study/99.png").status_code == 404
    assert client.get("/api/page/solar_field_study/1.png?bbox=1,2,3").status_code == 422
    assert client.get("/api/page/nope/1.png").status_code == 404


def test_evidence_crops_are_served(client):
    _, answer = ask(client, SAMPLE_QUESTIONS[1]["question"])  # a figure question
    assert answer["evidence"], answer
    assert {e["modality"] for e in answer["evidence"]} <= {"figure", "table", "formula", "image"}
    r = client.get(answer["evidence"][0]["crop_url"])
    assert r.status_code == 200 and r.content.startswith(PNG)


@pytest.mark.parametrize("url", [
    "/api/crops/../chroma/chroma.sqlite3",
    "/api/crops/..%2F..%2Fdocs%2Fsolar_field_study.pdf",
    "/api/crops/%2e%2e/%2e%2e/docs/solar_field_study.pdf",
    "/api/crops/%2Fetc%2Fpasswd",
    "/api/crops//etc/passwd",
    "/api/crops/solar_field_study/..%2F..%2F..%2Fdocs%2Fsolar_field_study.pdf",
    "/api/page/..%2F..%2Fetc%2Fpasswd/1.png",
    "/api/page/%2Fetc%2Fpasswd/1.png",
    "/api/jobs/..%2F..%2Fetc%2Fpasswd",
    "/static/../../pipelines/cli.py",
    "/..%2F..%2Fpyproject.toml",
])
def test_file_routes_never_leave_their_folders(client, url):
    r = client.get(url)
    assert r.status_code == 404, (url, r.status_code, r.content[:80])
    assert b"sqlite" not in r.content.lower() and b"root:" not in r.content and b"%PDF" not in r.content


def test_crops_route_serves_only_pngs_inside_the_crops_folder(client, built):
    root, _ = built
    (root / "db" / "crops" / "notes.txt").write_text("secret")
    (root / "db" / "outside.png").write_bytes(PNG + b"secret")
    (root / "db" / "crops" / "inside.png").write_bytes(PNG + b"fine")
    assert client.get("/api/crops/notes.txt").status_code == 404
    assert client.get("/api/crops/inside.png").content == PNG + b"fine"
    for url in ("/api/crops/..%2Foutside.png", "/api/crops/%2e%2e/outside.png",
                "/api/crops/x/..%2F..%2Foutside.png", f"/api/crops/{root}/db/outside.png"):
        assert client.get(url).status_code == 404, url


def upload(client, name: str, data: bytes):
    return client.post("/api/upload", files=[("files", (name, data, "application/pdf"))])


def test_upload_refuses_non_pdf_oversize_and_traversal_names(client, built, tmp_path):
    root, _ = built
    pdf = make_sample_pdf(tmp_path / "s.pdf").read_bytes()
    r = upload(client, "notes.pdf", b"just some text, not a PDF")
    assert r.status_code == 400 and "expected a PDF" in r.json()["rejected"][0]["error"]
    r = upload(client, "big.pdf", pdf + b"\n%" + b"x" * 200_000)
    assert r.status_code == 400 and "expected at most 200000 bytes" in r.json()["rejected"][0]["error"]
    for name in ("../../x.pdf", "..\\..\\x.pdf", "/etc/x.pdf", "..", "a.txt"):
        r = upload(client, name, pdf)
        assert r.status_code == 400, name
    assert not (root / "x.pdf").exists() and not (root / "db" / "x.pdf").exists()
    uploaded = root / "db" / "uploads"
    assert not uploaded.exists() or not any(uploaded.glob("x*.pdf"))


def test_upload_ingests_in_the_background_then_answers(client, built, tmp_path):
    root, _ = built
    make_sample_pdf(tmp_path / "s.pdf")
    r = upload(client, "My Field Study.pdf", (tmp_path / "s.pdf").read_bytes())
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == ["My_Field_Study.pdf"]
    status = client.app.state.jobs.wait(r.json()["job"], timeout=120)
    assert status["state"] == "done" and status["done"] == status["total"] == 1, status
    assert client.get(f"/api/jobs/{r.json()['job']}").json()["files"][0]["chunks"] > 0
    assert (root / "db" / "uploads" / "My_Field_Study.pdf").is_file()
    assert "My_Field_Study" in [d["doc_id"] for d in client.get("/api/docs").json()]
    assert client.get("/api/page/My_Field_Study/1.png").content.startswith(PNG)
    # the source file moves away: the page route says so instead of failing
    shutil.move(root / "db" / "uploads" / "My_Field_Study.pdf", tmp_path / "moved.pdf")
    r = client.get("/api/page/My_Field_Study/1.png")
    assert r.status_code == 404 and "no longer there" in r.json()["detail"]
    assert client.get("/api/jobs/999").status_code == 404


def test_an_empty_store_answers_that_nothing_was_found(tmp_path):
    app = create_app(Pipeline(db=tmp_path / "db", encoder={"name": "hash"}))
    with local(app) as c:
        _, answer = ask(c, "What is the capacity?")
        assert answer["found"] is False and answer["citations"] == []
        assert c.get("/api/docs").json() == []


def test_missing_server_extra_names_the_pip_command(tmp_path, monkeypatch, capsys):
    from unirag.pipelines.cli import main

    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'unirag\[server\]'"):
        create_app(Pipeline(db=tmp_path / "db", encoder={"name": "hash"}))
    assert main(["chat", "--db", str(tmp_path / "db"), "--encoder", "hash"]) == 2
    assert "pip install 'unirag[server]'" in capsys.readouterr().err


class SlowWords(Generator):
    """Streams the extractive answer word by word with a pause, like an LLM would."""

    name = "slow-words"

    def __init__(self, pause: float = 0.0):
        self.pause = pause
        self.inner = ExtractiveAnswerer()

    def generate(self, question, hits):
        return self.inner.generate(question, hits)

    def stream(self, question, hits):
        answer = self.generate(question, hits)
        for i, word in enumerate(answer.text.split(" ")):
            time.sleep(self.pause)
            yield word if i == 0 else " " + word
        yield dataclasses.replace(answer, generator=self.name)

    def to_dict(self):
        return {"name": self.name}


def test_generator_pieces_are_relayed_one_event_each(built, monkeypatch):
    _, pipeline = built
    monkeypatch.setattr(pipeline, "generator", SlowWords())
    with local(create_app(pipeline)) as c:
        evs, answer = ask(c, SAMPLE_QUESTIONS[4]["question"])
        info = c.get("/api/info").json()
    assert info["generator"] == "slow-words" and info["llm"] is True
    tokens = [d["text"] for e, d in evs if e == "token"]
    assert len(tokens) == len(answer["text"].split(" ")) > 3 and "".join(tokens) == answer["text"]
    assert answer["llm"] is True and "ventilation louvres" in answer["text"]


@pytest.mark.integration
def test_answers_stream_through_a_real_server_before_they_finish(built, monkeypatch):
    import httpx
    import uvicorn

    _, pipeline = built
    monkeypatch.setattr(pipeline, "generator", SlowWords(pause=0.15))
    server = uvicorn.Server(uvicorn.Config(create_app(pipeline), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        arrivals = []
        with httpx.stream("POST", f"http://127.0.0.1:{port}/api/ask", timeout=30,
                          json={"question": SAMPLE_QUESTIONS[4]["question"]}) as r:
            for line in r.iter_lines():
                if line.startswith("event: "):
                    arrivals.append((line[7:], time.perf_counter()))
    finally:
        server.should_exit = True
        thread.join(10)
    assert arrivals[-1][0] == "answer" and len(arrivals) > 4
    first_token = arrivals[0][1]
    assert arrivals[-1][1] - first_token > 0.15 * (len(arrivals) - 3)  # the first piece came early


def test_posts_from_other_sites_are_refused(client, tmp_path):
    pdf = make_sample_pdf(tmp_path / "s.pdf").read_bytes()
    evil = {"Origin": "http://evil.example"}
    r = client.post("/api/upload", files=[("files", ("x.pdf", pdf, "application/pdf"))], headers=evil)
    assert r.status_code == 403 and "origin http://evil.example" in r.json()["detail"]
    assert client.post("/api/ask", json={"question": "capacity"}, headers=evil).status_code == 403
    same = {"Origin": LOCAL}  # the page itself
    assert client.post("/api/ask", json={"question": "capacity"}, headers=same).status_code == 200
    assert client.get("/api/docs", headers=evil).status_code == 200  # reads need no origin check


def test_a_dns_rebinding_request_is_refused(client):
    """Another site's name pointed at this machine: its page may not read, ask or upload."""
    rebound = {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}
    r = client.post("/api/ask", json={"question": "capacity"}, headers=rebound)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/plain")
    assert "unknown host name" in r.text and len(r.text) < 200
    for url in ("/", "/api/docs", "/api/info", "/static/app.js", "/api/page/solar_field_study/1.png", "/api/jobs/1"):
        assert client.get(url, headers={"Host": "evil.example:8000"}).status_code == 403, url
    assert client.get("/api/docs", headers={"Host": "testserver"}).status_code == 403
    assert client.get("/api/docs", headers={"Host": "127.0.0.1.evil.example"}).status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "127.0.0.1", "localhost:8000", "LocalHost", "[::1]:8000"])
def test_loopback_names_are_served(client, host):
    assert client.get("/api/info", headers={"Host": host}).status_code == 200


def test_chat_command_serves_its_host_and_the_allowed_names(tmp_path, monkeypatch):
    from unirag.pipelines import chat
    from unirag.pipelines.cli import main

    served = {}
    monkeypatch.setattr(chat, "serve", lambda app, host, port: served.update(app=app))
    assert main(["chat", "--db", str(tmp_path / "db"), "--encoder", "hash", "--host", "192.168.1.5",
                 "--allow-host", "chat.lan", "--allow-host", "fe80::1"]) == 0
    with TestClient(served["app"], base_url="http://chat.lan:8000") as c:
        for host, status in [("chat.lan:8000", 200), ("192.168.1.5:8000", 200), ("[fe80::1]:8000", 200),
                             ("localhost:8000", 200), ("192.168.1.6:8000", 403), ("evil.example", 403)]:
            assert c.get("/api/info", headers={"Host": host}).status_code == status, host


def test_every_response_carries_the_security_headers(client):
    evil = {"Origin": "http://evil.example"}
    for r in (client.get("/"), client.get("/static/app.js"), client.get("/api/info"), client.get("/api/nope"),
              client.get("/api/page/nope/1.png"), client.get("/", headers={"Host": "evil.example"}),
              client.post("/api/ask", json={"question": "capacity"}, headers=evil),
              client.post("/api/ask", json={"question": "capacity"})):
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer"
        policy = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == policy["script-src"] == "'self'" and "unsafe" not in str(policy)
        assert policy["object-src"] == policy["frame-ancestors"] == policy["base-uri"] == "'none'"


def test_the_page_has_no_inline_script_or_style(client):
    page = client.get("/").text.lower()
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js">']
    assert "<style" not in page and " style=" not in page and "javascript:" not in page
    assert not re.search(r"\son\w+=", page)  # no inline event handlers either


def test_error_bodies_name_no_server_path(tmp_path, monkeypatch, caplog):
    pdf = make_sample_pdf(tmp_path / "docs" / "report.pdf")
    pipeline = Pipeline(db=tmp_path / "db", encoder={"name": "hash"})
    assert pipeline.ingest([pdf], progress=False).ok
    app = create_app(pipeline)
    bodies = []
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        def get(url, status, **kw):
            r = c.get(url, **kw)
            assert r.status_code == status, (url, r.text)
            bodies.append(r.text)
            return r

        assert get("/api/page/report/99.png", 404).json()["detail"].startswith(
            "report page 99: expected a page from 1 to ")
        assert get(f"/api/crops/{tmp_path}/db/crops/x.png", 404).json()["detail"] == "no such crop"
        r = upload(c, "notes.pdf", b"not a PDF")
        assert r.status_code == 400 and "notes.pdf: expected a PDF" in r.text
        bodies.append(r.text)

        def failing_ingest(paths, progress=False, on_page=None, force=False):
            raise OSError(f"{paths[0]}: disk full")
        monkeypatch.setattr(pipeline, "ingest", failing_ingest)
        job = upload(c, "more.pdf", pdf.read_bytes()).json()["job"]
        app.state.jobs.wait(job, timeout=30)
        assert get(f"/api/jobs/{job}", 200).json()["files"][0]["error"] == "OSError: more.pdf: disk full"

        pdf.write_bytes(b"%PDF-1.7 broken")
        assert get("/api/page/report/1.png", 409).json()["detail"] == (
            "report: its file has changed since it was ingested; ingest the new version to see its pages")
        pdf.unlink()
        assert get("/api/page/report/1.png", 404).json()["detail"].startswith(
            "report page 1: the source file is no longer there")

        def broken_docs():
            raise OSError(f"{tmp_path}/db/chroma/chroma.sqlite3: disk I/O error")
        monkeypatch.setattr(pipeline.store, "docs", broken_docs)
        assert get("/api/docs", 500).json() == {"detail": "internal error: the server's log has the details"}
        r = get("/api/page/report/1.png", 500)
        assert r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
        monkeypatch.setattr(pipeline, "retrieve", lambda q, k: broken_docs())
        evs, = [events(c.post("/api/ask", json={"question": "capacity"}).text)]
        assert evs == [("error", {"message": "internal error: the server's log has the details"})]
        bodies.append(json.dumps(evs))
    for body in bodies:
        assert str(tmp_path) not in body and str(tmp_path.resolve()) not in body and "report.pdf" not in body
    logged = [r for r in caplog.records if r.name == "unirag.chat" and r.exc_info]
    assert any("chroma.sqlite3" in str(r.exc_info[1]) for r in logged)  # the log keeps the details


@pytest.fixture()
def two_docs(tmp_path):
    """A store of its own with two documents: one ingested from the user's folder, one uploaded."""
    own = make_sample_pdf(tmp_path / "docs" / "field_notes.pdf")
    pipeline = Pipeline(db=tmp_path / "db", encoder={"name": "hash"})
    assert pipeline.ingest([own], progress=False).ok
    app = create_app(pipeline)
    with local(app) as c:
        job = upload(c, "uploaded.pdf", own.read_bytes()).json()["job"]
        assert app.state.jobs.wait(job, 60)["state"] == "done"
        yield c, tmp_path, own


def doc_ids(client) -> list[str]:
    return [d["doc_id"] for d in client.get("/api/docs").json()]


def test_delete_a_document_with_its_crops_and_its_uploaded_file(two_docs):
    c, root, own = two_docs
    assert doc_ids(c) == ["field_notes", "uploaded"] and (root / "db" / "crops" / "uploaded").is_dir()
    r = c.delete("/api/docs/uploaded")
    assert r.status_code == 200 and r.json()["deleted"] == "uploaded" and r.json()["file_removed"] is True
    assert r.json()["chunks"] > 0 and doc_ids(c) == ["field_notes"]
    assert not (root / "db" / "uploads" / "uploaded.pdf").exists() and not (root / "db" / "crops" / "uploaded").exists()
    _, answer = ask(c, SAMPLE_QUESTIONS[0]["question"])
    assert {x["doc_id"] for x in answer["citations"] + answer["top"]} == {"field_notes"}

    r = c.delete("/api/docs/field_notes")
    assert r.status_code == 200 and r.json()["file_removed"] is False and own.is_file()  # the user's own file stays
    assert doc_ids(c) == []
    _, answer = ask(c, SAMPLE_QUESTIONS[0]["question"])
    assert answer["found"] is False and answer["citations"] == answer["top"] == []
    r = c.delete("/api/docs/field_notes")
    assert r.status_code == 404 and r.json()["detail"] == "field_notes: no such document in the store"


def test_reingest_parses_the_file_again(two_docs):
    c, root, own = two_docs
    chunks = {d["doc_id"]: d["chunks"] for d in c.get("/api/docs").json()}
    r = c.post("/api/docs/field_notes/reingest")
    assert r.status_code == 202 and r.json()["doc_id"] == "field_notes"
    status = c.app.state.jobs.wait(r.json()["job"], 60)
    assert status["files"][0]["state"] == "done" and status["files"][0]["chunks"] == chunks["field_notes"]  # not "unchanged"
    assert {d["doc_id"]: d["chunks"] for d in c.get("/api/docs").json()} == chunks
    own.unlink()
    r = c.post("/api/docs/field_notes/reingest")
    assert r.status_code == 409 and r.json()["detail"].startswith("field_notes: its source file is no longer there")
    r = c.post("/api/docs/nope/reingest")
    assert r.status_code == 404 and r.json()["detail"] == "nope: no such document in the store"
    for body in (r.text, c.post("/api/docs/field_notes/reingest").text):
        assert str(root) not in body and "field_notes.pdf" not in body


def test_a_document_being_ingested_is_neither_deleted_nor_queued_again(two_docs, monkeypatch):
    c, _, _ = two_docs
    pipeline, release = c.app.state.jobs.pipeline, threading.Event()
    real = pipeline.ingest

    def slow_ingest(*args, **kwargs):
        release.wait(30)
        return real(*args, **kwargs)
    monkeypatch.setattr(pipeline, "ingest", slow_ingest)
    job = c.post("/api/docs/uploaded/reingest").json()["job"]
    try:
        for r in (c.delete("/api/docs/uploaded"), c.post("/api/docs/uploaded/reingest")):
            assert r.status_code == 409 and r.json()["detail"] == "uploaded: being ingested; try again when its job is done"
        assert c.delete("/api/docs/field_notes").status_code == 200  # another document may go
    finally:
        release.set()
    assert c.app.state.jobs.wait(job, 60)["state"] == "done"
    assert c.delete("/api/docs/uploaded").status_code == 200


@pytest.mark.parametrize("method, url", [
    ("DELETE", "/api/docs/..%2F..%2Fetc%2Fpasswd"), ("DELETE", "/api/docs/%2Fetc%2Fpasswd"),
    ("DELETE", "/api/docs/../uploads"), ("POST", "/api/docs/..%2Fsolar_field_study/reingest"),
    ("POST", "/api/docs/%2Fetc%2Fpasswd/reingest"), ("DELETE", "/api/docs/solar_field_study.pdf"),
])
def test_document_routes_take_ids_never_paths(client, method, url):
    r = client.request(method, url)
    assert r.status_code == 404, (url, r.status_code)
    assert b"root:" not in r.content and b"%PDF" not in r.content
    assert "solar_field_study" in doc_ids(client)


def test_deletes_and_reingests_from_other_sites_are_refused(client):
    evil = {"Origin": "http://evil.example"}
    for r in (client.delete("/api/docs/solar_field_study", headers=evil),
              client.post("/api/docs/solar_field_study/reingest", headers=evil),
              client.delete("/api/docs/solar_field_study", headers={"Host": "evil.example:8000"}),
              client.post("/api/docs/solar_field_study/reingest", headers={"Host": "evil.example:8000"})):
        assert r.status_code == 403
    assert "solar_field_study" in doc_ids(client)


def test_a_file_other_than_the_one_ingested_is_never_shown_read_again_or_removed(two_docs):
    """A store names its documents' files and is not trusted: where the file at a source path
    is not the one ingested (rewritten, or another file the store points at), its pages are not
    shown, it is not parsed again, and an uploaded one is not deleted with its document."""
    c, root, own = two_docs
    assert c.get("/api/page/field_notes/1.png").status_code == 200
    own.write_bytes(own.read_bytes() + b"\n% another file\n")
    for r in (c.get("/api/page/field_notes/1.png"), c.post("/api/docs/field_notes/reingest")):
        assert r.status_code == 409 and "has changed since it was ingested" in r.json()["detail"]
        assert str(root) not in r.text
    copy = root / "db" / "uploads" / "uploaded.pdf"
    copy.write_bytes(copy.read_bytes() + b"\n% another file\n")
    r = c.delete("/api/docs/uploaded")
    assert r.status_code == 200 and r.json()["file_removed"] is False and copy.exists()
