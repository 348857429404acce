"""What every reasoner backend takes and gives, and the contract it keeps.

A reasoner answers a multiple-choice question given the rendered tool evidence. It is frozen
and greedy: the same (question, choices, evidence[, clip]) always gives the same answer, which
is what lets `CachedReasoner` memoize it and the router's reward be a pure function of the
tools it called.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, Sequence


@dataclass(frozen=True)
class ReasonRequest:
    """`audio`: the clip's path, for reasoners that hear it (LALMs, `hears_audio`); a text-only
    cascade reasoner ignores it. `contrasts`: per tool text, that tool's texts for other outcomes
    (ToolResult.contrasts), for a reasoner that scores against them (`uses_contrasts`)."""

    question: str
    choices: tuple[str, ...]
    tool_texts: tuple[str, ...] = ()
    audio: str = ""
    contrasts: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def from_results(cls, question: str, choices: Sequence[str], results, executor, audio: str = "") -> "ReasonRequest":
        """The request for an item with these tool results: the executor orders the evidence."""
        return cls(question, tuple(choices), executor.evidence(results), audio,
                   executor.contrasts(results, question, choices))


@dataclass
class Answer:
    """`scores`: the backend's score per choice (empty for a backend that only generates text).
    `probabilities`: per choice, the backend's calibrated probability that it is the right one
    (`choice_probabilities`); the reward `relative_prob` reads the correct choice's."""

    choice: str
    index: int
    scores: list[float] = field(default_factory=list)
    raw: str = ""
    seconds: float = 0.0
    probabilities: list[float] = field(default_factory=list)


def choice_probabilities(scores: Sequence[float], index: int, n_choices: int, temperature: float = 1.0) -> list[float]:
    """softmax(scores / temperature) over the choices; with no scores (a backend that generates
    text, then matches it to a choice), all mass on the choice it named.

    The temperature is the backend's calibration: its scores are log-probabilities, log-ratios or
    contrasts in nats, and how sure a margin of one nat makes it is measured, not assumed
    (docs/PROMPTS.md "Calibrated probabilities")."""
    if not scores:
        return [1.0 if k == index else 0.0 for k in range(n_choices)]
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    top = max(scores)
    weights = [math.exp((s - top) / temperature) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


# what a wrapper around a backend (BatchingReasoner, a reasoner pool's client) passes on from the
# backend it wraps, with the protocol's defaults: the answer cache keys by the first two and
# recomputes probabilities at the third, so a wrapper without them keys a hearing backend's answers
# without the clip and calibrates at temperature 1
BACKEND_TRAITS = {"hears_audio": False, "uses_contrasts": False, "temperature": 1.0}


def backend_traits(backend) -> dict:
    """`backend`'s BACKEND_TRAITS, the protocol's default where it has none."""
    return {name: getattr(backend, name, default) for name, default in BACKEND_TRAITS.items()}


class ReasonerBackend(Protocol):
    """The contract of a backend (env/reasoners/registry.py builds one from config).

    id:           names the model and every setting that changes answers; it keys the answer
                  cache, so two backends that may answer differently must never share one.
    hears_audio:  True for a backend that takes the clip itself (an LALM): it gets
                  ReasonRequest.audio, and its answers are cached per clip as well. A text-only
                  backend (the embedded SmolLM2) hears the clip only through the tools.
    uses_contrasts: True for a backend whose answer reads ReasonRequest.contrasts (then they
                  join its cache key).
    temperature:  its scores' calibration: Answer.probabilities = softmax(scores / temperature)
                  (`choice_probabilities`). Not part of the id: probabilities are recomputed from
                  the cached scores, so a new temperature needs no new answers.
    answer_batch: one Answer per request, in order, each naming one of the request's choices,
                  with its probabilities.
    """

    id: str
    hears_audio: bool = False
    uses_contrasts: bool = False
    temperature: float = 1.0

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]: ...
