"""What `audiorouter serve` accepts and answers, without Ray: the `serve` config section, request
parsing and checking (OpenAI chat with audio, `/v1/answer` JSON or multipart), the clip store,
and the reply shapes. cluster/serve.py puts it behind Ray Serve deployments.

A request becomes a `Query` (the clip's bytes, its format, the question, the choices) or a
`RequestError` (an HTTP 4xx with a JSON body that says what was wrong). The checks, in order:
size (a byte limit, before any decoding), the shape of the body (unknown fields refused, by
name), the audio (base64 that decodes, a data: URL, never a server path or file: URL, a remote
http(s) URL only when the operator allows it), the choices (at least two distinct), then the
audio itself (`check_clip`: libsndfile reads it, no longer than `max_audio_seconds`, finite
samples), the same checks `audiorouter eval` applies to a dataset's files.

The server writes a client's clip only as `<work_dir>/clips/<sha256>.<format>`: the name comes
from the bytes' hash and a fixed list of formats, never from anything the client names, so no
request reads or writes outside the server's folders.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Sequence

from env.items import offered_choices
from tools.base import AudioError, load_audio
from tools.sections import option

FORMATS = {"wav": "wav", "x-wav": "wav", "wave": "wav", "vnd.wave": "wav", "mp3": "mp3", "mpeg": "mp3",
           "flac": "flac", "x-flac": "flac", "ogg": "ogg", "opus": "ogg"}  # a client's name -> our extension
# the fields of an OpenAI chat completion request we accept (most are ignored: the answer is a choice)
CHAT_FIELDS = {"model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stream",
               "seed", "user", "stop", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs",
               "guided_choice", "structured_outputs", "metadata", "store", "modalities"}
ANSWER_FIELDS = {"audio", "format", "question", "choices"}
PART_TYPES = {"text", "input_audio", "audio_url"}
PATH_LIKE = re.compile(r"^(file:|~|\.{1,2}/|/)\S*$")


@dataclass
class ServeConfig:
    """Config section `serve`: `audiorouter serve` (the router's tools and reasoner come from the
    rest of the config; the tool and reasoner replicas from `pools`)."""

    host: str = option("127.0.0.1", "address the HTTP server binds (0.0.0.0 exposes it: README says how, safely)")
    port: int = option(8000, "HTTP port")
    model_name: str = option("audiorouter", "the model id /v1/models lists and replies carry")
    max_audio_bytes: int = option(20_000_000, "largest clip accepted, in bytes, checked before decoding (413)")
    allow_remote_audio: bool = option(False, "fetch http(s) audio_url parts (off: refused; the server never fetches)")
    remote_audio_timeout_s: float = option(10.0, "time limit on fetching a remote audio_url")
    work_dir: str = option(".cache/audiorouter/serve", "where received clips are kept, named by their SHA-256")
    router_replicas: int = option(1, "router deployment replicas (question features + MLP, CPU)")
    router_num_cpus: float = option(0.5, "CPUs per router replica")
    ingress_replicas: int = option(1, "HTTP ingress replicas")
    max_ongoing_requests: int = option(64, "requests a router, reasoner or ingress replica holds at once")
    tool_max_ongoing_requests: int = option(2, "requests a tool replica holds at once (a tool call holds its core)")
    request_timeout_s: float = option(300.0, "a request not answered by then gets a 504")


class RequestError(Exception):
    """A client's mistake: HTTP `status` (4xx) and a JSON body naming what was wrong."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str = "invalid_request"):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    def body(self) -> dict:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class Query:
    audio: bytes
    format: str  # one of FORMATS' values
    question: str
    choices: tuple[str, ...]


def body_limit(max_audio_bytes: int) -> int:
    """Largest HTTP body accepted: the clip base64-encoded (4/3) plus room for the rest."""
    return max_audio_bytes * 4 // 3 + 1_000_000


