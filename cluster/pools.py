"""Tool workers hosted as Ray actors: a thin wrapper, the tools themselves know nothing of Ray.

`ToolWorker` is a plain class (a `ToolExecutor` over the on-disk cache); `ToolPool` runs it
in-process (`replicas=0`, the `--local` mode for tests and notebooks) or as N Ray actors, each
holding one copy of the tools and writing its own cache shards (ParquetCache writes shards
tmp+rename, so a worker that dies mid-write leaves no torn file). Actors restart on failure and
retry the task (`max_restarts`, `max_task_retries`).

First use: `audiorouter cache warm` fills the tool cache in parallel. Serving env runners
(named actors, batched reasoner calls) is the next step of the worker-pool issue.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Sequence

from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.registry import build_tools

Clip = tuple[str, str, Sequence[str]]  # audio path, question, choices


class ToolWorker:
    """Every configured tool, run through the cache under `cache_dir/tools`."""

    def __init__(self, tool_specs: list[dict] | None, cache_dir: str | None, threads: int = 1):
        import torch

        # one core per worker: two workers with torch's default threads each on a 2-core
        # machine run ~10x slower than one (docs/RESULTS.md, timing note)
        torch.set_num_threads(threads)
        folder = os.path.join(cache_dir, "tools") if cache_dir else None
        self.executor = ToolExecutor(build_tools(tool_specs), ParquetCache(folder, flush_every=64))

    def warm(self, clips: Sequence[Clip]) -> dict[str, int]:
        return self.executor.warm(clips, progress=False)


class ToolPool:
    def __init__(self, tool_specs: list[dict] | None, cache_dir: str | None, replicas: int = 2,
                 num_cpus: float = 1.0, max_restarts: int = 2):
        self.replicas = int(replicas)
        if self.replicas < 0:
            raise ValueError("tool pool replicas must be >= 0 (0: in-process)")
        if self.replicas == 0:
            self.local = ToolWorker(tool_specs, cache_dir, threads=max(1, int(num_cpus)))
            self.actors = []
            return
        import ray

        if not ray.is_initialized():
            ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False)
        remote = ray.remote(num_cpus=num_cpus, max_restarts=max_restarts, max_task_retries=max_restarts)(ToolWorker)
        self.local = None
        self.actors = [remote.remote(tool_specs, cache_dir, max(1, int(num_cpus))) for _ in range(self.replicas)]

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

    def shutdown(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
