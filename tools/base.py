"""The tool contract: `Audio` in, `ToolResult` out.

Every audio tool implements `Tool.run(audio, question, choices) -> ToolResult`.
Most tools only look at the audio; a few (phrase spotting) need the choices.
A tool knows nothing about Ray, caching or the reasoner: those wrap it.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np
import soundfile as sf

SAMPLE_RATE = 16000  # every tool sees 16 kHz mono float32 (pocketsphinx and silero-vad need it)
# Longest clip decoded (config `max_audio_seconds`). Checked from the header before any sample is
# read, so a 2-hour file costs no memory: MMAU clips run 10-30 s and MMAR's a few minutes.
MAX_AUDIO_SECONDS = 600.0


class AudioError(ValueError):
    """The file cannot be used as audio. The message names the file and the reason."""


@dataclass(frozen=True)
class Audio:
    """Decoded mono audio at SAMPLE_RATE plus the hash of the file's bytes (the cache key)."""

    samples: np.ndarray
    sample_rate: int
    path: str
    sha256: str

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_audio(path: str, max_seconds: float | None = MAX_AUDIO_SECONDS) -> Audio:
    """Read, mix down to mono and resample to 16 kHz; refuse anything that is not usable audio,
    and any clip longer than `max_seconds` (None: no limit) before decoding it."""
    if not os.path.exists(path):
        raise AudioError(f"{path}: file not found")
    if os.path.getsize(path) == 0:
        raise AudioError(f"{path}: file is empty")
    try:
        info = sf.info(path)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError or TypeError
        raise AudioError(f"{path}: not readable as audio ({exc})") from exc
    if max_seconds and info.frames > max_seconds * info.samplerate:
        raise AudioError(f"{path}: audio is {info.frames / info.samplerate:.0f} s long, over the limit of "
                         f"{max_seconds:g} s (config max_audio_seconds); not decoded")
    try:
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:
        raise AudioError(f"{path}: not readable as audio ({exc})") from exc
    if samples.shape[0] == 0:
        raise AudioError(f"{path}: audio has no samples")
    mono = samples.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"{path}: audio contains NaN or infinite samples")
    if rate != SAMPLE_RATE:
        import soxr  # ships with librosa; fast and high quality

        mono = soxr.resample(mono, rate, SAMPLE_RATE).astype(np.float32)
    return Audio(samples=np.ascontiguousarray(mono, dtype=np.float32), sample_rate=SAMPLE_RATE,
                 path=path, sha256=file_sha256(path))


@dataclass
class ToolResult:
    """What one tool said about one audio clip.

    `data` is structured and JSON-able (for features and analysis); `text` is one or two
    lines rendered for the reasoner's prompt. An error result has ok=False and the reason
    in `error`; the reasoner then simply does not see it.

    `contrasts` are the texts the tool would have written had it measured something else (the
    other trend, a count one or two off, a neighbouring note): the same sentence with another
    value. A reasoner that cannot reason from a measurement to a yes/no answer can still ask
    whether the question is better explained by what was measured than by the alternatives
    (env/reasoners/smollm2.py, `contrast`). Empty when the tool has none.
    """

    tool: str
    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    error: str = ""
    seconds: float = 0.0
    contrasts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ToolResult":
        """Also reads results cached before `contrasts` existed (they have none)."""
        return cls(**{k: d[k] for k in ("tool", "ok", "data", "text", "error", "seconds")},
                   contrasts=list(d.get("contrasts") or []))


@runtime_checkable
class Tool(Protocol):
    """One audio tool (docs/EXTENDING.md: adding one).

    name:          how configs and the router's actions name it
    cost:          arbitrary units (roughly CPU seconds per clip); feeds the router's cost penalty
    version:       bump whenever the output changes: it keys the result cache
    uses_choices:  its result depends on the question and answer choices (they join the cache key)
    applicable:    its precondition on the question and choices; a tool that does not apply is
                   masked for the router and never run (BaseTool: always applies)
    min_seconds:   (BaseTool) the shortest clip it measures; a shorter one is an error result
    run:           the result, or an error result; never raises

    Optional (BaseTool gives empty ones; the executor asks only tools that have them):
    examples, questions the tool's result answers in varied words: with
    `train.env.relevance_match: examples` a question's relevance to the tool counts its nearest
    example beside the description (a new wording lies nearer some question than one sentence);
    contrast_texts(data) and question_contrasts(data, question, choices), the texts for other
    outcomes that the reasoner's contrast rule scores against;
    features and feature_vector(data): what the router sees of a result (`feature_vector` below);
    question_words, how questions word what the tool's line says, in the line's words
    (tools/mentions.py Wording): a reasoner that matches words reads the question in them.
    """

    name: str
    description: str
    cost: float
    version: str
    uses_choices: bool

    def applicable(self, question: str, choices: Sequence[str]) -> bool: ...

    def run(self, audio: Audio, question: str, choices: Sequence[str]) -> ToolResult: ...


