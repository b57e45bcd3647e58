"""Answers from any OpenAI-compatible server (OpenAI, llama.cpp, vLLM, Ollama, ...).

No evidence, no answer: without hits, or when no hit shares enough words with the question,
the refusal (`phrases.PHRASES`, in the question's language) comes back and the model is not called. The model's `[n]` citations
become `Citation`s and `[doc p.N]` markers in the text; the reply's first line, when short, is
the answer's `short`; a reply of NOT FOUND (or that says the sources do not answer) or one not
grounded in the sources gives `found=False`.

>>> g = OpenAIGenerator(base_url="http://127.0.0.1:8080/v1", model="gemma", style="completion")
>>> g.generate("Anything?", []).found  # no evidence: the server is never contacted
False
>>> from unirag.rag.generation import make_generator
>>> config = g.to_dict()
>>> make_generator(config.pop("name"), **config).to_dict() == g.to_dict()
True
"""
from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from collections.abc import Iterator, Sequence
from typing import Any

from unirag.rag.generation.base import Generator
from unirag.rag.generation.context import Context, build_context
from unirag.rag.generation.guard import grounded, says_not_found
from unirag.rag.generation.phrases import phrase
from unirag.rag.generation.prompt import STOP, CitationRewriter, chat_messages, completion_prompt, short_answer
from unirag.rag.text import cjk_share, tokenize
from unirag.rag.types import Answer, Citation, Hit

IMAGES = ("auto", "always", "never")
STYLES = ("chat", "completion")
MAX_IMAGES = 4
log = logging.getLogger(__name__)


class GenerationError(RuntimeError):
    """The LLM server could not produce an answer (unreachable, timed out, refused the request)."""


def relevant(question: str, hits: Sequence[Hit], min_overlap: float) -> list[Hit]:
    """Hits sharing at least `min_overlap` of the question's words (text, caption, context).
    Hits in another script than the question (cross-lingual retrieval) are kept."""
    q = set(tokenize(question))
    if not q or min_overlap <= 0:
        return list(hits)
    out = []
    for h in hits:
        c = h.chunk
        text = f"{c.text} {c.caption} {c.context}"
        if (cjk_share(question) >= 0.3) != (cjk_share(text) >= 0.3) or \
                len(q & set(tokenize(text))) / len(q) >= min_overlap:
            out.append(h)
    return out


def _data_url(hit: Hit) -> str | None:
    data = hit.chunk.image
    if data is None and hit.crop_path and Path(hit.crop_path).is_file():
        data = Path(hit.crop_path).read_bytes()
    return None if data is None else "data:image/png;base64," + base64.b64encode(data).decode()


def _with_images(messages: list[dict], context: Context) -> tuple[list[dict], int]:
    """The user message with the sources' crops appended as image parts (at most MAX_IMAGES)."""
    parts: list[dict] = [{"type": "text", "text": messages[-1]["content"]}]
    for src in context.sources:
        for hit in src.visuals():
            url = _data_url(hit)
            if url and len(parts) // 2 < MAX_IMAGES:
                parts.append({"type": "text", "text": f"Image of source [{src.number}] ({hit.chunk.modality}):"})
                parts.append({"type": "image_url", "image_url": {"url": url}})
    return messages[:-1] + [{"role": "user", "content": parts}], len(parts) // 2


