"""`audiorouter serve`: a trained router.pt as a Ray Serve application. Over 400 lines: the four
deployments, the app builder and the start-up are one unit read together (requests: serve_api.py).

Four deployments, each scaled on its own:

    Ingress   FastAPI over HTTP: POST /v1/chat/completions (OpenAI chat with an audio part, as
              vLLM serves Qwen2-Audio), POST /v1/answer (JSON or multipart), GET /v1/models,
              GET / (the web page, static files from cluster/static/). Checks every request
              (cluster/serve_api.py), then router -> reasoner.
    Router    router.pt + the question encoder (eval.systems.LearnedRouter, the same code as
              `audiorouter route` and `eval`): tool by tool, each decision seeing the results so
              far; each tool call goes to the Tools deployment.
    Tools     the configured tools behind the on-disk tool cache (cluster.pools.ToolServer, the
              tool pool's server); replicas and CPUs from `pools.tools`.
    Reasoner  the configured reasoner behind its answer cache and dynamic batching
              (cluster.pools.ReasonerServer: the reasoner pool's BatchingReasoner, so concurrent
              clients' requests share one scoring pass); replicas, CPUs, GPUs, max_batch and
              max_wait_ms from `pools.reasoner`.

Models load once per replica, in its constructor, and each replica runs one warm-up call there,
so no request pays for loading. The clip travels between deployments as bytes (no shared disk
needed) and each replica keeps it under `serve.work_dir/clips/<sha256>.<format>`.

Failures: a tool that raises, times out (`tool_timeout_s`) or whose replica dies answers with an
error entry and the answer still comes; a router or reasoner replica that dies mid-request is a
503 naming the stage; a request not done within `serve.request_timeout_s` is a 504. Serve
restarts dead replicas.
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Sequence

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from ray import serve

from cluster.pools import ReasonerServer, ToolServer, pool_settings
from cluster.serve_api import (ClipStore, Query, RequestError, ServeConfig, chat_reply, check_clip, check_size,
                               body_limit, models_reply, parse_answer, parse_chat, parse_form, tool_rows)
from env.admission import run_limits
from env.items import AudioQA
from env.reasoners import Answer, ReasonRequest
from env.runtime import tool_executor
from tools.base import ToolResult, load_audio
from tools.registry import build_tools
from tools.sections import build_section

APP_NAME = "audiorouter"
DEPLOYMENTS = ("Ingress", "Router", "Tools", "Reasoner")
STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
PAGES = {"app.js": "text/javascript", "style.css": "text/css"}


def serve_section(cfg: dict) -> ServeConfig:
    return build_section(ServeConfig, cfg.get("serve"), "serve")


def clip_store(cfg: dict) -> ClipStore:
    return ClipStore(os.path.join(serve_section(cfg).work_dir, "clips"))


def warmup_clip(store: ClipStore) -> str:
    """A one-second tone with a beat of clicks, for each replica's warm-up call."""
    import io

    import numpy as np
    import soundfile as sf

    t = np.arange(16000) / 16000
    samples = (0.3 * np.sin(2 * np.pi * 440 * t) * (t < 0.6) + 0.5 * (np.arange(16000) % 4000 < 40)).astype("float32")
    buffer = io.BytesIO()
    sf.write(buffer, samples, 16000, format="WAV", subtype="PCM_16")
    return store.put(buffer.getvalue(), "wav")


def _limit_threads(n: int) -> None:
    import torch

    torch.set_num_threads(max(1, int(n)))


class Tools:
    """The tools behind the tool cache, as the tool pool runs them."""

    def __init__(self, cfg: dict):
        settings, limits = pool_settings(cfg)["tools"], run_limits(cfg)
        self.server = ToolServer(cfg.get("tools"), cfg.get("cache_dir"), threads=max(1, int(settings["num_cpus"])),
                                 timeout_s=limits["tool_timeout_s"], max_audio_seconds=limits["max_audio_seconds"])
        self.clips = clip_store(cfg)
        audio = load_audio(warmup_clip(self.clips))
        for tool in self.server.executor.tools.values():  # loads each tool's models now (not cached)
            tool.run(audio, "How many beeps are there, and what is said?", ["one", "two"])

    def run_batch(self, calls: Sequence[tuple]) -> list[list[dict]]:
        """calls: (clip bytes, format, question, choices, tool names) -> each call's results as dicts."""
        return self.server.run_batch([(self.clips.put(audio, fmt), q, c, names) for audio, fmt, q, c, names in calls])

    def stats(self) -> dict:
        return {"pid": os.getpid(), **self.server.stats()}