class BaseTool:
    """Shared plumbing: timing and turning exceptions into error results.

    Subclasses implement `analyze(audio, question, choices) -> (data, text)`, and may implement
    `contrast_texts(data)`: the texts for the other outcomes of the same measurement,
    `question_contrasts(data, question, choices)`: those for the outcomes a question names, and
    `features` with `feature_vector(data)`: what the router sees of a result. `min_seconds`: the
    shortest clip the measurement is defined on; a shorter one gets an error result naming both
    lengths instead of the measurement library's own error.
    """

    name = "base"
    description = ""
    examples: tuple[str, ...] = ()  # questions the tool's result answers, in varied words (relevance)
    cost = 1.0
    version = "1"
    uses_choices = False
    features: tuple[str, ...] = ()  # names of feature_vector's entries; their number is fixed per tool
    min_seconds = 0.0  # the shortest clip it can measure: a shorter one is an error result that says so
    question_words: tuple = ()  # mentions.Wording: a question's words for what the line says -> the line's

    def __init__(self, cost: float | None = None, **params: Any):
        if cost is not None:
            self.cost = float(cost)
        self.params = params

    def applicable(self, question: str, choices: Sequence[str]) -> bool:
        """Every question, unless a subclass says otherwise."""
        return True

    def analyze(self, audio: Audio, question: str, choices: Sequence[str]) -> tuple[dict, str]:
        raise NotImplementedError

    def contrast_texts(self, data: dict) -> list[str]:
        """What the text would have said for the other outcomes of this measurement (none here)."""
        return []

    def question_contrasts(self, data: dict, question: str, choices: Sequence[str]) -> list[str]:
        """The text for the outcomes the question or its choices name (tools/mentions.py), when
        the measurement was another: a yes/no question about 60 BPM needs "the tempo is 60 BPM"
        among the alternatives to be answered "no" over a 120 BPM beat. Computed per request
        (the executor, not the result cache: a clip's result serves every question about it)."""
        return []

    def feature_vector(self, data: dict) -> list[float]:
        """One number per name in `features`, each of order 1 (roughly -1..1), from a successful
        result's `data`. The router's observation holds them once the tool has been called (zeros
        before, or after a failure), so its next decision can depend on what the tool found: no
        speech found, then no phrase spotting; a decisive measurement, then answer. A fixed size
        per tool, declared up front: the observation's layout, and router.pt's, depend on it."""
        return []

    def run(self, audio: Audio, question: str, choices: Sequence[str]) -> ToolResult:
        start = time.perf_counter()
        if audio.duration < self.min_seconds:  # not a measurement library's error from deep inside
            return ToolResult(self.name, False, {}, "", f"the clip is {audio.duration:.3f} s long; {self.name} "
                              f"needs at least {self.min_seconds:g} s", time.perf_counter() - start)
        try:
            data, text = self.analyze(audio, question, list(choices))
            contrasts = [c for c in self.contrast_texts(data) if c and c != text] if text else []
            return ToolResult(self.name, True, data, text, "", time.perf_counter() - start, contrasts)
        except Exception as exc:  # a failing tool must never sink the item
            return ToolResult(self.name, False, {}, "", f"{type(exc).__name__}: {exc}",
                              time.perf_counter() - start)


def hz_to_note(hz: float) -> str:
    """440 -> 'A4' (equal temperament, A4 = 440 Hz)."""
    names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    midi = int(round(69 + 12 * np.log2(hz / 440.0)))
    return f"{names[midi % 12]}{midi // 12 - 1}"
