"""Frozen large audio language models (LALMs) as the reasoner, through transformers.

`TransformersLALMReasoner` hears the clip: the audio goes into the model (Qwen2-Audio's or
Qwen2.5-Omni's audio encoder), the tool results into the text prompt (env/prompt.py,
render_audio_prompt). It answers by choice log-likelihood, as the embedded reasoner does: each
choice is scored as the assistant's reply after "The answer is:", so the model never has to
produce parseable text. `scoring: generate` instead lets the model generate, constrained to the
choices' token sequences, and maps the text back with MMAU's string match (for checkpoints
whose chat tuning makes the first path unreliable).

Rows are (request, choice) pairs, `max_batch` per forward pass, left-padded so every row's
choice tokens end in the last column (position ids count real tokens only, so a row scores the
same alone or in a batch; tests check). The audio features are computed once per request.

`engine: deepspeed` (config `backend: deepspeed`) wraps the loaded model with
`deepspeed.init_inference` (tensor parallel degree `tensor_parallel`, one process per GPU under
DeepSpeed's launcher) for an LALM too large for one GPU; the scoring code is the same.

Weights come from a local folder or a hub id already in the local Hugging Face cache; a model
that is in neither fails at construction, naming the config key, never by a download attempt in
the middle of training (HF_HUB_OFFLINE is set by the CLI).
"""
from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass
from typing import Sequence

from env.prompt import AUDIO_PROMPT_VERSION, render_audio_prompt
from env.reasoners.types import Answer, ReasonRequest, choice_probabilities
from env.scoring import match_choice
from tools.base import SAMPLE_RATE, load_audio
from tools.quiet import transformers_bars_off


@dataclass(frozen=True)
class Family:
    model_class: str  # in transformers
    processor_class: str


FAMILIES = {
    "qwen2_audio": Family("Qwen2AudioForConditionalGeneration", "Qwen2AudioProcessor"),
    "qwen2_5_omni": Family("Qwen2_5OmniThinkerForConditionalGeneration", "Qwen2_5OmniProcessor"),  # text out only
}
SCORING = ("loglik", "generate")
ENGINES = ("transformers", "deepspeed")


def resolve_model(model: str, key: str = "reasoner.model") -> str:
    """A local folder, or a hub id whose files are in the local Hugging Face cache; anything
    else is a start-up error that names the config key."""
    if not model:
        raise ValueError(f"{key} is empty: give a local folder or a hub id (e.g. Qwen/Qwen2-Audio-7B-Instruct)")
    if os.path.isdir(model):
        if not os.path.exists(os.path.join(model, "config.json")):
            raise FileNotFoundError(f"{key}: {model} has no config.json (not a transformers model folder)")
        return model
    if model.startswith((".", "/", "~")) or model.count("/") > 1:  # a path, not an owner/name hub id
        raise FileNotFoundError(f"{key}: folder {model} does not exist")
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(model, "config.json"), str):
        raise FileNotFoundError(
            f"{key}: {model!r} is neither a local folder nor in the Hugging Face cache, and runs never download "
            f"(HF_HUB_OFFLINE=1). Fetch it first, e.g. `huggingface-cli download {model}`, or give a local path.")
    return model


def input_device(model):
    """Where inputs go: the input embeddings' device (with `device_map` the model spans devices)."""
    return model.get_input_embeddings().weight.device


