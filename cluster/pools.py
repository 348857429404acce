"""Tool and reasoner servers as shared Ray worker pools; the tools and the reasoner know nothing of Ray.

`ToolServer` (every configured tool, through the on-disk cache) and `ReasonerServer` (the frozen
reasoner behind dynamic batching and the answer cache) are plain classes. A pool runs its server
in-process (`replicas=0`: the local mode for tests and notebooks) or as N Ray actors, started
once by the driver as *named* actors (`<name>-<i>` in the job's namespace). Env runners find
them by name (`env.remote.PoolClient`), so a node holds one copy of each model per replica,
not one per env runner. Actors restart when they die and the call is retried
(`max_restarts`, `max_task_retries`); servers are threaded actors (`max_concurrency`) so the
reasoner can batch concurrent callers.

Every server writes what it computed to its own cache shards after each call (ParquetCache
writes tmp+rename), so an actor killed mid-run loses nothing it has answered and leaves no
torn file.
"""
from __future__ import annotations

import os
import resource
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

from env.reasoners.batching import BatchingReasoner
from env.reasoners import Answer, ReasonRequest, backend_traits, build_reasoner
from env.remote import ReasonerServerAPI, ToolServerAPI
from env.runtime import NEVER, cached_reasoner, tool_executor
from tools.base import MAX_AUDIO_SECONDS
from tools.executor import ToolCall
from tools.sections import build_section, option, section_dict
from tools.timeouts import DEFAULT_TOOL_TIMEOUT_S

Clip = tuple[str, str, Sequence[str]]  # audio path, question, choices


def _limit_threads(threads: int | None) -> None:
    # one core per tool worker: two workers with torch's default threads each on a 2-core
    # machine run ~10x slower than one (docs/RESULTS.md, timing note)
    if threads:
        import torch

        torch.set_num_threads(int(threads))


def init_ray() -> None:
    """Ray for this process: the cluster RAY_ADDRESS names, else a local one (once)."""
    import ray

    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False)


def peak_rss_mb() -> float:
    """This process's peak resident memory (what the models it loaded cost), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class ToolServer(ToolServerAPI):
    """Every configured tool, run through the cache under `cache_dir/tools`."""

    def __init__(self, tool_specs: list[dict] | None, cache_dir: str | None, threads: int | None = 1,
                 timeout_s: float | None = DEFAULT_TOOL_TIMEOUT_S, max_audio_seconds: float | None = MAX_AUDIO_SECONDS):
        _limit_threads(threads)
        self.executor = tool_executor({"tools": tool_specs, "cache_dir": cache_dir, "tool_timeout_s": timeout_s,
                                       "max_audio_seconds": max_audio_seconds}, flush_every=NEVER)
        self.calls = 0

    def warm(self, clips: Sequence[Clip]) -> dict[str, int]:
        return self.executor.warm(clips, progress=False)

    def run_batch(self, calls: Sequence[ToolCall]) -> list[list[dict]]:
        self.calls += len(calls)
        try:
            return [[r.to_dict() for r in row] for row in self.executor.run_many(calls)]
        finally:
            self.executor.cache.flush()

    def stats(self) -> dict[str, float]:
        return {"calls": self.calls, **self.executor.cache.stats(), "peak_rss_mb": peak_rss_mb()}


class ReasonerServer(ReasonerServerAPI):
    """The frozen reasoner: answer cache first, then dynamic batching of the misses of all callers."""

    def __init__(self, section: dict | None, cache_dir: str | None, max_batch: int = 8, max_wait_ms: float = 10.0,
                 threads: int | None = None):
        _limit_threads(threads)
        self.batching = BatchingReasoner(build_reasoner(section), max_batch=max_batch, max_wait_ms=max_wait_ms)
        # no timeout here: the env runner's CachedReasoner bounds its wait for this actor
        self.reasoner = cached_reasoner({"cache_dir": cache_dir}, backend=self.batching, flush_every=NEVER,
                                        timeout=False)

    def reasoner_traits(self) -> dict:
        """The served reasoner's id and BACKEND_TRAITS, for its clients (env/remote.py)."""
        return {"id": self.reasoner.id, **backend_traits(self.batching)}

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        try:
            return self.reasoner.answer_batch(requests)
        finally:
            self.reasoner.cache.flush()

    def stats(self) -> dict[str, float]:
        return {**self.reasoner.cache.stats(), **self.batching.stats(), "peak_rss_mb": peak_rss_mb()}


