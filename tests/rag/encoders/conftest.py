"""Tiny randomly initialised CLIP, SigLIP and Qwen2-VL models, built once per session and saved to
a temp folder, so the encoders are tested through the real `from_pretrained` loading code offline."""
import os
import re

import pytest

from rag.testing import sample_chunks

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPECIAL = ["[PAD]", "[UNK]", "[BOS]", "[EOS]", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]


def _tokenizer(bos: bool):
    """A word-level tokenizer over the test texts (lower-cased words; w0..w399 for long texts)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = re.findall(r"[a-z0-9]+", " ".join(c.text for c in sample_chunks()).lower() + " how much rainfall does oslo get")
    vocab = {w: i for i, w in enumerate(SPECIAL)}
    for w in words + [f"w{i}" for i in range(400)]:
        vocab.setdefault(w, len(vocab))
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.normalizer = normalizers.Lowercase()
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    if bos:  # CLIP-like: [BOS] text [EOS]; SigLIP-like: text [EOS]
        tk.post_processor = processors.TemplateProcessing(single="[BOS] $A [EOS]", special_tokens=[("[BOS]", 2), ("[EOS]", 3)])
    else:
        tk.post_processor = processors.TemplateProcessing(single="$A [EOS]", special_tokens=[("[EOS]", 3)])
    kwargs = {"bos_token": "[BOS]"} if bos else {}
    return PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="[EOS]", pad_token="[PAD]", unk_token="[UNK]",
                                   extra_special_tokens=SPECIAL[4:], **kwargs), len(vocab)


LAYERS = dict(intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    tok, n = _tokenizer(bos=True)
    cfg = CLIPConfig(text_config=dict(vocab_size=n, hidden_size=32, max_position_embeddings=77, bos_token_id=2,
                                      eos_token_id=3, pad_token_id=0, **LAYERS),
                     vision_config=dict(hidden_size=32, image_size=32, patch_size=8, **LAYERS), projection_dim=24)
    path = tmp_path_factory.mktemp("tiny-clip")
    CLIPModel(cfg).save_pretrained(path)
    proc = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=proc, tokenizer=tok).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_siglip(tmp_path_factory):
    from transformers import SiglipConfig, SiglipModel, SiglipProcessor
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    tok, n = _tokenizer(bos=False)
    cfg = SiglipConfig(text_config=dict(vocab_size=n, hidden_size=32, max_position_embeddings=64, **LAYERS),
                       vision_config=dict(hidden_size=32, image_size=32, patch_size=8, **LAYERS))
    path = tmp_path_factory.mktemp("tiny-siglip")
    SiglipModel(cfg).save_pretrained(path)
    SiglipProcessor(image_processor=SiglipImageProcessorPil(size={"height": 32, "width": 32}),
                    tokenizer=tok).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_qwen2_vl(tmp_path_factory):
    from transformers import Qwen2VLConfig, Qwen2VLModel, Qwen2VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    tok, n = _tokenizer(bos=False)
    ids = {t: i for i, t in enumerate(SPECIAL)}
    cfg = Qwen2VLConfig(
        text_config=dict(vocab_size=n, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=1, max_position_embeddings=1024, bos_token_id=None, eos_token_id=3,
                         pad_token_id=0, rope_parameters={"rope_type": "default", "mrope_section": [2, 3, 3],
                                                          "rope_theta": 10000.0}),
        vision_config=dict(depth=1, embed_dim=16, hidden_size=32, num_heads=2, patch_size=14, spatial_merge_size=2,
                           temporal_patch_size=2),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"])
    path = tmp_path_factory.mktemp("tiny-qwen2-vl")
    Qwen2VLModel(cfg).save_pretrained(path)
    images = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112)
    Qwen2VLProcessor(image_processor=images, tokenizer=tok).save_pretrained(path)
    return str(path)
