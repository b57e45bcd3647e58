"""The chat web app: one Pipeline behind a small JSON/SSE API and a static page.

Routes: `GET /` (the page), `GET /api/info`, `GET /api/docs`, `POST /api/ask` (server-sent
events: `token` pieces from `Generator.stream()`, then `answer` with citations and evidence
crops), `GET /api/page/{doc_id}/{page}.png?bbox=x0,y0,x1,y1` (the page rendered from the
document's source file, cited region outlined), `GET /api/crops/{path}` (stored crops, only
from DB/crops), `POST /api/upload` (PDFs, checked, then ingested in the background),
`GET /api/jobs/{id}` (ingest progress), `DELETE /api/docs/{id}` (a document's chunks and crops,
and its file when it was uploaded) and `POST /api/docs/{id}/reingest` (parse its file again, in
the background); the page's script and style are `/static/app.js` and `/static/app.css`. Pages
are shown, files re-read or removed only while the file at a document's source path is the one
ingested (same SHA-256): the store names those paths, and a store is not trusted.

Every request must name the server by an allowed host name (the loopback names and those
given to `create_app`), so a page of another site that rebinds its DNS name to this machine
gets 403; posts from another site's page (its `Origin`) get 403 too. Every response carries a
Content-Security-Policy without inline script, and error bodies name documents and pages,
never files on the server.

>>> from unirag.pipelines.pipeline import Pipeline
>>> create_app(Pipeline(db="/tmp/unirag-doctest-chat", encoder={"name": "hash"})).title
'unirag chat'
"""

import json
import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

# No `from __future__ import annotations` here: FastAPI reads the route signatures, whose types
# (the Ask model, UploadFile) are imported lazily, inside the functions that declare the routes.

from unirag.pipelines.chat.guard import SECURITY_HEADERS, allowed_names, refusal, without_paths
from unirag.pipelines.chat.jobs import IngestJobs
from unirag.pipelines.chat.pages import PageRenderer, PageRenderError, source_state
from unirag.pipelines.chat.uploads import UploadError, UploadPolicy
from unirag.rag.factory import require
from unirag.rag.generation import GenerationError
from unirag.rag.generation.phrases import note
from unirag.rag.types import Answer, Hit, Query

log = logging.getLogger("unirag.chat")
STATIC = Path(__file__).resolve().parent / "static"
THUMB_MODALITIES = ("figure", "table", "formula", "image")
MAX_QUESTION = 2000
STATIC_TYPES = {"app.js": "text/javascript", "app.css": "text/css"}
INTERNAL_ERROR = "internal error: the server's log has the details"


def crop_url(crop_path: str, crops_dir: Path) -> str:
    """URL of a stored crop, or "" when it is not inside `crops_dir`."""
    if not crop_path:
        return ""
    try:
        rel = Path(crop_path).resolve().relative_to(crops_dir.resolve())
    except ValueError:
        return ""
    return "/api/crops/" + quote(rel.as_posix())


def page_url(doc_id: str, page: int, bbox) -> str:
    url = f"/api/page/{quote(doc_id, safe='')}/{int(page)}.png"
    return url if bbox is None else url + "?bbox=" + ",".join(f"{v:g}" for v in bbox)


def answer_json(answer: Answer, crops_dir: Path) -> dict:
    """The final answer as the page shows it: text, citations with page links, evidence crops."""
    crops = {h.chunk.id: h.crop_path for h in answer.hits}
    citations = [{"n": i, "doc_id": c.doc_id, "page": c.page, "bbox": c.bbox, "modality": c.modality,
                  "chunk_id": c.chunk_id, "label": c.label(), "page_url": page_url(c.doc_id, c.page, c.bbox),
                  "crop_url": crop_url(c.source or crops.get(c.chunk_id, ""), crops_dir)}
                 for i, c in enumerate(answer.citations, 1)]
    evidence = [_evidence(h, crops_dir) for h in answer.hits
                if h.chunk.modality in THUMB_MODALITIES and crop_url(h.crop_path, crops_dir)]
    found = [{"doc_id": e.doc_id, "page": e.page, "modality": e.modality, "score": e.score, "bbox": e.bbox,
              "page_url": page_url(e.doc_id, e.page, e.bbox)} for e in answer.evidence]
    return {"question": answer.question, "text": answer.text, "short": answer.short, "status": answer.status,
            "found": answer.found, "generator": answer.generator, "llm": answer.generator != "extractive",
            "note": note(answer.question, answer.generator, answer.status),
            "citations": citations, "evidence": evidence, "top": found}


