"""Filling the caches before work that reads them: every tool on every clip (over the tool pool),
every reasoner answer an episode can ask for (over the reasoner pool), then one shard per cache.

The reasoner is frozen, so once both caches hold what the training items can reach, PPO samples
from cache lookups alone (`audiorouter cache warm --reasoner`; `train` warms the tool cache).
"""
from __future__ import annotations

import os
from typing import Sequence

from env.items import AudioQA


def warm_tool_cache(cfg: dict, train_items: list, progress: bool, pool=None) -> dict[str, int]:
    """Every tool on every training clip and every clip of the evaluation splits, up front, over
    the tool pool (the shared one when `pools:` is configured, else `train.tool_workers` Ray
    workers started for this, default 2; 0: in-process): exploration would call every tool on
    every training clip anyway, and the workers run in parallel, so PPO iterations and the
    evaluation cost cache lookups and reasoner calls only."""
    from cluster.pools import ToolPool
    from env.items import AudioPaths
    from eval.benchmark import eval_section, split_items
    from policy.config import train_section

    if not cfg.get("cache_dir"):
        return {}  # nothing to share between the workers and the env
    clips = {(i.audio, i.question, tuple(i.choices)) for i in train_items}
    e = eval_section(cfg)
    if e.after_train:
        for split in e.splits:
            items, _ = split_items(cfg, cfg["train"]["env"]["data"], split, AudioPaths.from_config(cfg))
            clips |= {(i.audio, i.question, tuple(i.choices)) for i in items}
    if pool is not None:
        return pool.warm(sorted(clips), progress=progress)
    pool = ToolPool(cfg.get("tools"), cfg["cache_dir"], replicas=train_section(cfg).tool_workers,
                    name="audiorouter-warm")
    try:
        return pool.warm(sorted(clips), progress=progress)
    finally:
        pool.shutdown()


def warm_reasoner_cache(cfg: dict, items: Sequence[AudioQA], specs: list | None, max_calls: int, local: bool,
                        progress: bool) -> dict:
    """Every answer an episode on these items can ask for (`env.audio_tool_env.reachable_requests`),
    computed over the reasoner pool with dynamic batching. {"requests", "computed", "mean_batch"}."""
    from cluster.pools import ReasonerPool, pool_settings
    from env.audio_tool_env import reachable_requests
    from env.runtime import tool_executor
    from tools.base import AudioError

    executor = tool_executor({**cfg, "tools": specs})
    requests = []
    for item in items:
        try:
            requests += reachable_requests(item, executor, max_calls)
        except AudioError:
            continue  # counted by the tool pass
    settings = pool_settings(cfg)["reasoner"]
    settings["replicas"] = 0 if local else max(1, int(settings["replicas"]))
    pool = ReasonerPool(cfg.get("reasoner"), cfg.get("cache_dir"), **settings)
    try:
        counts = pool.warm(requests, progress=progress)
        return {**counts, "mean_batch": pool.total().get("mean_batch", 0.0)}
    finally:
        pool.shutdown()


def compact_caches(cache_dir: str | None) -> None:
    """One shard per cache after a run: the pools write a small shard per call."""
    from tools.cache import ParquetCache

    if cache_dir:
        for name in ("tools", "reasoner"):
            ParquetCache(os.path.join(cache_dir, name)).compact()