class TransformersLALMReasoner:
    """Choice scoring (or constrained generation) with an LALM that hears the clip.

    model:           local folder or cached hub id (reasoner.model)
    family:          qwen2_audio | qwen2_5_omni (the thinker, text out)
    dtype:           bfloat16 (GPU default) | float16 | float32
    device_map:      e.g. "auto" to spread a large model over the GPUs (accelerate); or
    device:          one device ("cuda", "cuda:1", "cpu") when device_map is not set
    max_batch:       (request, choice) rows per forward pass
    calibration:     none (sum of the choice's token log-probs) | mean (divided by its length)
    scoring:         loglik | generate (constrained to the choices; answer by MMAU string match)
    engine:          transformers | deepspeed (deepspeed.init_inference, `tensor_parallel` GPUs)
    processor_class: optional dotted path replacing the family's processor class
    """

    hears_audio = True

    def __init__(self, model: str, family: str = "qwen2_audio", dtype: str = "bfloat16", device: str | None = None,
                 device_map: str | dict | None = None, max_batch: int = 8, calibration: str = "none",
                 scoring: str = "loglik", engine: str = "transformers", tensor_parallel: int = 1,
                 max_audio_seconds: float = 30.0, threads: int | None = None, processor_class: str | type | None = None,
                 temperature: float = 1.0):
        if family not in FAMILIES:
            raise ValueError(f"reasoner.family {family!r}: one of {', '.join(FAMILIES)}")
        if scoring not in SCORING:
            raise ValueError(f"reasoner.scoring {scoring!r}: one of {', '.join(SCORING)}")
        if engine not in ENGINES:
            raise ValueError(f"reasoner.engine {engine!r}: one of {', '.join(ENGINES)}")
        if calibration not in ("none", "mean"):
            raise ValueError(f"reasoner.calibration {calibration!r}: none or mean")
        if float(temperature) <= 0:
            raise ValueError(f"reasoner.temperature must be positive, got {temperature}")
        self.temperature = float(temperature)  # Answer.probabilities = softmax(scores / temperature)
        if dtype not in ("bfloat16", "float16", "float32"):
            raise ValueError(f"reasoner.dtype {dtype!r}: bfloat16, float16 or float32")
        self.model_path = resolve_model(model)
        self.family, self.dtype, self.calibration, self.scoring = family, dtype, calibration, scoring
        self.engine, self.tensor_parallel = engine, max(1, int(tensor_parallel))
        self.device = device or ("cuda" if _cuda_available() else "cpu")
        self.device_map = device_map
        self.max_batch = max(1, int(max_batch))
        # the models' audio encoders take 30 s windows: longer clips are cut to the first window
        self.max_audio_seconds = float(max_audio_seconds)
        self.threads = int(threads) if threads else None
        # a dotted path (or class) replacing the family's processor class: a patched or custom processor
        self.processor_class = processor_class
        self._model = self._processor = None

    @property
    def id(self) -> str:
        name = os.path.basename(os.path.normpath(self.model_path))
        return (f"{self.family}:{name}:{self.dtype}:{self.scoring}:{self.calibration}:audio{self.max_audio_seconds:g}s"
                f":prompt{AUDIO_PROMPT_VERSION}")

    # -- loading -------------------------------------------------------------------
    def _load(self) -> None:
        """Weights load on the first request (behind a warm answer cache a run never loads them)."""
        if self._model is not None:
            return
        import torch
        import transformers

        if self.threads:
            torch.set_num_threads(self.threads)
        family = FAMILIES[self.family]
        processor_class = self.processor_class or family.processor_class
        if isinstance(processor_class, str):
            module, _, name = processor_class.rpartition(".")
            processor_class = getattr(importlib.import_module(module) if module else transformers, name)
        kwargs = {"dtype": getattr(torch, self.dtype)}
        if self.device_map is not None:
            kwargs["device_map"] = self.device_map
        with transformers_bars_off():
            self._processor = processor_class.from_pretrained(self.model_path)
            model = getattr(transformers, family.model_class).from_pretrained(self.model_path, **kwargs)
        if self.device_map is None and self.engine == "transformers":
            model = model.to(self.device)
        if self.engine == "deepspeed":
            model = init_deepspeed_inference(model, self.tensor_parallel, getattr(torch, self.dtype))
        self._model = model.eval()

    @property
    def model(self):
        self._load()
        return self._model

    @property
    def processor(self):
        self._load()
        return self._processor

    # -- inputs ----------------------------------------------------------------------
    def prompt_text(self, request: ReasonRequest) -> str:
        messages, prefix = render_audio_prompt(request.question, request.choices, request.tool_texts)
        text = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return text + prefix

    def audio_samples(self, path: str):
        """The clip at 16 kHz mono (both families' Whisper feature extractors take 16 kHz)."""
        if not path:
            raise ValueError(f"reasoner {self.family} hears the clip: the request has no audio path")
        audio = load_audio(path, max_seconds=None)
        return audio.samples[: int(self.max_audio_seconds * audio.sample_rate)]

    def encode(self, request: ReasonRequest) -> dict:
        """One request through the processor: prompt token ids with the audio tokens expanded,
        and the audio features (tensors with a batch dimension of 1)."""
        inputs = self.processor(text=[self.prompt_text(request)], audio=[self.audio_samples(request.audio)],
                                sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True)
        return {"input_ids": inputs["input_ids"][0].tolist(),
                "audio": {k: inputs[k] for k in ("input_features", "feature_attention_mask") if k in inputs}}

    def choice_ids(self, choice: str) -> list[int]:
        return self.processor.tokenizer.encode(" " + choice, add_special_tokens=False)

    # -- scoring ---------------------------------------------------------------------
    def _model_inputs(self, ids, mask, audios: Sequence[dict]) -> dict:
        """Token ids, attention mask and the rows' audio features on the model's input device,
        the features in the model's dtype."""
        import torch

        device = input_device(self.model)
        inputs = {"input_ids": ids.to(device), "attention_mask": mask.to(device)}
        for key in audios[0]:
            inputs[key] = torch.cat([audio[key] for audio in audios]).to(device)
        if "input_features" in inputs:
            inputs["input_features"] = inputs["input_features"].to(getattr(torch, self.dtype))
        return inputs

    def _forward(self, rows: Sequence[tuple[list[int], dict]], keep: int):
        """Left-padded forward pass over rows of (token ids, audio features); the log-probs of the
        last `keep` positions' next tokens, (rows, keep, vocab), float32 on the CPU."""
        import torch

        width = max(len(ids) for ids, _ in rows)
        pad = self.processor.tokenizer.pad_token_id or 0
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (row, _) in enumerate(rows):
            ids[i, width - len(row):] = torch.tensor(row)
            mask[i, width - len(row):] = 1
        inputs = self._model_inputs(ids, mask, [audio for _, audio in rows])
        if self.family == "qwen2_audio":  # Qwen2-Audio counts positions from 0 whatever the padding
            inputs["position_ids"] = (mask.cumsum(-1) - 1).clamp(min=0).to(inputs["input_ids"].device)
        with torch.inference_mode():
            logits = self.model(**inputs).logits[:, -keep - 1:-1]
        return torch.log_softmax(logits.float(), dim=-1).cpu()

    def choice_scores(self, encoded: Sequence[dict], requests: Sequence[ReasonRequest]) -> list[list[float]]:
        """Every (request, choice) row's summed log-probs, `max_batch` rows per pass."""
        rows = [(i, j, self.choice_ids(c)) for i, r in enumerate(requests) for j, c in enumerate(r.choices)]
        scores = [[0.0] * len(r.choices) for r in requests]
        for start in range(0, len(rows), self.max_batch):
            chunk = rows[start: start + self.max_batch]
            keep = max(len(c) for _, _, c in chunk)
            logp = self._forward([(encoded[i]["input_ids"] + c, encoded[i]["audio"]) for i, _, c in chunk], keep)
            for row, (i, j, c) in enumerate(chunk):
                picked = logp[row, keep - len(c):, :].gather(-1, _tensor(c)[:, None])
                total = float(picked.sum())
                scores[i][j] = total / len(c) if self.calibration == "mean" else total
        return scores

    def generate_choice(self, enc: dict, request: ReasonRequest) -> tuple[int, str]:
        """Greedy generation allowed only along the choices' token sequences (then end of turn);
        the text is mapped to a choice with MMAU's string match."""
        import torch

        tokenizer = self.processor.tokenizer
        sequences = [self.choice_ids(c) for c in request.choices]
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        stop = [end] if isinstance(end, int) and end >= 0 else [tokenizer.eos_token_id]
        prompt_len = len(enc["input_ids"])

        def allowed(_batch: int, ids) -> list[int]:
            done = ids[prompt_len:].tolist()
            nxt = {s[len(done)] for s in sequences if s[: len(done)] == done and len(s) > len(done)}
            if any(s == done for s in sequences):
                nxt |= set(stop)
            return sorted(nxt) or stop

        inputs = self._model_inputs(torch.tensor([enc["input_ids"]]), torch.ones((1, prompt_len), dtype=torch.long),
                                    [enc["audio"]])
        with torch.inference_mode():
            # the constraint allows nothing past the longest choice and its end-of-turn token
            out = self.model.generate(**inputs, max_new_tokens=max(len(s) for s in sequences) + 1, do_sample=False,
                                      prefix_allowed_tokens_fn=allowed, eos_token_id=stop)
        text = tokenizer.decode(out[0, prompt_len:], skip_special_tokens=True).strip()
        index = match_choice(text, request.choices)
        return (0 if index is None else index), text

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        for req in requests:
            if len(req.choices) < 2:
                raise ValueError(f"need at least 2 choices, got {list(req.choices)}")
        start = time.perf_counter()
        encoded = [self.encode(r) for r in requests]
        answers = []
        if self.scoring == "generate":
            picks = [self.generate_choice(e, r) for e, r in zip(encoded, requests)]
            seconds = (time.perf_counter() - start) / len(requests)
            return [Answer(r.choices[k], k, [], text, seconds, choice_probabilities([], k, len(r.choices)))
                    for r, (k, text) in zip(requests, picks)]
        all_scores = self.choice_scores(encoded, requests)
        seconds = (time.perf_counter() - start) / max(1, len(requests))
        for req, scores in zip(requests, all_scores):
            best = max(range(len(scores)), key=lambda k: scores[k])  # ties -> first, deterministic
            scores = [round(s, 4) for s in scores]
            answers.append(Answer(req.choices[best], best, scores, req.choices[best], seconds,
                                  choice_probabilities(scores, best, len(req.choices), self.temperature)))
        return answers


def _tensor(values: Sequence[int]):
    import torch

    return torch.tensor(values, dtype=torch.long)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def init_deepspeed_inference(model, tensor_parallel: int, dtype):
    """`deepspeed.init_inference` with tensor parallel degree `tensor_parallel`; the wrapped
    module is returned (the same object, converted to `dtype` in place), so scoring calls it like
    any transformers model. Degree > 1 needs one process per GPU, started by DeepSpeed's
    launcher (`deepspeed --num_gpus N ...`, which sets WORLD_SIZE); inside one process (a Ray
    replica) use `device_map: auto` to spread a large model over that replica's GPUs instead."""
    import logging

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if tensor_parallel > world:
        raise ValueError(f"reasoner.tensor_parallel {tensor_parallel} needs {tensor_parallel} processes (WORLD_SIZE is "
                         f"{world}): start under `deepspeed --num_gpus {tensor_parallel}`, or use device_map: auto "
                         "in one process")
    import deepspeed

    logging.getLogger("DeepSpeed").setLevel(logging.ERROR)  # its own stdout handler: accelerator notices
    engine = deepspeed.init_inference(model, tensor_parallel={"tp_size": tensor_parallel}, dtype=dtype,
                                      replace_with_kernel_inject=False)
    return engine.module
