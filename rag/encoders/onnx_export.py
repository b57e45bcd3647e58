"""Export a sentence-transformers model (Transformer -> mean Pooling -> Normalize) to one ONNX
graph that maps token ids and attention mask to unit-length sentence vectors, so queries run on
ONNX Runtime without importing torch.

The graph is cached beside the weights when that folder is writable, else under
$XDG_CACHE_HOME/unirag (~/.cache/unirag), named by a fingerprint of the weights. `make install`
exports the packaged MiniLM (`python -m unirag.rag.encoders.onnx_export`); otherwise the first
process that needs it exports it (about 5 s, the one time torch is imported for it).
"""
from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

EXPORT_VERSION = 1  # bump when the exported graph changes: files of other versions are ignored
OPSET = 17  # ONNX opset of the exported graph (onnxruntime >= 1.14 runs it)
FINGERPRINT_BYTES = 1 << 20  # bytes hashed from each end of the weights file, with its size
READABLE = 0o644  # the exported file's mode: any user of a shared install may load it
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

log = logging.getLogger(__name__)


def fingerprint(model_dir: Path) -> str:
    """A short content key of the model's weights: their size and first and last MiB, hashed
    (reading all 90 MB on every query would cost more than the query)."""
    for name in WEIGHT_FILES:
        path = Path(model_dir) / name
        if path.is_file():
            size = path.stat().st_size
            digest = hashlib.sha256(f"{name}:{size}:v{EXPORT_VERSION}".encode())
            with path.open("rb") as f:
                digest.update(f.read(FINGERPRINT_BYTES))
                f.seek(max(0, size - FINGERPRINT_BYTES))
                digest.update(f.read(FINGERPRINT_BYTES))
            return digest.hexdigest()[:16]
    raise FileNotFoundError(f"{model_dir}: expected model weights ({' or '.join(WEIGHT_FILES)}), found none")


def cache_dirs(model_dir: Path) -> list[Path]:
    """Where an exported graph may live, in order of preference: beside the weights, then the user's cache."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [Path(model_dir), home / "unirag" / "onnx"]


def graph_name(model_dir: Path) -> str:
    return f"unirag-sentence-{fingerprint(model_dir)}.onnx"


def cached_graph(model_dir: Path) -> Path | None:
    """The exported graph of `model_dir`'s weights, if some earlier process wrote it."""
    name = graph_name(model_dir)
    return next((d / name for d in cache_dirs(model_dir) if (d / name).is_file()), None)


def ensure_graph(model_dir: Path) -> Path:
    """The cached graph, exported first if there is none yet."""
    found = cached_graph(model_dir)
    if found is not None:
        return found
    for folder in cache_dirs(model_dir):
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):  # else a read-only site-packages: the user's cache
            return export(model_dir, folder / graph_name(model_dir))
    raise OSError(f"{model_dir}: no writable folder for its ONNX export; tried {cache_dirs(model_dir)}")


def export(model_dir: Path, target: Path) -> Path:
    """Write `model_dir`'s sentence-transformers stack as ONNX to `target` (atomically: a temporary
    file in the same folder, then renamed). Needs torch, sentence-transformers and onnx."""
    import torch

    from unirag.rag.factory import require

    require("onnx", "text")  # torch's exporter writes through it
    require("transformers", "text").utils.logging.disable_progress_bar()
    st = require("sentence_transformers", "text").SentenceTransformer(str(model_dir), device="cpu").eval()
    _check_stack(st, model_dir)
    example = st.tokenizer(["an example question", "a longer example passage about a table"],
                           return_tensors="pt", padding=True)  # padded: the mask is traced as an input
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, READABLE)
    quiet = logging.getLogger("transformers")
    level = quiet.level
    try:
        quiet.setLevel(logging.ERROR)  # notes printed while tracing mean nothing to a user
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_mean_pooled(st[0].auto_model.eval()), (example["input_ids"], example["attention_mask"]),
                              tmp, dynamo=False, opset_version=OPSET, input_names=["input_ids", "attention_mask"],
                              output_names=["embedding"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}})
        os.replace(tmp, target)
    finally:
        quiet.setLevel(level)
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("exported %s to %s", model_dir, target)
    return target


def _check_stack(st, model_dir: Path) -> None:
    names = [type(m).__name__ for m in st]
    mean = names[1:2] == ["Pooling"] and st[1].get_config_dict().get("pooling_mode") == "mean"
    if names[:1] != ["Transformer"] or not mean or names[2:] not in ([], ["Normalize"]):
        raise ValueError(f"{model_dir}: expected modules Transformer, mean Pooling (, Normalize), got {names}")


def _mean_pooled(model):
    """`model` (a transformers encoder) with its token states averaged over the attention mask and
    L2-normalised, as one torch module (defined here: torch is imported only to export)."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            states = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return MeanPooled().eval()


def main(argv: list[str] | None = None) -> int:
    """Export the packaged models' graphs (run by `make install`); prints where each one is."""
    from unirag.rag.encoders.packaged import PACKAGED, packaged_dir

    for model in argv or sorted(PACKAGED):
        print(f"{model}: {ensure_graph(packaged_dir(model))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
