"""One place that builds what a run executes with: the tool executor and the cached reasoner,
each behind its on-disk cache and its time limit, from a config.

`cfg` is the whole config, or the env_config RLlib hands an env runner (which carries the same
top-level keys: `tools`, `reasoner`, `cache_dir`, the limits). The env (env/factory.py), the
evaluator (eval/benchmark.py), the worker pools (cluster/pools.py) and the CLI all build their
stacks here, so a new limit or cache setting is wired once.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from env.admission import run_limits
from env.reasoners import CachedReasoner, ReasonerBackend, build_reasoner
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.registry import build_tools

NEVER = 1 << 30  # flush_every for a server that flushes after each call itself


def result_cache(cache_dir: str | None, name: str, read_only: bool = False, flush_every: int | None = None
                 ) -> ParquetCache:
    """`cache_dir/name` (tools, reasoner) as a Parquet cache; in memory when there is no cache_dir."""
    kwargs = {"read_only": read_only} | ({"flush_every": flush_every} if flush_every else {})
    return ParquetCache(os.path.join(cache_dir, name) if cache_dir else None, **kwargs)


def tool_executor(cfg: Mapping[str, Any], remote=None, read_only: bool = False,
                  flush_every: int | None = None) -> ToolExecutor:
    """The configured tools behind the tool cache, each call bounded by `tool_timeout_s`, each clip
    by `max_audio_seconds`; `remote` sends cache misses to a tool pool instead (env/remote.py)."""
    limits = run_limits(cfg)
    return ToolExecutor(build_tools(cfg.get("tools")),
                        result_cache(cfg.get("cache_dir"), "tools", read_only, flush_every), remote=remote,
                        timeout_s=limits["tool_timeout_s"], max_audio_seconds=limits["max_audio_seconds"])


def cached_reasoner(cfg: Mapping[str, Any], backend: ReasonerBackend | None = None, read_only: bool = False,
                    flush_every: int | None = None, timeout: bool = True) -> CachedReasoner:
    """The configured reasoner (or `backend`: a pool client, a batching wrapper) behind the answer
    cache; calls bounded by `reasoner_timeout_s` unless `timeout` is off (a pool server: its
    callers bound their own wait)."""
    limits = run_limits(cfg)
    return CachedReasoner(backend or build_reasoner(cfg.get("reasoner")),
                          result_cache(cfg.get("cache_dir"), "reasoner", read_only, flush_every),
                          timeout_s=limits["reasoner_timeout_s"] if timeout else None)
