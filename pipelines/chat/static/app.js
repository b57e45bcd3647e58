// The chat page's script, served as /static/app.js: the Content-Security-Policy allows no inline script.
// The page is a conversation (each turn: question, streamed reply, note, citations, evidence crops),
// a page viewer that follows the current turn (zoom, previous/next page, scrolled to the cited box),
// and the document list (upload, re-ingest, delete).
"use strict";
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ZOOMS = [0.5, 0.75, 1, 1.5, 2, 3];  // image width as a share of the viewer's width
const FIT = ZOOMS.indexOf(1);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text) e.textContent = text;  // never innerHTML: document text is untrusted
  if (cls) e.className = cls;
  return e;
}

function button(label, cls, onclick) {
  const b = el("button", label, cls);
  b.type = "button";
  b.onclick = onclick;
  return b;
}

async function errorText(r) {
  try {
    const j = await r.json();
    if (j.rejected) return j.rejected.map((x) => x.error).join("\n");
    if (typeof j.detail === "string") return j.detail;
    return (j.detail || []).map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("\n") || `HTTP ${r.status}`;
  } catch (e) { return `HTTP ${r.status}`; }
}

async function loadInfo() {
  const info = await (await fetch("/api/info")).json();
  $("gen").textContent = info.llm ? `answers by ${info.generator}`
                                  : "extractive answers: no LLM was used";
}

// ---- documents -------------------------------------------------------------------------------

async function loadDocs() {
  const docs = await (await fetch("/api/docs")).json();
  $("docs").replaceChildren(...(docs.length ? docs.map(docItem) : [el("li", "No documents yet: upload PDFs.")]));
}

function docItem(d) {
  const li = el("li");
  li.dataset.doc = d.doc_id;
  const actions = el("div", "", "doc-actions");
  actions.append(button("Re-ingest", "reingest", () => reingest(d.doc_id)),
                 button("Delete", "delete", () => deleteDoc(d.doc_id)));
  li.append(el("span", `${d.doc_id} (${d.chunks} chunks)${d.complete ? "" : " incomplete"}`), actions);
  return li;
}

function docsMessage(text, isError) {
  $("docs-msg").replaceChildren(el("span", text, isError ? "error" : ""));
}

async function deleteDoc(docId) {
  if (!window.confirm(`Delete ${docId} from the store (its chunks and crops; an uploaded file too)?`)) return;
  const r = await fetch(`/api/docs/${encodeURIComponent(docId)}`, { method: "DELETE" });
  if (!r.ok) { docsMessage(await errorText(r), true); return; }
  const j = await r.json();
  docsMessage(`Deleted ${j.deleted} (${j.chunks} chunks${j.file_removed ? " and its uploaded file" : ""}).`);
  if (viewer.doc === docId) clearViewer(`${docId} was deleted.`);
  loadDocs();
}

async function reingest(docId) {
  const r = await fetch(`/api/docs/${encodeURIComponent(docId)}/reingest`, { method: "POST" });
  if (!r.ok) { docsMessage(await errorText(r), true); return; }
  docsMessage(`Re-ingesting ${docId}…`);
  watchJob((await r.json()).job);
}

// ---- the page viewer ---------------------------------------------------------------------------

const viewer = { doc: null, page: 0, pages: 0, cited: null, size: null, zoom: FIT, seq: 0 };

function clearViewer(message) {
  viewer.seq += 1;  // a page still loading for an earlier turn is not shown
  viewer.doc = null;
  viewer.cited = null;
  const img = $("page-img");
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.removeAttribute("src");
  img.hidden = true;
  $("page-box").dataset.box = "";
  $("viewer-msg").textContent = message;
  $("page-label").textContent = "";
  updateBar();
}

function updateBar() {
  const open = viewer.doc !== null;
  $("prev-page").disabled = !open || viewer.page <= 1;
  $("next-page").disabled = !open || viewer.page >= viewer.pages;
  $("zoom-out").disabled = !open || viewer.zoom === 0;
  $("zoom-in").disabled = !open || viewer.zoom === ZOOMS.length - 1;
  $("zoom-level").textContent = `${Math.round(ZOOMS[viewer.zoom] * 100)}%`;
  $("viewer").dataset.doc = viewer.doc || "";
  $("viewer").dataset.page = open ? String(viewer.page) : "";
}

// Open `where` (doc_id, page, bbox): the page with its cited box outlined, scrolled into view.
function openCited(where) {
  viewer.cited = { doc: where.doc_id, page: where.page, bbox: where.bbox || null };
  showPage(where.doc_id, where.page);
}

