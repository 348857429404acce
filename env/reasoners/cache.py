"""The answer cache in front of any backend: a frozen reasoner's answer is a pure function of
(backend id, request[, clip]), so it is computed once and kept on disk."""
from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import asdict
from typing import Sequence

from env.reasoners.types import Answer, ReasonerBackend, ReasonRequest, backend_traits, choice_probabilities
from tools.timeouts import DEFAULT_REASONER_TIMEOUT_S, TimedCalls


class CachedReasoner:
    """Memoizes a frozen reasoner: the answer is a pure function of (reasoner id, request).

    `timeout_s` bounds each call for the requests the cache misses (tools/timeouts.py): past it the
    caller gets TimeoutError and goes on; the abandoned computation still fills the cache if it
    ever finishes, so the work is not lost for the next episode that asks.
    """

    def __init__(self, backend: ReasonerBackend, cache, timeout_s: float | None = DEFAULT_REASONER_TIMEOUT_S):
        self.backend = backend
        self.cache = cache
        self.id = backend.id
        traits = backend_traits(backend)
        self.hears_audio = traits["hears_audio"]  # the reasoner hears the clip itself, with or without tools
        self.uses_contrasts = traits["uses_contrasts"]
        self.temperature = traits["temperature"]
        self.timed = TimedCalls(timeout_s)
        self.compute_seconds = 0.0  # spent computing misses (or waiting on the pool for them): PPO's profile

    def key(self, request: ReasonRequest) -> str:
        fields = [self.backend.id, request.question, list(request.choices), list(request.tool_texts)]
        if self.hears_audio:  # the answer depends on the clip itself
            fields.append(self._audio_sha256(request.audio))
        if self.uses_contrasts and any(request.contrasts):
            fields.append([list(c) for c in request.contrasts])
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()

    @functools.lru_cache(maxsize=65536)
    def _audio_sha256(self, path: str) -> str:
        from tools.base import file_sha256

        return file_sha256(path)

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        keys = [self.key(r) for r in requests]
        found = [self.cache.get(k) for k in keys]
        todo = [i for i, f in enumerate(found) if f is None]

        def compute() -> list[dict]:
            start = time.perf_counter()
            fresh = [asdict(a) for a in self.backend.answer_batch([requests[i] for i in todo])]
            self.compute_seconds += time.perf_counter() - start
            for i, answer in zip(todo, fresh):
                self.cache.put(keys[i], answer)
            return fresh

        if todo:
            fresh = self.timed.call(compute, f"reasoner {self.id}")
            for i, answer in zip(todo, fresh):
                found[i] = answer
        return [self.calibrated(Answer(**f), len(r.choices)) for f, r in zip(found, requests)]

    def calibrated(self, answer: Answer, n_choices: int) -> Answer:
        """The answer's probabilities at the backend's temperature, recomputed from its scores:
        answers cached before probabilities existed, or at another temperature, get today's."""
        answer.probabilities = choice_probabilities(answer.scores, answer.index, n_choices, self.temperature)
        return answer


# registered backends: name -> "module:Class", imported only when chosen (the LALM backends pull
# in large model classes; the OpenAI one needs nothing but requests)