def _evidence(hit: Hit, crops_dir: Path) -> dict:
    c = hit.chunk
    return {"doc_id": c.doc_id, "page": c.page, "modality": c.modality, "caption": c.caption or c.text[:120],
            "bbox": c.bbox, "crop_url": crop_url(hit.crop_path, crops_dir),
            "page_url": page_url(c.doc_id, c.page, c.bbox)}


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def ask_events(pipeline, question: str, top_k: int = 10):
    """Server-sent events for one question: `token`s, then `answer` (or `error`)."""
    try:
        for part in pipeline.stream(question, top_k=top_k):
            if isinstance(part, str):
                yield sse("token", {"text": part})
            else:
                yield sse("answer", answer_json(part, pipeline.store.crops_dir))
    except GenerationError as e:  # the LLM server's trouble: the page says what it was
        log.warning("question failed: %s: %s", question, e)
        yield sse("error", {"message": str(e)})
    except Exception:  # the page says that it failed, the log says where; the server keeps running
        log.exception("question failed: %s", question)
        yield sse("error", {"message": INTERNAL_ERROR})


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"bbox: expected 4 comma-separated numbers x0,y0,x1,y1, got {text!r}") from None
    if not (x0 <= x1 and y0 <= y1):
        raise ValueError(f"bbox: expected x0<=x1 and y0<=y1, got {text!r}")
    return x0, y0, x1, y1


def warm_up(pipeline) -> None:
    """Load the encoder and the keyword index before the first question needs them."""
    try:
        pipeline.retrieve(Query(text="warm up"), 1)
    except Exception:  # the first real question will report it
        log.warning("warm-up failed", exc_info=True)


def create_app(pipeline, uploads: UploadPolicy | None = None, renderer: PageRenderer | None = None,
               allowed_hosts=()):
    """A FastAPI app serving `pipeline`; uploads go to `DB/uploads` unless `uploads` says otherwise.
    Requests must name the server `localhost`, `127.0.0.1`, `[::1]` or one of `allowed_hosts`."""
    fastapi = require("fastapi", "server")
    require("python_multipart", "server")  # python-multipart, for uploads
    uploads = uploads or UploadPolicy(pipeline.store.path / "uploads")
    jobs = IngestJobs(pipeline)
    names = allowed_names(allowed_hosts)

    @asynccontextmanager
    async def lifespan(_app):
        threading.Thread(target=warm_up, args=(pipeline,), daemon=True, name="unirag-warm-up").start()
        yield
        jobs.close()

    app = fastapi.FastAPI(title="unirag chat", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.jobs = jobs

    @app.middleware("http")
    async def guard(request, call_next):
        """Only this server's names and its own page get through; no other site may read from,
        upload to, or ask through a server on this machine. Unexpected errors are logged and
        answered without details; every response gets the security headers."""
        response = refusal(request.headers, request.method, names)
        if response is None:
            try:
                response = await call_next(request)
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                from fastapi.responses import JSONResponse

                response = JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)
        response.headers.update(SECURITY_HEADERS)
        return response
    _chat_routes(app, pipeline, uploads)
    _file_routes(app, pipeline.store, renderer or PageRenderer())
    _upload_routes(app, uploads, jobs, (uploads.folder, pipeline.store.path))
    _doc_routes(app, pipeline.store, uploads, jobs)
    return app