class RemoteToolCalls:
    """`tools.executor.RemoteTools` over the Tools deployment, for the router's executor: sends the
    clip's bytes (read from the router's own clip store), and turns a failed call (a dead replica,
    a timeout) into error results so the request still gets its answer. Counts the wall seconds
    spent waiting per thread: the request's `execute` stage."""

    def __init__(self, handle, timeout_s: float | None):
        self.handle, self.timeout_s = handle, timeout_s
        self.local = threading.local()

    def start(self) -> None:
        self.local.seconds = 0.0

    def seconds(self) -> float:
        return getattr(self.local, "seconds", 0.0)

    def run_batch(self, calls):
        start = time.perf_counter()
        payload = []
        for path, question, choices, names in calls:
            with open(path, "rb") as f:
                payload.append((f.read(), os.path.splitext(path)[1].lstrip("."), question, list(choices), list(names)))
        try:
            return self.handle.run_batch.remote(payload).result(timeout_s=self.timeout_s)
        except Exception as exc:  # a replica that died or hung: an error entry per tool, never a lost request
            reason = f"tool replica failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return [[ToolResult(name, False, {}, "", reason, 0.0).to_dict() for name in names]
                    for _, _, _, names in calls]
        finally:
            self.local.seconds = self.seconds() + time.perf_counter() - start


class AnswersNothing:
    """The reasoner the router's episode sees: the router needs only the tools it chose, and the
    real answer comes from the Reasoner deployment, so the episode's closing answer is a stand-in."""

    id = "route-only"

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        return [Answer(r.choices[0], 0, []) for r in requests]


class Router:
    """router.pt and the question encoder; tool calls go to the Tools deployment."""

    def __init__(self, cfg: dict, router_path: str, tools_handle, threads: int = 1):
        from types import SimpleNamespace

        from eval.systems import LearnedRouter

        _limit_threads(threads)
        limits, settings = run_limits(cfg), serve_section(cfg)
        self.remote = RemoteToolCalls(tools_handle, limits["tool_timeout_s"] and limits["tool_timeout_s"] * 2 + 30)
        # the on-disk tool cache read-only: a hit never leaves this replica, a miss goes to Tools
        self.executor = tool_executor(cfg, remote=self.remote, read_only=True)
        self.system = LearnedRouter(router_path)
        self.system.prepare(SimpleNamespace(tool_names=self.executor.names, executor=self.executor,
                                            reasoner=AnswersNothing()), None)
        self.clips = clip_store(cfg)
        self.pool = ThreadPoolExecutor(settings.max_ongoing_requests, thread_name_prefix="route")
        self.system.encoder.encode("What is the warm-up question?")  # loads the encoder now

    def spec(self) -> dict:
        return {"tool_names": self.executor.names, "max_calls": self.system.router.most_calls}

    def _route(self, audio: bytes, fmt: str, question: str, choices: Sequence[str]) -> dict:
        start = time.perf_counter()
        self.remote.start()
        path = self.clips.put(audio, fmt)
        item = AudioQA("request", path, question, tuple(choices), answer=None)
        names = self.system.route(item, self.executor.names)
        results = self.executor.run(path, question, choices, names)  # from this replica's cache now
        request = ReasonRequest.from_results(question, choices, results, self.executor, path)
        execute = self.remote.seconds()
        return {"tools": names, "results": [r.to_dict() for r in results], "request": request,
                "seconds": {"route": time.perf_counter() - start - execute, "execute": execute}}

    async def route(self, audio: bytes, fmt: str, question: str, choices: Sequence[str]) -> dict:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self._route, audio, fmt, question, choices)


class Reasoner:
    """The reasoner pool's server: answer cache, then dynamic batching of all callers' misses."""

    def __init__(self, cfg: dict):
        settings = pool_settings(cfg)["reasoner"]
        self.server = ReasonerServer(cfg.get("reasoner"), cfg.get("cache_dir"), settings["max_batch"],
                                     settings["max_wait_ms"], settings["threads"])
        self.backend = self.server.batching.backend
        self.clips = clip_store(cfg)
        # enough threads to hold every request waiting on a batch
        self.pool = ThreadPoolExecutor(max(16, serve_section(cfg).max_ongoing_requests), thread_name_prefix="reason")
        # warm-up straight to the backend: loads the model, touches neither cache nor batch counters
        self.backend.answer_batch([ReasonRequest("Is this a warm-up?", ("yes", "no"), (), warmup_clip(self.clips))])

    async def answer(self, request: ReasonRequest, audio: bytes, fmt: str) -> Answer:
        if getattr(self.backend, "hears_audio", False):  # an LALM hears the clip: from this node's disk
            request = replace(request, audio=self.clips.put(audio, fmt))
        loop = asyncio.get_running_loop()
        return (await loop.run_in_executor(self.pool, self.server.answer_batch, [request]))[0]

    def stats(self) -> dict:
        return {"pid": os.getpid(), **self.server.stats()}