class OpenAIGenerator(Generator):
    """Sends the question and numbered sources to an OpenAI-compatible endpoint.

    `style="completion"` suits base models (no chat template) via /v1/completions.
    `images`: "auto" sends figure/table/formula crops as data URLs in chat style and falls back
    to their text surrogates if the server rejects images; "always" insists; "never" sends text only.
    """

    name = "openai"

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0, max_tokens: int = 256, temperature: float = 0.0,
                 images: str = "auto", style: str = "chat", max_context_tokens: int = 1200,
                 min_overlap: float = 0.2):
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self.model = model or os.environ.get("UNIRAG_LLM_MODEL") or ""
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
        self.timeout, self.max_tokens = float(timeout), int(max_tokens)
        self.temperature, self.images, self.style = float(temperature), images, style
        self.max_context_tokens, self.min_overlap = int(max_context_tokens), float(min_overlap)
        where = "OpenAIGenerator"
        if not self.model:
            raise ValueError(f"{where}: expected a model name: pass model=... or set UNIRAG_LLM_MODEL")
        if images not in IMAGES:
            raise ValueError(f"{where}: expected images in {IMAGES}, got {images!r}")
        if style not in STYLES:
            raise ValueError(f"{where}: expected style in {STYLES}, got {style!r}")
        if style == "completion" and images == "always":
            raise ValueError(f"{where}: images='always' needs style='chat' (a completion prompt is text only)")
        if self.timeout <= 0 or self.max_tokens < 1:
            raise ValueError(f"{where}: expected timeout > 0 and max_tokens >= 1, got {timeout!r}, {max_tokens!r}")
        self._client: Any = None  # an openai.OpenAI, made on the first question
        self._images_rejected = False

    def to_dict(self) -> dict:  # the API key is a secret: never written out
        return {"name": self.name, "base_url": self.base_url, "model": self.model, "timeout": self.timeout,
                "max_tokens": self.max_tokens, "temperature": self.temperature, "images": self.images,
                "style": self.style, "max_context_tokens": self.max_context_tokens, "min_overlap": self.min_overlap}

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        answers = [piece for piece in self.stream(question, hits) if isinstance(piece, Answer)]
        return answers[-1]  # stream() always ends with the Answer

    def stream(self, question: str, hits: Sequence[Hit]) -> Iterator[str | Answer]:
        hits = list(hits)
        context = build_context(relevant(question, hits, self.min_overlap), self.max_context_tokens)
        for note in context.cut + tuple(f"removed instruction-like text: {r!r}" for r in context.removed):
            log.info("context for %r: %s", question[:60], note)
        not_found = phrase("not_found", question)
        if not context.sources:
            yield not_found
            yield Answer(question, not_found, hits=tuple(hits), generator=self.name, found=False)
            return
        rewriter, shown = CitationRewriter(context), list[str]()
        for piece in self._pieces(question, context):
            out = rewriter.feed(piece)
            if not shown:
                out = out.lstrip()
            if out:
                shown.append(out)
                yield out
        tail = rewriter.flush()
        text = ("".join(shown) + tail).strip()
        evidence = "\n".join(s.text for s in context.sources)
        if says_not_found(text) or not grounded(text, evidence, question):  # withdrawn: the final text differs
            if tail:
                yield tail
            yield Answer(question, not_found, hits=tuple(hits), generator=self.name, found=False)
            return
        cited = [context.source(n) for n in rewriter.cited]  # the rewriter keeps only numbers that exist
        cites = [s.citation_for(text) for s in cited if s is not None]
        if not cites:  # the model cited nothing: attribute to the source sharing most words with the answer
            best = max(context.sources, key=lambda s: len(set(tokenize(text)) & set(tokenize(s.text))))
            cites = [best.citation_for(text)]
            tail += ("" if ("".join(shown) + tail)[-1:].isspace() else " ") + cites[0].label()
        if tail:
            yield tail
        text = ("".join(shown) + tail).strip()
        yield Answer(question, text, citations=tuple(_unique(cites)), hits=tuple(hits), generator=self.name,
                     short=short_answer(text))

    def _pieces(self, question: str, context: Context) -> Iterator[str]:
        """Text pieces streamed from the server; errors become GenerationError."""
        import openai  # a core dependency, imported here so that `import unirag.rag` stays light

        if self._client is None:
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self._api_key,
                                         timeout=self.timeout, max_retries=0)
        args = {"model": self.model, "max_tokens": self.max_tokens, "temperature": self.temperature,
                "stream": True}
        messages, n_images = chat_messages(question, context), 0
        client, completion = self._client, self.style == "completion"
        if not completion and (self.images == "always" or (self.images == "auto" and not self._images_rejected)):
            messages, n_images = _with_images(messages, context)

        def request():  # reads `messages` when called: a retry without images sends the new ones
            if completion:
                return client.completions.create(prompt=completion_prompt(question, context), stop=STOP, **args)
            return client.chat.completions.create(messages=messages, **args)

        def read(ev) -> str:
            if not ev.choices:
                return ""
            return ev.choices[0].text if completion else (ev.choices[0].delta.content or "")
        try:
            try:
                events = request()
            except openai.BadRequestError:
                if not n_images or self.images != "auto":
                    raise
                self._images_rejected = True  # a text-only model: send text surrogates from now on
                messages = chat_messages(question, context)
                events = request()
            for ev in events:
                piece = read(ev)
                if piece:
                    yield piece
        except openai.APITimeoutError as e:
            raise GenerationError(f"LLM server {self.base_url}: no reply within {self.timeout:g} s ({e})") from e
        except openai.APIConnectionError as e:
            raise GenerationError(f"LLM server {self.base_url}: cannot connect ({e.__cause__ or e})") from e
        except openai.NotFoundError as e:
            raise GenerationError(f"LLM server {self.base_url}: not found (HTTP 404): is the model name "
                                  f"{self.model!r} and the URL (usually ending in /v1) right? {_detail(e)}") from e
        except openai.AuthenticationError as e:
            raise GenerationError(f"LLM server {self.base_url}: the API key was rejected (HTTP 401): "
                                  f"set OPENAI_API_KEY or api_key. {_detail(e)}") from e
        except openai.APIStatusError as e:
            raise GenerationError(f"LLM server {self.base_url}: HTTP {e.status_code} for model "
                                  f"{self.model!r}: {_detail(e)}") from e
        except openai.OpenAIError as e:
            raise GenerationError(f"LLM server {self.base_url}: {type(e).__name__}: {e}") from e


def _detail(e) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        body = body.get("error", body)
        body = body.get("message", body) if isinstance(body, dict) else body
    return str(body or e)[:300]


def _unique(cites: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in cites:
        if c.chunk_id not in seen:
            seen.add(c.chunk_id)
            out.append(c)
    return out
