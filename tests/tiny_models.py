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


OMNI_SPECIALS = QWEN_SPECIALS + ["<|vision_bos|>", "<|vision_eos|>", "<|vision_pad|>", "<|IMAGE|>", "<|VIDEO|>"]
OMNI_NAMED = {"audio_token": "<|AUDIO|>", "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>",
              "image_token": "<|IMAGE|>", "video_token": "<|VIDEO|>", "vision_bos_token": "<|vision_bos|>",
              "vision_eos_token": "<|vision_eos|>"}
# the structure of Qwen2.5-Omni's released chat_template.json
CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}{% set audio_count.value = audio_count.value + 1 %}{% if add_audio_id %}Audio {{ audio_count.value }}: {% endif %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")



def omni_processor_class():
    """Qwen2_5OmniProcessor, or where torchvision is missing (here: its only wheel is a CUDA build)
    the same class without its video processor slot, which alone needs torchvision; every method
    the reasoner uses (chat template, audio token expansion, features) is inherited unchanged."""
    import transformers as T
    from transformers.processing_utils import ProcessorMixin

    try:
        import torchvision  # noqa: F401

        return T.Qwen2_5OmniProcessor
    except Exception:
        pass

    class Qwen2_5OmniProcessorNoVideo(T.Qwen2_5OmniProcessor):
        def __init__(self, image_processor=None, feature_extractor=None, tokenizer=None, chat_template=None):
            ProcessorMixin.__init__(self, image_processor, feature_extractor, tokenizer, chat_template=chat_template)
            for key in ("image_token", "audio_token", "video_token", "image_token_id", "audio_token_id",
                        "video_token_id", "vision_bos_token", "vision_eos_token", "audio_bos_token", "audio_eos_token"):
                setattr(self, key, getattr(self.tokenizer, key))

        @property
        def model_input_names(self):
            return list(dict.fromkeys(self.tokenizer.model_input_names + self.feature_extractor.model_input_names
                                      + self.image_processor.model_input_names + ["feature_attention_mask"]))

    return Qwen2_5OmniProcessorNoVideo


def qwen2_5_omni(folder: str, seed: int = 0) -> tuple[str, type]:
    """Qwen2_5OmniThinkerForConditionalGeneration (text out) + its processor in `folder`;
    returns (folder, the processor class to load it with)."""
    import torch
    import transformers as T

    vocab = byte_vocab(["<|endoftext|>"] + OMNI_SPECIALS)
    tok = T.Qwen2Tokenizer(vocab=vocab, merges=[], eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None,
                           extra_special_tokens=OMNI_NAMED)
    tok.add_special_tokens({"additional_special_tokens": OMNI_SPECIALS}, replace_extra_special_tokens=False)
    processor_class = omni_processor_class()
    extra = {} if processor_class is T.Qwen2_5OmniProcessor else None
    if extra is not None:
        extra["video_processor"] = T.Qwen2VLVideoProcessor()
    processor = processor_class(image_processor=T.Qwen2VLImageProcessorPil(),
                                feature_extractor=T.WhisperFeatureExtractor(feature_size=128), tokenizer=tok,
                                chat_template=CHAT_TEMPLATE, **(extra or {}))
    ids = {t: vocab[t] for t in ["<|endoftext|>"] + OMNI_SPECIALS}
    hidden = 32
    config = T.Qwen2_5OmniThinkerConfig(
        audio_config=dict(num_mel_bins=128, d_model=hidden, encoder_layers=1, encoder_attention_heads=2,
                          encoder_ffn_dim=64, output_dim=hidden, max_source_positions=1500, n_window=100),
        vision_config=dict(depth=1, hidden_size=hidden, intermediate_size=64, num_heads=2, out_hidden_size=hidden,
                           fullatt_block_indexes=[0], patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                           window_size=112),
        text_config=dict(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                         rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 3, 3]},
                         pad_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"]),
        audio_token_index=ids["<|AUDIO|>"], image_token_index=ids["<|IMAGE|>"], video_token_index=ids["<|VIDEO|>"],
        audio_start_token_id=ids["<|audio_bos|>"], audio_end_token_id=ids["<|audio_eos|>"],
        # not a declared field of the thinker config, but its rope index reads it
        vision_start_token_id=ids["<|vision_bos|>"], vision_end_token_id=ids["<|vision_eos|>"],
        user_token_id=ids["<|im_start|>"], pad_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"])
    torch.manual_seed(seed)
    model = T.Qwen2_5OmniThinkerForConditionalGeneration(config).eval()
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder, processor_class


# <|en|> right after <|startoftranscript|>: Whisper's tokenizer finds a language token at that offset
WHISPER_SPECIALS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
                    "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]


def whisper(folder: str, seed: int = 0) -> str:
    """WhisperForConditionalGeneration + WhisperProcessor (80 mels, 16 kHz), English only."""
    import torch
    import transformers as T

    vocab = byte_vocab(WHISPER_SPECIALS)
    tok = T.WhisperTokenizer(vocab=vocab, merges=[])
    tok.add_special_tokens({"additional_special_tokens": WHISPER_SPECIALS[1:]})  # already in vocab: same ids
    processor = T.WhisperProcessor(feature_extractor=T.WhisperFeatureExtractor(), tokenizer=tok)
    ids = {t: vocab[t] for t in WHISPER_SPECIALS}
    end = ids["<|endoftext|>"]
    config = T.WhisperConfig(vocab_size=len(vocab), num_mel_bins=80, d_model=32, encoder_layers=1, decoder_layers=1,
                             encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                             decoder_ffn_dim=64, max_source_positions=1500, max_target_positions=64,
                             pad_token_id=end, bos_token_id=end, eos_token_id=end,
                             decoder_start_token_id=ids["<|startoftranscript|>"], suppress_tokens=[],
                             begin_suppress_tokens=[end])
    torch.manual_seed(seed)
    model = T.WhisperForConditionalGeneration(config).eval()
    model.generation_config = T.GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], bos_token_id=end, eos_token_id=end, pad_token_id=end,
        max_length=16, is_multilingual=True, lang_to_id={"<|en|>": ids["<|en|>"]},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], prev_sot_token_id=ids["<|startofprev|>"],
        suppress_tokens=[], begin_suppress_tokens=[end], max_initial_timestamp_index=50)
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def clap(folder: str, seed: int = 0) -> str:
    """ClapModel (unfused HTSAT audio branch) + ClapProcessor, as laion/clap-htsat-unfused is set
    up: 48 kHz, 64 mels, 10 s window, rand_trunc."""
    import torch
    import transformers as T

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    vocab.update({c: i + 4 for i, c in enumerate(k for k in byte_vocab([]) if k not in vocab)})
    vocab["<mask>"] = len(vocab)
    tok = T.RobertaTokenizer(vocab=vocab, merges=[])
    features = T.ClapFeatureExtractor(feature_size=64, sampling_rate=48000, hop_length=480, max_length_s=10,
                                      fft_window_size=1024, frequency_min=50, frequency_max=14000,
                                      truncation="rand_trunc", padding="repeatpad")
    processor = T.ClapProcessor(feature_extractor=features, tokenizer=tok)
    # HTSAT's shapes must line up: freq_ratio = spec_size // num_mel_bins, 1001 frames <= spec_size * freq_ratio,
    # hidden_size == patch_embeds_hidden_size * 2 ** (len(depths) - 1)
    audio = dict(spec_size=256, num_mel_bins=64, patch_size=4, patch_stride=[4, 4], window_size=8, depths=[1, 1],
                 num_attention_heads=[2, 4], patch_embeds_hidden_size=16, hidden_size=32, mlp_ratio=2.0,
                 enable_fusion=False)
    text = dict(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=64, max_position_embeddings=130, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    torch.manual_seed(seed)
    model = T.ClapModel(T.ClapConfig(text_config=text, audio_config=audio, projection_dim=16)).eval()
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
