"""Tiny randomly initialised models of the real transformers classes, with their real
processors, built offline (no downloads) and saved to a folder, so the LALM backend and the
weight-needing tools run their whole code path in tests: load from a local path, audio in,
prompt with tool results, scores out. Their answers are noise; the plumbing is what is tested.

Tokenizers are byte-level BPE over the 256 byte symbols with no merges (every byte a token),
plus the special tokens each model's processor needs.
"""
from __future__ import annotations

import os

QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"]


def byte_vocab(specials) -> dict[str, int]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
    for token in specials:
        vocab.setdefault(token, len(vocab))
    return vocab


def qwen_tokenizer():
    from transformers import Qwen2Tokenizer

    tok = Qwen2Tokenizer(vocab=byte_vocab(["<|endoftext|>"]), merges=[], unk_token=None)
    tok.add_special_tokens({"additional_special_tokens": QWEN_SPECIALS})
    return tok


def qwen2_audio(folder: str, seed: int = 0) -> str:
    """Qwen2AudioForConditionalGeneration (~0.1 M params) + Qwen2AudioProcessor in `folder`."""
    import torch
    import transformers as T

    tok = qwen_tokenizer()
    processor = T.Qwen2AudioProcessor(feature_extractor=T.WhisperFeatureExtractor(feature_size=128), tokenizer=tok)
    config = T.Qwen2AudioConfig(
        audio_config=dict(d_model=32, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=64,
                          num_mel_bins=128),
        text_config=dict(model_type="qwen2", vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2),
        audio_token_id=tok.convert_tokens_to_ids("<|AUDIO|>"))
    torch.manual_seed(seed)
    model = T.Qwen2AudioForConditionalGeneration(config)
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
