"""Tools that need model weights, loaded from a local path in the config (nothing is downloaded:
this machine, and cluster nodes running with HF_HUB_OFFLINE=1, cannot).

    tools:
      - name: whisper                  # Whisper ASR (transformers pipeline)
        params: {model_path: /shared/models/whisper-small, device: cuda}
      - name: clap                     # CLAP zero-shot sound-event tagging (transformers ClapModel)
        params: {model_path: /shared/models/clap-htsat-unfused, labels: [dog barking, siren, ...]}

A missing or empty `model_path` is an error when the tool set is built (before any model work),
naming the config key; the weights load on the tool's first clip, so a run whose tool cache is
warm never loads them. `version` carries the model folder's name, so a different checkpoint
never reuses another's cached results.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from tools.base import Audio, BaseTool
from tools.quiet import transformers_bars_off


def require_model_path(tool: str, path: str | None) -> str:
    if not path:
        raise ValueError(f"tool {tool!r} needs tools[{tool}].params.model_path: a local folder with the model's weights "
                         "(runs never download them)")
    if not os.path.isfile(os.path.join(path, "config.json")):
        what = "does not exist" if not os.path.exists(path) else "has no config.json (not a transformers model folder)"
        raise ValueError(f"tools[{tool}].params.model_path: {path} {what}")
    return path


def pipeline_device(device: str) -> int | str:
    return -1 if device == "cpu" else device


class WhisperASRTool(BaseTool):
    """Speech transcript by a Whisper checkpoint (English, no timestamps)."""

    name = "whisper"
    description = "Speech recognition with Whisper (local weights)."
    cost = 1.0

    def __init__(self, cost: float | None = None, model_path: str | None = None, device: str = "cpu",
                 language: str = "en", max_new_tokens: int | None = None):
        super().__init__(cost)
        self.model_path = require_model_path(self.name, model_path)
        # None: the checkpoint's generation config decides (Whisper's own limit is 448 tokens)
        self.device, self.language, self.max_new_tokens = device, language, max_new_tokens
        self.version = f"1:{os.path.basename(os.path.normpath(self.model_path))}"
        self._asr = None

    def analyze(self, audio: Audio, question, choices):
        if self._asr is None:
            from transformers import pipeline

            with transformers_bars_off():
                self._asr = pipeline("automatic-speech-recognition", model=self.model_path,
                                     device=pipeline_device(self.device))
        generate = {"language": self.language, "task": "transcribe"}
        if self.max_new_tokens:
            generate["max_new_tokens"] = int(self.max_new_tokens)
        out = self._asr({"raw": audio.samples, "sampling_rate": audio.sample_rate}, generate_kwargs=generate)
        text = out["text"].strip()
        if not text:
            return {"transcript": ""}, "Whisper heard no words."
        return {"transcript": text}, f'Whisper transcript: "{text}".'


class ClapEventsTool(BaseTool):
    """Zero-shot sound-event tagging: CLAP's audio-text similarity of the clip with each label.
    Labels: `labels` from the config, or (without them) the question's choices, so the tool
    answers "which of these does it sound like?" directly."""

    name = "clap"
    description = "Sound-event tagging with CLAP (local weights), over the configured labels or the choices."
    cost = 0.5
    top_k = 3

    def __init__(self, cost: float | None = None, model_path: str | None = None, labels: Sequence[str] | None = None,
                 device: str = "cpu", template: str = "the sound of {}"):
        super().__init__(cost)
        self.model_path = require_model_path(self.name, model_path)
        self.labels = [str(x) for x in labels] if labels else []
        self.uses_choices = not self.labels  # the labels are the choices: they key the cache
        self.device, self.template = device, template
        self.version = f"1:{os.path.basename(os.path.normpath(self.model_path))}"
        self._model = self._processor = None

    def _load(self):
        if self._model is None:
            from transformers import ClapModel, ClapProcessor

            with transformers_bars_off():
                self._processor = ClapProcessor.from_pretrained(self.model_path)
                self._model = ClapModel.from_pretrained(self.model_path).to(self.device).eval()
        return self._model, self._processor

    def probabilities(self, audio: Audio, labels: Sequence[str]) -> dict[str, float]:
        import soxr
        import torch

        model, processor = self._load()
        rate = processor.feature_extractor.sampling_rate  # 48 kHz for the released checkpoints
        samples = audio.samples if rate == audio.sample_rate else soxr.resample(audio.samples, audio.sample_rate, rate)
        inputs = processor(text=[self.template.format(x) for x in labels], audio=[np.asarray(samples, np.float32)],
                           sampling_rate=rate, return_tensors="pt", padding=True).to(self.device)
        with torch.inference_mode():
            probs = model(**inputs).logits_per_audio.softmax(-1)[0].cpu().tolist()
        return dict(zip(labels, probs))

    def analyze(self, audio: Audio, question, choices):
        labels = self.labels or list(choices)
        if len(labels) < 2:
            raise ValueError("CLAP tagging needs at least 2 labels (tools[clap].params.labels, or the choices)")
        probs = self.probabilities(audio, labels)
        top = sorted(probs.items(), key=lambda kv: -kv[1])[: self.top_k]
        text = "Sounds most like (CLAP): " + ", ".join(f"{label} ({100 * p:.0f}%)" for label, p in top) + "."
        return {"probabilities": {k: round(v, 4) for k, v in probs.items()}}, text
