"""Loading a transformers model with its processor, shared by the `clip` and `mllm` backends."""
from __future__ import annotations

from unirag.rag.factory import require


def load_model(model_id: str, device: str, extra: str):
    """(model in eval mode on `device`, processor, tokenizer) for a hub id or a local folder."""
    transformers = require("transformers", extra)
    transformers.utils.logging.disable_progress_bar()
    model = transformers.AutoModel.from_pretrained(model_id).to(device).eval()
    processor = transformers.AutoProcessor.from_pretrained(model_id)
    return model, processor, getattr(processor, "tokenizer", processor)
