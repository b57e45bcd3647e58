// The chat page's script, served as /static/app.js: the Content-Security-Policy allows no inline script.
"use strict";
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text) e.textContent = text;  // never innerHTML: document text is untrusted
  if (cls) e.className = cls;
  return e;
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

async function loadDocs() {
  const docs = await (await fetch("/api/docs")).json();
  $("docs").replaceChildren(...(docs.length ? docs.map((d) =>
    el("li", `${d.doc_id} (${d.chunks} chunks)${d.complete ? "" : " incomplete"}`))
    : [el("li", "No documents yet: upload PDFs.")]));
}

function showError(msg) {
  $("note").replaceChildren(el("span", msg, "error"));
}

function parseEvent(block) {
  let event = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  return { event, data: JSON.parse(data || "{}") };
}

function addPageLink(label, where) {  // a button under the answer that opens the page it names
  const b = el("button", label, "citation");
  b.type = "button";
  b.onclick = () => showPage(where.page_url, `${where.doc_id}, page ${where.page}`);
  const li = el("li");
  li.append(b);
  $("citations").append(li);
}

function showAnswer(a) {
  $("answer").textContent = a.text;
  let note = a.llm ? `Answered by ${a.generator} from the retrieved evidence.`
                   : "Extractive answer from the retrieved evidence; no LLM was used.";
  if (a.status === "refused") note += " The documents do not seem to answer it; the best hits are listed.";
  if (a.status === "deferred") note += " The answer can only be read from the figure shown.";
  $("note").textContent = note;
  if (a.status !== "answered") {  // a reply without an answer still shows what was found
    for (const h of a.top) addPageLink(`${h.doc_id} p.${h.page} · ${h.modality} · score ${h.score.toFixed(2)}`, h);
  }
  for (const c of a.citations) addPageLink(`[${c.n}] ${c.doc_id} p.${c.page} · ${c.modality}`, c);
  for (const ev of a.evidence) {
    const fig = el("figure", "", "thumb");
    const img = el("img");
    img.src = ev.crop_url;
    img.alt = `${ev.modality} on ${ev.doc_id} p.${ev.page}`;
    img.title = ev.caption;
    img.onclick = () => showPage(ev.page_url, `${ev.doc_id}, page ${ev.page}`);
    fig.append(img, el("figcaption", `${ev.modality} · ${ev.doc_id} p.${ev.page}`));
    $("thumbs").append(fig);
  }
}

async function ask(question) {
  $("answer").textContent = "";
  $("note").textContent = "Searching…";
  $("citations").replaceChildren();
  $("thumbs").replaceChildren();
  $("ask").disabled = true;
  document.body.dataset.state = "asking";
  try {
    const r = await fetch("/api/ask", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify({ question }) });
    if (!r.ok) { showError(await errorText(r)); return; }
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
        if (event === "token") { $("answer").textContent += data.text; $("note").textContent = ""; }
        else if (event === "answer") showAnswer(data);
        else if (event === "error") showError(data.message);
      }
    }
  } catch (e) {
    showError(String(e));
  } finally {
    $("ask").disabled = false;
    document.body.dataset.state = "idle";
  }
}

async function showPage(url, label) {
  const img = $("page-img");
  $("viewer-msg").textContent = `Loading ${label}…`;
  const r = await fetch(url);
  if (!r.ok) {
    img.hidden = true;
    $("viewer-msg").replaceChildren(el("span", await errorText(r), "error"));
    return;
  }
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await r.blob());
  img.alt = `${label}, cited region outlined`;
  img.hidden = false;
  $("viewer-msg").textContent = `${label} (cited region outlined in red)`;
}

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
  if (q) ask(q);
});

loadInfo();
loadDocs();
