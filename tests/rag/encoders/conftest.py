"""Tiny randomly initialised CLIP, SigLIP and LLaVA models, built once per session and saved to
a temp folder, so the encoders are tested through the real `from_pretrained` loading code offline."""
import os
import re

import pytest

from unirag.rag.testing import sample_chunks

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPECIAL = ["[PAD]", "[UNK]", "[BOS]", "[EOS]", "<image>"]


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
def tiny_llava(tmp_path_factory):
    """A LLaVA-style vision-language model (CLIP vision tower + Llama decoder), the VLM2Vec backbone
    family. (A tiny Qwen2-VL, GME's backbone, cannot be built here: its processor needs a video
    processor, which needs torchvision, which this project does not install.)"""
    from transformers import LlavaConfig, LlavaModel, LlavaProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    tok, n = _tokenizer(bos=False)
    cfg = LlavaConfig(
        text_config=dict(model_type="llama", vocab_size=n, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024, pad_token_id=0),
        vision_config=dict(model_type="clip_vision_model", hidden_size=32, image_size=32, patch_size=8, **LAYERS),
        image_token_index=SPECIAL.index("<image>"), vision_feature_layer=-1)
    path = tmp_path_factory.mktemp("tiny-llava")
    LlavaModel(cfg).save_pretrained(path)
    images = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    LlavaProcessor(image_processor=images, tokenizer=tok, patch_size=8, vision_feature_select_strategy="default",
                   image_token="<image>", num_additional_image_tokens=1).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    """A text-only decoder (Llama) with a plain tokenizer, for the mllm encoder's text-only path."""
    from transformers import LlamaConfig, LlamaModel

    tok, n = _tokenizer(bos=False)
    path = tmp_path_factory.mktemp("tiny-llama")
    LlamaModel(LlamaConfig(vocab_size=n, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           num_key_value_heads=1, max_position_embeddings=1024, pad_token_id=0)).save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)
