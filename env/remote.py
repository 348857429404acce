"""An env runner's handles on the shared tool and reasoner pools (cluster/pools.py), found by name.

The driver starts the pools as named Ray actors and puts their `address` ({"names": [...],
"namespace": ...}) in the env config; each env runner builds these clients from it. A client
holds no model: tool calls and reasoner requests that miss the runner's read-only view of the
on-disk caches go to the pool, one batched call per step of a vectorized env, spread over the
replicas.
"""
from __future__ import annotations

from typing import Sequence

from env.reasoners import Answer, ReasonRequest


class PoolClient:
    def __init__(self, address: dict):
        import ray

        if not address.get("names"):
            raise ValueError(f"pool address {address!r} names no actors")
        self.handles = [ray.get_actor(name, namespace=address.get("namespace")) for name in address["names"]]

    def _call(self, method: str, items: Sequence) -> list:
        """`method` on the replicas, the items split evenly between them, results in input order."""
        import ray

        if not items:
            return []
        n = min(len(self.handles), len(items))
        parts = [list(items[k::n]) for k in range(n)]
        refs = [getattr(self.handles[k], method).remote(part) for k, part in enumerate(parts)]
        answers = ray.get(refs)
        out: list = [None] * len(items)
        for k, part_answers in enumerate(answers):
            out[k::n] = part_answers
        return out


class ToolPoolClient(PoolClient):
    """`tools.executor.RemoteTools` over the tool pool."""

    def run_batch(self, calls):
        return self._call("run_batch", list(calls))


class ReasonerPoolClient(PoolClient):
    """A `ReasonerBackend` over the reasoner pool; its `id` is the served reasoner's."""

    def __init__(self, address: dict):
        import ray

        super().__init__(address)
        self.id = ray.get(self.handles[0].reasoner_id.remote())

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        return self._call("answer_batch", list(requests))
