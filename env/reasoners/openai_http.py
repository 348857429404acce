"""The reasoner behind an OpenAI-compatible HTTP endpoint (what `vllm serve` exposes).

Each request is one chat completion: the clip as a base64 WAV `input_audio` content part, the
question, choices and tool lines as text (env/prompt.py, render_audio_prompt), temperature 0.
The server is asked to answer with one of the choices (`choice_constraint`: vLLM's
`guided_choice`, or `structured_outputs: {choice: [...]}` in newer vLLM, or nothing), and the
reply is mapped to a choice with MMAU's string match; a reply that names no choice counts as
the first choice and keeps its text in `Answer.raw`.

Failures: every call has a timeout; connection errors, 429 and 5xx are retried with exponential
backoff (`retries`, `backoff_s`); other 4xx fail at once with the server's message. A server
that never answers is reported as such, naming `reasoner.base_url`. Requests of one batch run
concurrently (`max_concurrency`): the server batches them.
"""
from __future__ import annotations

import base64
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from env.prompt import AUDIO_PROMPT_VERSION, render_audio_prompt
from env.reasoners.types import Answer, ReasonRequest, choice_probabilities
from env.scoring import match_choice
from tools.base import load_audio
from tools.errors import SetupError

CONSTRAINTS = ("guided_choice", "structured_outputs", "none")
RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class ReasonerServerError(SetupError):
    pass


def wav_base64(path: str, max_seconds: float) -> str:
    """The clip as 16 kHz mono 16-bit WAV, base64: whatever the file's format, the server gets
    one it can decode, cut to the model's window."""
    import soundfile as sf

    audio = load_audio(path, max_seconds=None)
    buffer = io.BytesIO()
    sf.write(buffer, audio.samples[: int(max_seconds * audio.sample_rate)], audio.sample_rate, format="WAV",
             subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode()


class OpenAIReasoner:
    """base_url:          e.g. http://gpu-node:8000/v1
    model:             the served model's name
    api_key_env:       environment variable holding the API key (never the key in a config)
    send_audio:        attach the clip (an LALM); false for a text-only model
    choice_constraint: guided_choice | structured_outputs | none
    timeout_s, retries, backoff_s, max_concurrency, max_tokens, max_audio_seconds
    """

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", send_audio: bool = True,
                 choice_constraint: str = "guided_choice", timeout_s: float = 60.0, retries: int = 3,
                 backoff_s: float = 1.0, max_concurrency: int = 8, max_tokens: int = 16,
                 max_audio_seconds: float = 30.0):
        if not base_url:
            raise ValueError("reasoner.base_url is empty: give the server's URL, e.g. http://127.0.0.1:8000/v1")
        if choice_constraint not in CONSTRAINTS:
            raise ValueError(f"reasoner.choice_constraint {choice_constraint!r}: one of {', '.join(CONSTRAINTS)}")
        self.base_url = base_url.rstrip("/")
        self.model, self.api_key_env, self.send_audio = model, api_key_env, bool(send_audio)
        self.hears_audio = self.send_audio  # answers are cached per clip only when the model hears it
        self.choice_constraint = choice_constraint
        self.timeout_s, self.retries, self.backoff_s = float(timeout_s), max(0, int(retries)), float(backoff_s)
        self.max_concurrency, self.max_tokens = max(1, int(max_concurrency)), int(max_tokens)
        self.max_audio_seconds = float(max_audio_seconds)
        self.attempts = 0  # HTTP attempts made, retries included (tests, logs)

    @property
    def id(self) -> str:
        return (f"openai:{self.model}:{self.choice_constraint}:audio={int(self.send_audio)}"
                f":prompt{AUDIO_PROMPT_VERSION}")

    def payload(self, request: ReasonRequest) -> dict:
        # the chat API cannot start the assistant's reply, so the reply prefix is left out
        messages, _ = render_audio_prompt(request.question, request.choices, request.tool_texts)
        user = messages[1]["content"]
        if self.send_audio:
            user[0] = {"type": "input_audio",
                       "input_audio": {"data": wav_base64(request.audio, self.max_audio_seconds), "format": "wav"}}
        else:
            user.pop(0)
        body = {"model": self.model, "messages": messages, "temperature": 0.0, "max_tokens": self.max_tokens}
        if self.choice_constraint == "guided_choice":
            body["guided_choice"] = list(request.choices)
        elif self.choice_constraint == "structured_outputs":
            body["structured_outputs"] = {"choice": list(request.choices)}
        return body

    def post(self, body: dict) -> dict:
        """POST /chat/completions with retries and backoff; the parsed JSON reply."""
        import requests

        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            self.attempts += 1
            try:
                reply = requests.post(url, json=body, headers=headers, timeout=self.timeout_s)
            except requests.Timeout:
                last = f"no reply within {self.timeout_s:g} s (reasoner.timeout_s)"
                continue
            except requests.ConnectionError as exc:
                last = f"cannot connect ({type(exc).__name__}): is the server running?"
                continue
            if reply.status_code in RETRY_STATUS:
                last = f"HTTP {reply.status_code}: {reply.text[:200]}"
                continue
            if reply.status_code != 200:
                raise ReasonerServerError(f"reasoner server {url} refused the request: HTTP {reply.status_code}: "
                                          f"{reply.text[:300]}")
            return reply.json()
        raise ReasonerServerError(f"reasoner server {url} (reasoner.base_url) failed {self.retries + 1} tries: {last}")

    def answer_one(self, request: ReasonRequest) -> Answer:
        if len(request.choices) < 2:
            raise ValueError(f"need at least 2 choices, got {list(request.choices)}")
        start = time.perf_counter()
        reply = self.post(self.payload(request))
        try:
            text = reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise ReasonerServerError(f"reasoner server {self.base_url}: reply without choices[0].message.content: "
                                      f"{str(reply)[:200]}") from exc
        index = match_choice(text, request.choices)
        k = 0 if index is None else index
        return Answer(request.choices[k], k, [], text, time.perf_counter() - start,
                      choice_probabilities([], k, len(request.choices)))

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        if len(requests) <= 1:
            return [self.answer_one(r) for r in requests]
        with ThreadPoolExecutor(min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(self.answer_one, requests))