def _chat_routes(app, pipeline, uploads: UploadPolicy) -> None:
    from fastapi import HTTPException
    from fastapi.responses import FileResponse, StreamingResponse
    from pydantic import BaseModel, Field

    class Ask(BaseModel):
        question: str = Field(min_length=1, max_length=MAX_QUESTION)
        top_k: int = Field(10, ge=1, le=50)

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC_TYPES:
            raise HTTPException(404, f"{name}: no such file")
        return FileResponse(STATIC / name, media_type=STATIC_TYPES[name])

    @app.get("/api/info")
    def info():
        name = pipeline.generator.name
        return {"generator": name, "llm": name != "extractive", "max_upload_bytes": uploads.max_bytes,
                "max_pages": uploads.max_pages}

    @app.post("/api/ask")
    def ask(req: Ask):
        if not req.question.strip():
            raise HTTPException(422, "question: expected some text, got only spaces")
        return StreamingResponse(ask_events(pipeline, req.question.strip(), req.top_k),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _file_routes(app, store, renderer: PageRenderer) -> None:
    """Page images (only of documents in the store) and crops (only from DB/crops)."""
    from fastapi import HTTPException
    from fastapi.responses import FileResponse, Response

    @app.get("/api/page/{doc_id}/{page}.png")
    def page_png(doc_id: str, page: int, bbox: str | None = None):
        try:
            box = parse_bbox(bbox)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None
        doc = store.docs().get(doc_id)
        if doc is None:  # a document of the store, never a path from the request
            raise HTTPException(404, f"{doc_id}: no such document in the store")
        if source_state(doc["source"], doc["sha256"]) == "changed":  # the store may name any file
            raise HTTPException(409, f"{doc_id}: its file has changed since it was ingested; "
                                     "ingest the new version to see its pages")
        try:
            image = renderer.render(doc["source"], page, box)
        except PageRenderError as e:  # the log names the file, the answer only the document
            log.warning("page %d of %s: %s", page, doc_id, e, exc_info=e.__cause__ is not None)
            raise HTTPException(404, f"{doc_id} page {page}: {e.reason}") from None
        return Response(image.png, media_type="image/png", headers={
            "Cache-Control": "no-store", "X-Page-Count": str(image.pages),
            "X-Page-Size": ",".join(f"{v:g}" for v in image.size)})

    @app.get("/api/crops/{rel:path}")
    def crop(rel: str):
        root = store.crops_dir.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or target.suffix.lower() != ".png" or not target.is_file():
            raise HTTPException(404, "no such crop")
        return FileResponse(target, media_type="image/png")


def _upload_routes(app, uploads: UploadPolicy, jobs: IngestJobs, private: tuple[Path, ...]) -> None:
    """Uploads and their ingest progress; `private` folders are taken out of ingest errors."""
    from fastapi import File, HTTPException, UploadFile
    from fastapi.responses import JSONResponse

    @app.post("/api/upload", status_code=202)
    def upload(files: list[UploadFile] = File(...)):
        saved, rejected = [], []
        for f in files:
            try:
                path, _ = uploads.save(f.filename or "", f.file.read(uploads.max_bytes + 1))
                saved.append(path)
            except UploadError as e:
                rejected.append({"name": f.filename, "error": str(e)})
        if not saved:
            return JSONResponse({"detail": "no file accepted", "rejected": rejected}, status_code=400)
        return {"job": jobs.submit(saved), "accepted": [p.name for p in saved], "rejected": rejected}

    @app.get("/api/jobs/{job_id}")
    def job(job_id: str):
        status = jobs.status(job_id)
        if status is None:
            raise HTTPException(404, f"{job_id}: no such ingest job")
        for f in status["files"]:
            if f.get("error"):
                f["error"] = without_paths(f["error"], private)
        return status


def _doc_routes(app, store, uploads: UploadPolicy, jobs: IngestJobs) -> None:
    """The store's documents: list, delete, re-ingest. A document is named by its id, looked up
    in the store (an unknown one is a 404 naming the id); its file is never named by the request."""
    from fastapi import HTTPException

    def known(doc_id: str) -> dict:
        doc = store.docs().get(doc_id)
        if doc is None:
            raise HTTPException(404, f"{doc_id}: no such document in the store")
        if jobs.busy(doc_id):
            raise HTTPException(409, f"{doc_id}: being ingested; try again when its job is done")
        return doc

    @app.get("/api/docs")
    def docs():
        return [{"doc_id": d, "chunks": v["chunks"], "complete": v["chunks"] == v["expected"],
                 "file": Path(v["source"]).name} for d, v in sorted(store.docs().items())]

    @app.delete("/api/docs/{doc_id}")
    def delete(doc_id: str):
        doc = known(doc_id)
        store.delete(doc_id)
        # an uploaded copy goes too (if it is the file ingested); a user's own file stays
        removed = source_state(doc["source"], doc["sha256"]) == "ingested" and uploads.discard(doc["source"])
        log.info("deleted %s (%d chunks%s)", doc_id, doc["chunks"], ", its uploaded file" * removed)
        return {"deleted": doc_id, "chunks": doc["chunks"], "file_removed": removed}

    @app.post("/api/docs/{doc_id}/reingest", status_code=202)
    def reingest(doc_id: str):
        doc = known(doc_id)
        state = source_state(doc["source"], doc["sha256"])
        if state == "missing":
            raise HTTPException(409, f"{doc_id}: its source file is no longer there (moved or deleted); "
                                     "upload it again")
        if state == "changed":  # a store may name any file: only the one ingested is read again
            raise HTTPException(409, f"{doc_id}: its file has changed since it was ingested; ingest the new "
                                     "version (upload it, or `unirag ingest FILE`)")
        return {"job": jobs.submit([Path(doc["source"])], force=True), "doc_id": doc_id}