class _Pool:
    """N named Ray actors of one server class, or the server in-process (replicas=0)."""

    server_class: type

    def __init__(self, args: tuple, replicas: int, name: str, num_cpus: float, num_gpus: float,
                 max_restarts: int, max_concurrency: int, namespace: str | None, resources: dict | None = None):
        self.replicas = int(replicas)
        if self.replicas < 0:
            raise ValueError(f"{name} replicas must be >= 0 (0: in-process)")
        self.names = [f"{name}-{i}" for i in range(self.replicas)]
        self.namespace = namespace
        if self.replicas == 0:
            self.local = self.server_class(*args)
            self.actors = []
            return
        import ray

        init_ray()
        self.namespace = namespace or ray.get_runtime_context().namespace
        remote = ray.remote(self.server_class)
        # custom `resources` pin a pool to the nodes that advertise them (e.g. reasoner on GPU nodes)
        options = dict(num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=max_restarts, max_task_retries=max_restarts,
                       max_concurrency=max_concurrency, namespace=self.namespace, resources=dict(resources or {}))
        self.local = None
        self.actors = [remote.options(name=n, **options).remote(*args) for n in self.names]

    @property
    def address(self) -> dict:
        """What an env runner needs to find the pool (`env.remote.PoolClient`); JSON-safe."""
        return {"names": self.names, "namespace": self.namespace}

    def stats(self) -> list[dict]:
        if self.local is not None:
            return [self.local.stats()]
        import ray

        return ray.get([a.stats.remote() for a in self.actors])

    def total(self) -> dict[str, float]:
        """Counters summed over replicas (peak RSS: the largest replica)."""
        out: Counter = Counter()
        for s in self.stats():
            rss = s.pop("peak_rss_mb", 0.0)
            s.pop("mean_batch", None)
            out.update(s)
            out["peak_rss_mb"] = max(out["peak_rss_mb"], rss)
        if out.get("batches"):
            out["mean_batch"] = out["requests"] / out["batches"]
        return dict(out)

    def shutdown(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []


class ToolPool(_Pool):
    server_class = ToolServer

    def __init__(self, tool_specs: list[dict] | None, cache_dir: str | None, replicas: int = 2,
                 num_cpus: float = 1.0, max_restarts: int = 2, name: str = "audiorouter-tools",
                 namespace: str | None = None, timeout_s: float | None = DEFAULT_TOOL_TIMEOUT_S,
                 max_audio_seconds: float | None = MAX_AUDIO_SECONDS, resources: dict | None = None):
        # a worker's torch threads follow its CPUs; in-process (replicas 0) the caller's own process
        # keeps its threads: `train` with `tool_workers: 0` had the PPO learner at 1 thread, whose
        # float32 sums trained another router from the same seed (docs/RESULTS.md "Sixty PPO iterations")
        threads = max(1, int(num_cpus)) if int(replicas) > 0 else None
        super().__init__((tool_specs, cache_dir, threads, timeout_s, max_audio_seconds), replicas, name, num_cpus, 0,
                         max_restarts, max_concurrency=1, namespace=namespace,  # a tool call holds its core
                         resources=resources)

    def warm(self, clips: Sequence[Clip], chunk: int = 8, progress: bool = True) -> dict[str, int]:
        """Every tool on every clip; in-process, or in chunks handed to the workers as they free up."""
        if self.local is not None:
            return self.local.executor.warm(clips, progress=progress)
        import ray
        from tqdm import tqdm

        todo = [list(clips[i: i + chunk]) for i in range(0, len(clips), chunk)][::-1]
        bar = tqdm(total=len(clips), desc="tool cache", unit="clip", disable=not progress)
        total: Counter = Counter()
        running = {}  # object ref -> (actor, chunk size)
        for actor in self.actors:
            if todo:
                part = todo.pop()
                running[actor.warm.remote(part)] = (actor, len(part))
        while running:
            [done], _ = ray.wait(list(running), num_returns=1)
            actor, size = running.pop(done)
            total.update(ray.get(done))
            bar.update(size)
            if todo:
                part = todo.pop()
                running[actor.warm.remote(part)] = (actor, len(part))
        bar.close()
        return dict(total)


class ReasonerPool(_Pool):
    server_class = ReasonerServer

    def __init__(self, section: dict | None, cache_dir: str | None, replicas: int = 1, num_cpus: float = 1.0,
                 num_gpus: float = 0.0, max_batch: int = 8, max_wait_ms: float = 10.0, max_restarts: int = 2,
                 name: str = "audiorouter-reasoner", namespace: str | None = None, threads: int | None = None,
                 resources: dict | None = None):
        self.max_batch = int(max_batch)
        super().__init__((section, cache_dir, max_batch, max_wait_ms, threads), replicas, name, num_cpus,
                         num_gpus, max_restarts, max_concurrency=64, namespace=namespace, resources=resources)


    def warm(self, requests: Sequence[ReasonRequest], chunk: int = 16, progress: bool = True) -> dict[str, int]:
        """Answers for every request, into the answer cache; `in_flight` chunks per replica keep
        each server's batcher full. Returns {"requests": n, "computed": misses}."""
        from tqdm import tqdm

        bar = tqdm(total=len(requests), desc="reasoner cache", unit="req", disable=not progress)
        before = self.total().get("misses", 0)
        parts = [list(requests[i: i + chunk]) for i in range(0, len(requests), chunk)][::-1]
        if self.local is not None:
            while parts:
                part = parts.pop()
                self.local.answer_batch(part)
                bar.update(len(part))
        else:
            import ray

            running = {}
            in_flight = 2 * max(1, self.max_batch // chunk + 1)  # enough queued work to fill a batch
            while parts or running:
                while parts and len(running) < in_flight * len(self.actors):
                    part = parts.pop()
                    actor = self.actors[len(running) % len(self.actors)]
                    running[actor.answer_batch.remote(part)] = len(part)
                [done], _ = ray.wait(list(running), num_returns=1)
                ray.get(done)
                bar.update(running.pop(done))
        bar.close()
        return {"requests": len(requests), "computed": int(self.total().get("misses", 0) - before)}


@dataclass
class ToolPoolConfig:
    """Config section `pools.tools`."""

    replicas: int = option(2, "tool worker actors (0: in-process)")
    num_cpus: float = option(1.0, "CPUs per worker (and its torch threads)")
    max_restarts: int = option(2, "restarts of a dead worker before its calls fail")
    resources: dict = option({}, "custom Ray resources a worker needs (pins the pool to nodes)")


@dataclass
class ReasonerPoolConfig:
    """Config section `pools.reasoner`."""

    replicas: int = option(1, "reasoner actors, one model copy each (0: in-process)")
    num_cpus: float = option(1.0, "CPUs per replica")
    num_gpus: float = option(0.0, "GPUs per replica")
    max_batch: int = option(8, "requests batched into one scoring pass at most")
    max_wait_ms: float = option(10.0, "how long a batch waits for more requests")
    max_restarts: int = option(2, "restarts of a dead replica before its calls fail")
    threads: Optional[int] = option(None, "torch threads per replica (null: the backend's own)")
    resources: dict = option({}, "custom Ray resources a replica needs (e.g. reasoner_node: 1)")


@dataclass
class PoolsConfig:
    """Config section `pools`: shared tool and reasoner worker pools for training (README: worker
    pools). Without the section each env runner loads its own tools and reasoner."""

    tools: ToolPoolConfig = option(ToolPoolConfig(), "the tool pool")
    reasoner: ReasonerPoolConfig = option(ReasonerPoolConfig(), "the reasoner pool")


def pool_settings(cfg: dict) -> dict:
    """The `pools:` config section with its defaults, as keyword arguments of ToolPool and ReasonerPool."""
    return section_dict(build_section(PoolsConfig, cfg.get("pools"), "pools"))