async function showPage(docId, page) {
  const seq = ++viewer.seq;
  const box = viewer.cited && viewer.cited.doc === docId && viewer.cited.page === page ? viewer.cited.bbox : null;
  let url = `/api/page/${encodeURIComponent(docId)}/${page}.png`;
  if (box) url += `?bbox=${box.join(",")}`;
  $("viewer-msg").textContent = `Loading ${docId}, page ${page}…`;
  const r = await fetch(url);
  if (seq !== viewer.seq) return;  // another page (or none) was asked for meanwhile
  if (!r.ok) {
    const msg = await errorText(r);
    if (seq !== viewer.seq) return;
    clearViewer("");
    $("viewer-msg").replaceChildren(el("span", msg, "error"));
    return;
  }
  const blob = await r.blob();
  if (seq !== viewer.seq) return;
  Object.assign(viewer, { doc: docId, page, pages: Number(r.headers.get("X-Page-Count")) || page,
                          size: (r.headers.get("X-Page-Size") || "").split(",").map(Number) });
  const img = $("page-img");
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.onload = () => { if (seq === viewer.seq) scrollToBox(); };
  img.src = URL.createObjectURL(blob);
  img.alt = `${docId}, page ${page}${box ? ", cited region outlined" : ""}`;
  img.hidden = false;
  $("page-box").dataset.box = box ? box.join(",") : "";
  $("page-box").dataset.size = viewer.size.join(",");
  $("page-label").textContent = `p. ${page} / ${viewer.pages}`;
  $("viewer-msg").textContent = `${docId}, page ${page} of ${viewer.pages}` +
    (box ? " (cited region outlined in red)" : "");
  applyZoom();
  updateBar();
}

function applyZoom() {
  $("page-img").style.width = `${ZOOMS[viewer.zoom] * 100}%`;  // CSSOM, not an inline style attribute
  updateBar();
}

// Centre the outlined box in the viewer (or go to the page's top when it has none).
function scrollToBox() {
  const pane = $("page-box"), img = $("page-img");
  const box = (pane.dataset.box || "").split(",").filter((v) => v !== "").map(Number);
  if (box.length !== 4 || !viewer.size || !viewer.size[0]) { pane.scrollTo(0, 0); return; }
  const scale = img.clientWidth / viewer.size[0];
  const cx = img.offsetLeft + (box[0] + box[2]) / 2 * scale, cy = img.offsetTop + (box[1] + box[3]) / 2 * scale;
  pane.scrollTo(Math.max(0, cx - pane.clientWidth / 2), Math.max(0, cy - pane.clientHeight / 2));
}

function zoom(step) {
  viewer.zoom = Math.min(ZOOMS.length - 1, Math.max(0, viewer.zoom + step));
  applyZoom();
  scrollToBox();
}

function turnPage(step) {
  const page = viewer.page + step;
  if (viewer.doc !== null && page >= 1 && page <= viewer.pages) showPage(viewer.doc, page);
}

// ---- the conversation --------------------------------------------------------------------------

function parseEvent(block) {
  let event = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  return { event, data: JSON.parse(data || "{}") };
}

function newTurn(question) {
  for (const t of document.querySelectorAll(".turn.current")) t.classList.remove("current");
  const li = el("li", "", "turn current");
  li.dataset.status = "asking";
  li.append(el("div", question, "q"), el("div", "", "a"), el("div", "Searching…", "note"),
            el("ol", "", "citations"), el("div", "", "thumbs"));
  $("conversation").append(li);
  $("empty").hidden = true;
  li.scrollIntoView({ block: "end" });
  return li;
}

function pageLink(turn, label, where) {  // a button under the reply that opens the page it names
  const b = button(label, "citation", () => {
    for (const s of document.querySelectorAll("button.citation.shown")) s.classList.remove("shown");
    b.classList.add("shown");
    openCited(where);
  });
  const li = el("li");
  li.append(b);
  turn.querySelector(".citations").append(li);
  return b;
}

function showAnswer(turn, a) {
  turn.dataset.status = a.status;
  turn.querySelector(".a").textContent = a.text;
  turn.querySelector(".note").textContent = a.note;
  const links = a.citations.map((c) => pageLink(turn, `[${c.n}] ${c.doc_id} p.${c.page} · ${c.modality}`, c));
  if (a.status !== "answered" && a.top.length) {  // a reply without an answer still shows what was found
    turn.querySelector(".citations").before(el("div", "Found:", "found-label"));
    for (const h of a.top) {
      links.push(pageLink(turn, `${h.doc_id} p.${h.page} · ${h.modality} · score ${h.score.toFixed(2)}`, h));
    }
  }
  for (const ev of a.evidence) {
    const fig = el("figure", "", "thumb");
    const img = el("img");
    img.src = ev.crop_url;
    img.alt = `${ev.modality} on ${ev.doc_id} p.${ev.page}`;
    img.title = ev.caption;
    img.onclick = () => openCited(ev);
    fig.append(img, el("figcaption", `${ev.modality} · ${ev.doc_id} p.${ev.page}`));
    turn.querySelector(".thumbs").append(fig);
  }
  // the viewer follows the current turn: its first citation or hit, or nothing at all
  if (turn.classList.contains("current")) {
    if (links.length) links[0].click();
    else clearViewer("No evidence was found for this question.");
  }
}

