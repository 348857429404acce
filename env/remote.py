"""An env runner's handles on the shared tool and reasoner pools (cluster/pools.py), found by name.

The driver starts the pools as named Ray actors and puts their `address` ({"names": [...],
"namespace": ...}) in the env config; each env runner builds these clients from it. A client
holds no model: tool calls and reasoner requests that miss the runner's read-only view of the
on-disk caches go to the pool, one batched call per step of a vectorized env, spread over the
replicas.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from env.reasoners import Answer, ReasonRequest


class ToolServerAPI(Protocol):
    """What a tool pool's actor serves (cluster/pools.py `ToolServer` implements it); clients call
    the methods by these names, so the names live here once."""

    def run_batch(self, calls: Sequence) -> list[list[dict]]: ...

    def warm(self, clips: Sequence) -> dict[str, int]: ...

    def stats(self) -> dict[str, float]: ...


class ReasonerServerAPI(Protocol):
    """What a reasoner pool's actor serves (cluster/pools.py `ReasonerServer` implements it)."""

    def reasoner_traits(self) -> dict: ...

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]: ...

    def stats(self) -> dict[str, float]: ...


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
        return self._call(ToolServerAPI.run_batch.__name__, list(calls))


class ReasonerPoolClient(PoolClient):
    """A `ReasonerBackend` over the reasoner pool: its `id` and BACKEND_TRAITS are the served
    reasoner's, so the runner's read-only cache looks answers up under the keys the pool wrote them
    with and calibrates them as the pool does."""

    def __init__(self, address: dict):
        import ray

        super().__init__(address)
        traits = ray.get(getattr(self.handles[0], ReasonerServerAPI.reasoner_traits.__name__).remote())
        self.id = traits.pop("id")
        for name, value in traits.items():
            setattr(self, name, value)

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        return self._call(ReasonerServerAPI.answer_batch.__name__, list(requests))