api = FastAPI(title="AudioRouter", docs_url=None, redoc_url=None, openapi_url=None)


@serve.ingress(api)
class Ingress:
    def __init__(self, cfg: dict, router_path: str, router_handle, reasoner_handle):
        self.cfg, self.settings, self.limits = cfg, serve_section(cfg), run_limits(cfg)
        self.router, self.reasoner = router_handle, reasoner_handle
        self.router_path, self.created = router_path, time.time()
        self.clips = clip_store(cfg)

    async def _read(self, request: Request) -> bytes:
        """The body, refused (413) past the byte limit before it is all read, let alone decoded."""
        limit = body_limit(self.settings.max_audio_bytes)
        length = request.headers.get("content-length")
        if length and length.isdigit():
            check_size(int(length), self.settings.max_audio_bytes)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                check_size(size, self.settings.max_audio_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _json(self, request: Request) -> Any:
        data = await self._read(request)
        try:
            return json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RequestError(400, f"the body is not JSON ({exc})", code="bad_json") from None

    async def _answer(self, query: Query) -> dict:
        """Check the clip, route, reason: the details every reply carries."""
        start = time.perf_counter()
        path = await asyncio.to_thread(self.clips.put, query.audio, query.format)
        duration = await asyncio.to_thread(check_clip, path, self.limits["max_audio_seconds"])
        stage = "router"
        try:
            routed = await self.router.route.remote(query.audio, query.format, query.question, query.choices)
            stage, reason_start = "reasoner", time.perf_counter()
            answer = await self.reasoner.answer.remote(routed["request"], query.audio, query.format)
        except RequestError:
            raise
        except Exception as exc:  # a replica died mid-request: the client is told, and may retry
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise RequestError(503, f"the {stage} stage failed: {type(exc).__name__}: {first}",
                               code=f"{stage}_unavailable") from exc
        seconds = {**routed["seconds"], "reason": time.perf_counter() - reason_start,
                   "total": time.perf_counter() - start}
        return {"answer": answer.choice, "question": query.question, "choices": list(query.choices),
                "route": routed["tools"], "tools": tool_rows([ToolResult.from_dict(r) for r in routed["results"]]),
                "scores": dict(zip(query.choices, answer.scores)) if answer.scores else {},
                "audio_seconds": round(duration, 3), "seconds": {k: round(v, 4) for k, v in seconds.items()}}

    async def _guarded(self, work) -> JSONResponse:
        """A JSON reply; a RequestError as its status and JSON body; past the deadline a 504."""
        try:
            body = await asyncio.wait_for(work(), timeout=self.settings.request_timeout_s)
            return JSONResponse(body)
        except RequestError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        except asyncio.TimeoutError:
            exc = RequestError(504, f"no answer within {self.settings.request_timeout_s:g} s "
                               "(serve.request_timeout_s)", code="timeout")
            return JSONResponse(exc.body(), status_code=504)

    @api.post("/v1/chat/completions")
    async def chat_completions(self, request: Request) -> JSONResponse:
        async def work():
            query = parse_chat(await self._json(request), self.settings)
            details = await self._answer(query)
            return chat_reply(self.settings.model_name, details.pop("answer"), details)
        return await self._guarded(work)

    @api.post("/v1/answer")
    async def answer(self, request: Request) -> JSONResponse:
        async def work():
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                query = await self._form(request)
            else:
                query = parse_answer(await self._json(request), self.settings)
            return await self._answer(query)
        return await self._guarded(work)

    async def _form(self, request: Request) -> Query:
        data = await self._read(request)

        async def replay():
            return {"type": "http.request", "body": data, "more_body": False}

        form = await Request(request.scope, replay).form(max_files=1, max_fields=32)
        fields: dict[str, Any] = {}
        upload = None
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                if key != "audio":
                    raise RequestError(400, f"{key}: unknown file part; send the clip as 'audio'", key,
                                       code="unknown_field")
                upload = value
            else:
                fields.setdefault(key, []).append(value)
        fields = {k: v if k == "choices" and len(v) > 1 else v[0] for k, v in fields.items()}
        audio = await upload.read() if upload else None
        return parse_form(fields, audio, upload.filename if upload else None, self.settings)

    @api.get("/v1/models")
    async def models(self) -> JSONResponse:
        return JSONResponse(models_reply(self.settings.model_name, self.router_path, self.created))

    @api.get("/healthz")
    async def health(self) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @api.get("/")
    async def page(self) -> FileResponse:
        return FileResponse(os.path.join(STATIC, "index.html"), media_type="text/html")

    @api.get("/static/{name}")
    async def static(self, name: str):
        if name not in PAGES:  # a fixed list: the name never becomes a path
            return JSONResponse(RequestError(404, f"no static file {name!r}").body(), status_code=404)
        return FileResponse(os.path.join(STATIC, name), media_type=PAGES[name])


def resolve_router_config(router: str, config: str | None, overrides: Sequence[str] = ()) -> dict:
    """The config to serve `router` with: `config`, else the config.yaml its training run wrote
    beside it (the router's tools must match), else configs/demo.yaml."""
    from cluster.config import load_config

    if not config:
        beside = os.path.join(os.path.dirname(os.path.abspath(router)), "config.yaml")
        config = beside if os.path.isfile(beside) else "configs/demo.yaml"
    return load_config(config, overrides)


def cpu_demand(cfg: dict) -> float:
    """Logical CPUs the application asks Ray for (what a local Ray must advertise to place it)."""
    pools, s = pool_settings(cfg), serve_section(cfg)
    return (max(1, pools["tools"]["replicas"]) * pools["tools"]["num_cpus"]
            + max(1, pools["reasoner"]["replicas"]) * pools["reasoner"]["num_cpus"]
            + s.router_replicas * s.router_num_cpus + s.ingress_replicas * 0.1)


def application(cfg: dict, router_path: str):
    """The Serve application for a resolved config and a router.pt path."""
    from policy.export import Router as RouterFile

    router_path = os.path.abspath(router_path)
    names = RouterFile(router_path).tool_names  # refuse a bad or mismatched router.pt before anything starts
    configured = [t.name for t in build_tools(cfg.get("tools"))]
    if names != configured:
        raise ValueError(f"{router_path} was trained with tools {names}; this config has {configured}")
    pools, s = pool_settings(cfg), serve_section(cfg)
    tools_opts, reasoner_opts = pools["tools"], pools["reasoner"]
    tools = serve.deployment(Tools, name="Tools").options(
        num_replicas=max(1, tools_opts["replicas"]), max_ongoing_requests=s.tool_max_ongoing_requests,
        ray_actor_options={"num_cpus": tools_opts["num_cpus"], "resources": dict(tools_opts["resources"])},
    ).bind(cfg)
    reasoner = serve.deployment(Reasoner, name="Reasoner").options(
        num_replicas=max(1, reasoner_opts["replicas"]), max_ongoing_requests=s.max_ongoing_requests,
        ray_actor_options={"num_cpus": reasoner_opts["num_cpus"], "num_gpus": reasoner_opts["num_gpus"],
                           "resources": dict(reasoner_opts["resources"])},
    ).bind(cfg)
    router = serve.deployment(Router, name="Router").options(
        num_replicas=s.router_replicas, max_ongoing_requests=s.max_ongoing_requests,
        ray_actor_options={"num_cpus": s.router_num_cpus}).bind(cfg, router_path, tools)
    return serve.deployment(Ingress, name="Ingress").options(
        num_replicas=s.ingress_replicas, max_ongoing_requests=s.max_ongoing_requests,
        ray_actor_options={"num_cpus": 0.1}).bind(cfg, router_path, router, reasoner)


def build_app(args: dict):
    """The application builder `serve deploy` and cluster/deploy/serve.yaml name
    (`import_path: cluster.serve:build_app`); args: router (path to router.pt), config (optional),
    set (optional list of key=value overrides)."""
    unknown = set(args) - {"router", "config", "set"}
    if unknown or "router" not in args:
        raise ValueError(f"serve args: give router (and optionally config, set); unknown: {sorted(unknown)}")
    cfg = resolve_router_config(args["router"], args.get("config"), args.get("set") or [])
    return application(cfg, args["router"])


def start(cfg: dict, router_path: str, host: str | None = None, port: int | None = None,
          ray_temp_dir: str | None = None) -> str:
    """Start Ray (the cluster RAY_ADDRESS names, else a local one sized to the application) and the
    application; returns its base URL once every replica is up (models loaded)."""
    import math

    import ray

    s = serve_section(cfg)
    host, port = host or s.host, int(port or s.port)
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        kwargs = {} if address else {"num_cpus": max(os.cpu_count() or 1, math.ceil(cpu_demand(cfg)))}
        if ray_temp_dir:
            kwargs["_temp_dir"] = ray_temp_dir
        ray.init(address=address, include_dashboard=False, log_to_driver=False, **kwargs)
    serve.start(http_options={"host": host, "port": port})
    serve.run(application(cfg, router_path), name=APP_NAME, route_prefix="/", blocking=False)
    return f"http://{host}:{port}"


def stats() -> dict:
    """Per-replica counters of the running application's Tools and Reasoner (cache hits, batches)."""
    out = {}
    for name in ("Tools", "Reasoner"):
        handle = serve.get_deployment_handle(name, app_name=APP_NAME)
        out[name] = handle.stats.remote().result(timeout_s=30)
    return out
