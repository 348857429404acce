"""Building an AudioToolEnv from a plain config dict (what RLlib passes to each env runner).

    env_config = {"data": "data/probe", "split": "train", "max_items": 200,
                  "tools": [...], "reasoner": {...}, "cache_dir": ".cache/audiorouter",
                  "max_calls": 3, "reward": "relative", "cost_weight": 0.02}

Each env runner builds its own executor, reasoner and encoder from it; the caches on disk
are shared, so a second runner or a second run does not recompute tool results or answers.
"""
from __future__ import annotations

import os

from env.audio_tool_env import AudioToolEnv
from env.features import QuestionEncoder
from env.items import load_items
from env.reasoner import CachedReasoner, build_reasoner
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.registry import build_tools


def make_env(env_config: dict) -> AudioToolEnv:
    cfg = dict(env_config)
    items, _ = load_items(cfg["data"], split=cfg.get("split", "train"))
    if cfg.get("max_items"):
        items = items[: int(cfg["max_items"])]
    cache_dir = cfg.get("cache_dir")
    executor = ToolExecutor(build_tools(cfg.get("tools")),
                            ParquetCache(os.path.join(cache_dir, "tools") if cache_dir else None, flush_every=64))
    reasoner = CachedReasoner(build_reasoner(cfg.get("reasoner")),
                              ParquetCache(os.path.join(cache_dir, "reasoner") if cache_dir else None, flush_every=64))
    return AudioToolEnv(items, executor, reasoner, QuestionEncoder(), max_calls=int(cfg.get("max_calls", 3)),
                        reward=cfg.get("reward", "relative"), cost_weight=float(cfg.get("cost_weight", 0.0)),
                        shuffle=bool(cfg.get("shuffle", True)))