def check_size(n_bytes: int, max_audio_bytes: int, what: str = "request body") -> None:
    limit = body_limit(max_audio_bytes) if what == "request body" else max_audio_bytes
    if n_bytes > limit:
        raise RequestError(413, f"{what} is {n_bytes} bytes, over the limit of {limit} (serve.max_audio_bytes "
                           f"= {max_audio_bytes})", code="too_large")


def audio_format(name: str | None, param: str) -> str:
    fmt = (name or "wav").lower().strip()
    if fmt not in FORMATS:
        raise RequestError(400, f"{param}: unsupported audio format {name!r}; send one of wav, mp3, flac, ogg",
                           param, code="unsupported_format")
    return FORMATS[fmt]


def decode_base64(data: Any, param: str, max_audio_bytes: int) -> bytes:
    """The clip's bytes from base64 text; a server path or file: URL in its place is refused by name."""
    if not isinstance(data, str) or not data.strip():
        raise RequestError(400, f"{param}: expected the audio as base64 text", param, code="missing_audio")
    text = data.strip()
    check_size(len(text) * 3 // 4, max_audio_bytes, "audio")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        if PATH_LIKE.match(text):
            raise RequestError(400, f"{param}: looks like a file path; the server never reads files a request "
                               "names: send the audio itself, base64-encoded", param, code="path_refused") from None
        raise RequestError(400, f"{param}: malformed base64", param, code="bad_base64") from None
    if not raw:
        raise RequestError(400, f"{param}: the audio is empty", param, code="missing_audio")
    return raw


def parse_data_url(url: str, param: str, max_audio_bytes: int) -> tuple[bytes, str]:
    """`data:audio/wav;base64,...` -> (bytes, format)."""
    head, sep, payload = url.partition(",")
    match = re.fullmatch(r"data:audio/([\w.+-]+)(;[^,]*)?", head.strip(), flags=re.I)
    if not sep or not match or ";base64" not in (match.group(2) or "").lower():
        raise RequestError(400, f"{param}: expected data:audio/<format>;base64,<data>", param, code="bad_audio_url")
    return decode_base64(payload, param, max_audio_bytes), audio_format(match.group(1), param)


def fetch_remote(url: str, param: str, max_audio_bytes: int, timeout_s: float) -> tuple[bytes, str]:
    """GET an http(s) clip, stopping at the byte limit (only when serve.allow_remote_audio)."""
    import requests

    try:
        with requests.get(url, stream=True, timeout=timeout_s) as reply:
            reply.raise_for_status()
            chunks, size = [], 0
            for chunk in reply.iter_content(1 << 16):
                size += len(chunk)
                check_size(size, max_audio_bytes, "audio")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise RequestError(400, f"{param}: could not fetch {url}: {type(exc).__name__}: {exc}", param,
                           code="fetch_failed") from exc
    ext = os.path.splitext(url.split("?")[0])[1].lstrip(".")
    return b"".join(chunks), audio_format(ext if ext in FORMATS else "wav", param)


def audio_from_url(url: Any, param: str, cfg: ServeConfig) -> tuple[bytes, str]:
    if not isinstance(url, str) or not url:
        raise RequestError(400, f"{param}: expected a data: URL", param, code="missing_audio")
    if url[:5].lower() == "data:":
        return parse_data_url(url, param, cfg.max_audio_bytes)
    if url.split(":", 1)[0].lower() in ("http", "https"):
        if not cfg.allow_remote_audio:
            raise RequestError(400, f"{param}: remote audio URLs are not fetched by this server "
                               "(serve.allow_remote_audio is off); send the audio as a data: URL or input_audio",
                               param, code="remote_refused")
        return fetch_remote(url, param, cfg.max_audio_bytes, cfg.remote_audio_timeout_s)
    raise RequestError(400, f"{param}: only data: URLs (and http(s) where the operator allows it) are accepted; "
                       "the server never reads files a request names", param, code="path_refused")


def check_fields(body: Any, known: set[str], where: str) -> dict:
    if not isinstance(body, dict):
        raise RequestError(400, f"{where}: expected a JSON object", code="bad_json")
    unknown = sorted(set(body) - known)
    if unknown:
        raise RequestError(400, f"{where}: unknown field(s) {', '.join(unknown)}; accepted: "
                           f"{', '.join(sorted(known))}", unknown[0], code="unknown_field")
    return body


def check_choices(choices: Any, param: str) -> tuple[str, ...]:
    if choices is None or choices == [] or choices == "":
        raise RequestError(400, f"{param}: no choices: give at least two (guided_choice, or listed in the text "
                           "after 'Choices:')", param, code="no_choices")
    if isinstance(choices, str):
        choices = choices.split("|")
    if not isinstance(choices, (list, tuple)) or not all(isinstance(c, str) for c in choices):
        raise RequestError(400, f"{param}: expected a list of strings", param, code="bad_choices")
    offered = offered_choices(choices)
    if len(offered) < 2:
        raise RequestError(400, f"{param}: needs at least 2 distinct non-empty choices, got {list(offered)}",
                           param, code="one_choice")
    return offered


def split_question(text: str) -> tuple[str, list[str]]:
    """(question, choices listed in the text). Reads what OpenAI-style clients write and what our
    own openai backend renders: 'Question: ...' / 'Choices:' then one '- choice' (or 'A. choice',
    '(A) choice') per line; tool lines and instructions after the list are dropped."""
    lines = text.strip().splitlines()
    head = [i for i, line in enumerate(lines) if line.strip().lower().rstrip(":") == "choices"]
    if not head:
        question = text.strip()
        return question.removeprefix("Question:").strip(), []
    question = "\n".join(lines[: head[0]]).strip().removeprefix("Question:").strip()
    choices = []
    for line in lines[head[0] + 1:]:
        item = re.match(r"^\s*(?:[-*\u2022]|\(?[A-Za-z0-9][.)])\s+(.*\S)\s*$", line)
        if not item:
            break
        choices.append(item.group(1))
    return question, choices


def parse_chat(body: Any, cfg: ServeConfig) -> Query:
    """An OpenAI chat completion request with an audio part, as vLLM takes it for Qwen2-Audio."""
    body = check_fields(body, CHAT_FIELDS, "request")
    if body.get("stream"):
        raise RequestError(400, "stream: streaming is not supported; the answer is one choice", "stream")
    if body.get("n", 1) != 1:
        raise RequestError(400, "n: only n=1 is supported", "n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError(400, "messages: expected a non-empty list", "messages")
    audio: tuple[bytes, str] | None = None
    texts: list[str] = []
    for m, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant", "developer"):
            raise RequestError(400, f"messages[{m}]: expected {{role, content}}", f"messages[{m}]")
        if message["role"] != "user":
            continue
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(parts, list):
            raise RequestError(400, f"messages[{m}].content: expected text or a list of parts", f"messages[{m}].content")
        for p, part in enumerate(parts):
            where = f"messages[{m}].content[{p}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in PART_TYPES:
                raise RequestError(400, f"{where}: unsupported part type {kind!r}; use text, input_audio or audio_url",
                                   where, code="unknown_field")
            if kind == "text":
                texts.append(str(part.get("text") or ""))
                continue
            if audio is not None:
                raise RequestError(400, f"{where}: one audio clip per request", where)
            if kind == "input_audio":
                spec = part.get("input_audio")
                if not isinstance(spec, dict):
                    raise RequestError(400, f"{where}.input_audio: expected {{data, format}}", where)
                check_fields(spec, {"data", "format"}, f"{where}.input_audio")
                audio = (decode_base64(spec.get("data"), f"{where}.input_audio.data", cfg.max_audio_bytes),
                         audio_format(spec.get("format"), f"{where}.input_audio.format"))
            else:
                spec = part.get("audio_url")
                url = spec.get("url") if isinstance(spec, dict) else spec
                audio = audio_from_url(url, f"{where}.audio_url.url", cfg)
    if audio is None:
        raise RequestError(400, "messages: no audio: add an input_audio or audio_url part to a user message",
                           "messages", code="missing_audio")
    question, listed = split_question("\n".join(t for t in texts if t.strip()))
    if not question:
        raise RequestError(400, "messages: no question: add a text part to the user message", "messages")
    if "guided_choice" in body:
        choices = check_choices(body["guided_choice"], "guided_choice")
    elif isinstance(body.get("structured_outputs"), dict) and "choice" in body["structured_outputs"]:
        choices = check_choices(body["structured_outputs"]["choice"], "structured_outputs.choice")
    else:
        choices = check_choices(listed, "messages")
    return Query(audio[0], audio[1], question, choices)


def parse_answer(body: Any, cfg: ServeConfig) -> Query:
    """`POST /v1/answer` as JSON: {audio: base64, format?, question, choices: [..] or "a|b|c"}."""
    body = check_fields(body, ANSWER_FIELDS, "request")
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise RequestError(400, "question: expected a non-empty string", "question")
    choices = check_choices(body.get("choices"), "choices")
    return Query(decode_base64(body.get("audio"), "audio", cfg.max_audio_bytes),
                 audio_format(body.get("format"), "format"), question.strip(), choices)


def parse_form(fields: dict[str, Any], audio: bytes | None, filename: str | None, cfg: ServeConfig) -> Query:
    """`POST /v1/answer` as multipart: a file part `audio`, fields `question` and `choices`
    ("a|b|c" or one field per choice). The file's name only hints the format; it is never used as a path."""
    check_fields(fields, ANSWER_FIELDS - {"audio"} | {"format"}, "form")
    if not audio:
        raise RequestError(400, "audio: attach the clip as a file part named 'audio'", "audio", code="missing_audio")
    check_size(len(audio), cfg.max_audio_bytes, "audio")
    question = fields.get("question")
    if not isinstance(question, str) or not question.strip():
        raise RequestError(400, "question: expected a non-empty string", "question")
    choices = fields.get("choices")
    if isinstance(choices, list) and len(choices) == 1:
        choices = choices[0]
    ext = os.path.splitext(filename or "")[1].lstrip(".").lower()
    fmt = fields.get("format") or (ext if ext in FORMATS else "wav")
    return Query(audio, audio_format(fmt, "format"), question.strip(), check_choices(choices, "choices"))


class ClipStore:
    """Received clips on this node's disk, named by content: `<folder>/<sha256>.<format>`."""

    def __init__(self, folder: str):
        self.folder = os.path.abspath(folder)
        os.makedirs(self.folder, exist_ok=True)

    def put(self, data: bytes, fmt: str) -> str:
        if fmt not in FORMATS.values():
            raise ValueError(f"unknown clip format {fmt!r}")
        path = os.path.join(self.folder, f"{hashlib.sha256(data).hexdigest()}.{fmt}")
        if not os.path.exists(path):
            tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        return path


def check_clip(path: str, max_seconds: float | None) -> float:
    """The clip's duration, or a 400 saying why it is not usable audio (too long, not audio, ...)."""
    try:
        audio = load_audio(path, max_seconds)
    except AudioError as exc:  # not kept, and our own path never shown
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
        reason = str(exc).removeprefix(f"{path}: ").replace(path, "the clip")
        code = "too_long" if "over the limit" in reason else "not_audio"
        raise RequestError(400, f"audio: {reason}", "audio", code=code) from None
    return audio.duration


def tool_rows(results: Sequence[Any]) -> list[dict]:
    """Each tool called, in call order: what it said, or its error."""
    return [{"tool": r.tool, "ok": r.ok, "text": r.text, "error": r.error, "seconds": round(r.seconds, 4)}
            for r in results]


def chat_reply(model: str, answer: str, details: dict) -> dict:
    """A standard `chat.completion`, plus the `audiorouter` field (route, tool texts, scores, seconds)."""
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "audiorouter": details}


def models_reply(model: str, router_path: str, created: float) -> dict:
    return {"object": "list", "data": [{"id": model, "object": "model", "created": int(created),
                                        "owned_by": "audiorouter", "root": os.path.basename(router_path)}]}