function turnError(turn, msg) {
  turn.dataset.status = "error";
  turn.querySelector(".note").replaceChildren(el("span", msg, "error"));
  if (turn.classList.contains("current")) clearViewer("");
}

async function ask(question) {
  const turn = newTurn(question);
  clearViewer("Searching…");
  $("ask").disabled = true;
  document.body.dataset.state = "asking";
  try {
    const r = await fetch("/api/ask", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify({ question }) });
    if (!r.ok) { turnError(turn, await errorText(r)); return; }
    const reader = r.body.getReader(), dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const { event, data } = parseEvent(buf.slice(0, i));
        buf = buf.slice(i + 2);
        if (event === "token") {
          turn.querySelector(".a").textContent += data.text;
          turn.querySelector(".note").textContent = "";
        } else if (event === "answer") showAnswer(turn, data);
        else if (event === "error") turnError(turn, data.message);
      }
    }
  } catch (e) {
    turnError(turn, String(e));
  } finally {
    if (turn.dataset.status === "asking") turnError(turn, "the reply ended without an answer");
    $("ask").disabled = false;
    document.body.dataset.state = "idle";
    turn.scrollIntoView({ block: "end" });
  }
}

// ---- uploads and ingest jobs -------------------------------------------------------------------

function renderJob(li, s) {
  li.dataset.state = s.state;
  const head = s.state === "done" || s.state === "failed"
    ? `Ingest ${s.state}: ${s.done}/${s.total} file(s) in ${s.seconds} s`
    : `Ingesting ${s.done}/${s.total} file(s)… ${s.seconds} s`;
  const bar = el("progress");
  const current = s.files[s.done];  // the file being ingested: its pages parsed so far count too
  const part = current && current.pages_total ? current.pages_done / current.pages_total : 0;
  bar.max = s.total;
  bar.value = s.done + part;
  const files = el("ul", "", "files");
  for (const f of s.files) {
    let t = `${f.name}: ${f.state}`;
    if (f.state === "ingesting" && f.pages_total) t += ` (page ${f.pages_done} of ${f.pages_total})`;
    if (f.chunks !== undefined && f.state !== "failed") t += ` (${f.pages} pages, ${f.chunks} chunks)`;
    if (f.error) t += ` — ${f.error}`;
    files.append(el("li", t, f.state === "failed" ? "error" : ""));
  }
  li.replaceChildren(el("div", head), bar, files);
}

async function watchJob(id) {
  const li = el("li", "Queued…", "job");
  li.id = `job-${id}`;
  $("jobs").prepend(li);
  for (;;) {
    const r = await fetch(`/api/jobs/${encodeURIComponent(id)}`);
    if (!r.ok) { li.replaceChildren(el("span", await errorText(r), "error")); break; }
    const s = await r.json();
    renderJob(li, s);
    if (s.state === "done" || s.state === "failed") break;
    await sleep(400);
  }
  loadDocs();
}

$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const files = $("file").files;
  if (!files.length) { $("upload-msg").textContent = "Choose one or more PDF files first."; return; }
  const fd = new FormData();
  for (const f of files) fd.append("files", f);
  $("upload-msg").textContent = "Uploading…";
  const r = await fetch("/api/upload", { method: "POST", body: fd });
  if (!r.ok) { $("upload-msg").replaceChildren(el("span", await errorText(r), "error")); return; }
  const j = await r.json();
  let msg = `Accepted ${j.accepted.join(", ")}`;
  if (j.rejected.length) msg += `; rejected: ${j.rejected.map((x) => x.error).join("; ")}`;
  $("upload-msg").textContent = msg;
  $("file").value = "";
  watchJob(j.job);
});

$("ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("question").value.trim();
  if (!q || $("ask").disabled) return;
  $("question").value = "";
  ask(q);
});

$("prev-page").addEventListener("click", () => turnPage(-1));
$("next-page").addEventListener("click", () => turnPage(1));
$("zoom-in").addEventListener("click", () => zoom(1));
$("zoom-out").addEventListener("click", () => zoom(-1));

loadInfo();
loadDocs();
