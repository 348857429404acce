"""BatchedVectorEnv: the same transitions as gymnasium's SyncVectorEnv, with one batched tool call
and one batched reasoner call per step (what a pool-backed env runner sends over the network)."""
import numpy as np
import pytest
from gymnasium.vector import SyncVectorEnv

from conftest import EchoReasoner
from env.audio_tool_env import AudioToolEnv
from env.reasoners import CachedReasoner
from env.vector import BatchedVectorEnv
from eval.datasets import load_items
from eval.probe import generate
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.registry import build_tools

SPECS = [{"name": "duration"}, {"name": "loudness"}, {"name": "pitch"}, {"name": "events"}]


class CountingRemote:
    """A stand-in tool pool that runs the tools in-process and counts the calls it gets."""

    def __init__(self):
        self.executor = ToolExecutor(build_tools(SPECS))
        self.calls = []

    def run_batch(self, calls):
        self.calls.append(len(calls))
        return [[r.to_dict() for r in row] for row in self.executor.run_many(calls)]


class CountingReasoner(EchoReasoner):
    def __init__(self):
        self.calls = []

    def answer_batch(self, requests):
        self.calls.append(len(requests))
        return super().answer_batch(requests)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    generate(str(folder), 16, seed=21, progress=False)
    return load_items(str(folder))[0]


def build(probe, encoder, n, vector_class, remote=None, reasoner=None):
    executor = ToolExecutor(build_tools(SPECS), ParquetCache(None), remote=remote)
    cached = CachedReasoner(reasoner or EchoReasoner(), ParquetCache(None))
    fns = [lambda: AudioToolEnv(probe, executor, cached, encoder, max_calls=2) for _ in range(n)]
    return vector_class(fns)


def rollout(env, steps, seed):
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    trace = []
    for _ in range(steps):
        # a random unmasked action per sub-env, as a masked policy would pick
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in obs["action_mask"]])
        obs, reward, term, trunc, _ = env.step(actions)
        trace.append((obs["observations"].copy(), reward.copy(), term.copy()))
    return trace


def test_same_transitions_as_sync_vector_env(probe, encoder):
    plain = rollout(build(probe, encoder, 4, SyncVectorEnv), 12, seed=3)
    batched = rollout(build(probe, encoder, 4, BatchedVectorEnv), 12, seed=3)
    assert sum(t[2].sum() for t in plain) > 4  # episodes ended (and autoreset) along the way
    for (o1, r1, d1), (o2, r2, d2) in zip(plain, batched):
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(d1, d2)


def test_one_batched_call_per_step_to_each_pool(probe, encoder):
    remote, reasoner = CountingRemote(), CountingReasoner()
    env = build(probe, encoder, 4, BatchedVectorEnv, remote=remote, reasoner=reasoner)
    obs, _ = env.reset(seed=0)
    call_all = np.full(4, 0)  # every sub-env calls tool 0 (duration): one pool call for 4 clips
    obs, *_ = env.step(call_all)
    assert remote.calls == [4]
    answer = np.full(4, env.envs[0].unwrapped.answer_action)
    env.step(answer)  # four episodes end: their 8 requests (with / without tools) in one call
    assert reasoner.calls == [8] and env.round_trips == 2
    assert remote.calls == [4]  # nothing more went to the tool pool: the sub-envs hit the cache
