"""Tool workers: the in-process pool and a pool of Ray actors fill the same cache entries."""
import json
import os
import tempfile

import pytest

from cluster.pools import ToolPool
from env.items import load_items
from eval.probe import generate
from tools.cache import ParquetCache

SPECS = [{"name": "duration"}, {"name": "loudness"}, {"name": "events"}]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    generate(str(folder), 12, seed=3, progress=False)
    items, _ = load_items(str(folder))
    return [(i.audio, i.question, i.choices) for i in items]


def cached_texts(cache_dir):
    cache = ParquetCache(os.path.join(cache_dir, "tools"))
    return {k: json.loads(v)["text"] for k, v in cache._data.items()}


def test_local_pool_fills_the_cache_and_counts(clips, tmp_path):
    pool = ToolPool(SPECS, str(tmp_path), replicas=0)
    counts = pool.warm(clips + [("/nonexistent.wav", "q", ["a", "b"])], chunk=5, progress=False)
    assert counts == {"clips": len(clips), "bad_audio": 1, "tool_errors": 0}
    assert len(cached_texts(str(tmp_path))) == len(clips) * len(SPECS)
    with pytest.raises(ValueError):
        ToolPool(SPECS, str(tmp_path), replicas=-1)


def test_an_in_process_tool_pool_leaves_the_callers_torch_threads_alone(tmp_path):
    """A worker actor limits its own torch threads to its CPUs; in-process the pool shares the
    caller's process, which keeps its own (train's learner ran at 1 thread with tool_workers 0)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        ToolPool(SPECS, str(tmp_path), replicas=0, num_cpus=1)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_ray_pool_gives_the_same_cache_as_in_process(clips, tmp_path, monkeypatch):
    import ray

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    local_dir, ray_dir = str(tmp_path / "local"), str(tmp_path / "ray")
    ToolPool(SPECS, local_dir, replicas=0).warm(clips, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # socket paths stay short
    try:
        pool = ToolPool(SPECS, ray_dir, replicas=2)
        counts = pool.warm(clips, chunk=2, progress=False)
        pool.shutdown()
    finally:
        ray.shutdown()
    assert counts["clips"] == len(clips)
    assert cached_texts(ray_dir) == cached_texts(local_dir)
    # each worker wrote its own shards; no temporary file left behind
    assert not [f for f in os.listdir(os.path.join(ray_dir, "tools")) if f.endswith(".tmp")]


def test_cache_warm_command(clips, tmp_path, capfd):
    from cluster.cli import main

    folder = os.path.dirname(os.path.dirname(clips[0][0]))  # the probe folder (audio/ is below it)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"tools": SPECS, "cache_dir": str(tmp_path / "cache")}))  # JSON is YAML
    assert main(["cache", "warm", "--config", str(cfg), "--data", folder, "--tools", "duration,nope",
                 "--local", "--quiet"]) == 2
    assert "nope" in capfd.readouterr().err
    assert main(["cache", "warm", "--config", str(cfg), "--data", folder, "--tools", "duration",
                 "--local", "--quiet"]) == 0
    assert f"{len(clips)} clips, 0 rejected" in capfd.readouterr().out
    assert len(cached_texts(str(tmp_path / "cache"))) == len(clips)
    # `unused`: the training items after train.env.max_items, as train takes them
    n_train = len(load_items(folder, split="train")[0])
    cfg.write_text(json.dumps({"tools": SPECS, "cache_dir": str(tmp_path / "cache"), "train": {"env": {"max_items": 2}}}))
    assert main(["cache", "warm", "--config", str(cfg), "--data", folder, "--tools", "duration", "--split", "unused",
                 "--local", "--quiet"]) == 0
    assert f"{n_train - 2} clips, 0 rejected" in capfd.readouterr().out


@pytest.mark.slow
def test_training_goes_on_when_pool_actors_are_killed_and_the_caches_lose_nothing(clips, tmp_path, monkeypatch):
    """PPO on a pool-backed vectorized env; mid-iteration the reasoner actor and a tool actor are
    killed (Ray restarts them, in-flight calls are retried); training finishes, and every answer
    and tool result the env received is in the on-disk caches."""
    import threading
    import time

    import ray

    from cluster.train import pool_metrics, start_pools
    from policy.ppo import build_ppo_config

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    folder = os.path.dirname(os.path.dirname(clips[0][0]))
    cache_dir = str(tmp_path / "cache")
    # temperature 5: not the protocol's default, so the client must have it from the pool
    cfg = {"tools": SPECS, "reasoner": {"backend": "smollm2", "threads": 1, "temperature": 5}, "cache_dir": cache_dir,
           "pools": {"tools": {"replicas": 1, "num_cpus": 0.5}, "reasoner": {"replicas": 1, "num_cpus": 0.5}},
           "train": {"env": {"data": folder, "split": None, "max_calls": 2}, "num_envs_per_env_runner": 4,
                     "train_batch_size": 64, "minibatch_size": 32, "num_epochs": 1, "hidden": [16], "lr": 0.001}}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    try:
        pools = start_pools(cfg)
        assert sorted(pools) == ["reasoner", "tools"] and pools["reasoner"].names == ["audiorouter-reasoner-0"]
        algo = build_ppo_config(cfg, pools={k: p.address for k, p in pools.items()}).build_algo()
        first = algo.train()
        reasoner_actor, tool_actor = pools["reasoner"].actors[0], pools["tools"].actors[0]
        pid_before = ray.get(reasoner_actor.__ray_call__.remote(lambda self: os.getpid()))

        def kill_soon():
            time.sleep(1.0)  # inside the next iteration's sampling
            ray.kill(reasoner_actor, no_restart=False)
            ray.kill(tool_actor, no_restart=False)

        killer = threading.Thread(target=kill_soon)
        killer.start()
        results = [algo.train() for _ in range(3)]
        killer.join()
        steps = [r["env_runners"]["num_env_steps_sampled_lifetime"] for r in [first] + results]
        assert steps == sorted(steps) and steps[-1] > steps[0]  # sampling went on
        assert ray.get(reasoner_actor.__ray_call__.remote(lambda self: os.getpid())) != pid_before  # restarted
        assert pool_metrics(pools)["pool/reasoner/requests"] > 0  # and served again after the restart
        env = algo.env_runner.env.unwrapped  # the driver's BatchedVectorEnv (num_env_runners 0)
        # the runner's client keys and calibrates answers as the served reasoner does
        from env.reasoners import backend_traits, build_reasoner

        client = env.envs[0].unwrapped.reasoner
        assert backend_traits(client.backend) == backend_traits(build_reasoner(cfg["reasoner"]))
        assert client.temperature == 5.0
        received = client.cache._data
        on_disk = ParquetCache(os.path.join(cache_dir, "reasoner"))._data
        assert len(received) > 20 and set(received) <= set(on_disk)
        tools_received = env.envs[0].unwrapped.executor.cache._data
        assert tools_received and set(tools_received) <= set(ParquetCache(os.path.join(cache_dir, "tools"))._data)
        algo.stop()
        for pool in pools.values():
            pool.shutdown()
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_cache_warm_reasoner_precomputes_every_answer_an_episode_can_ask_for(clips, tmp_path, capfd):
    from cluster.cli import main
    from env.reasoners import CachedReasoner, ReasonRequest, build_reasoner

    folder = os.path.dirname(os.path.dirname(clips[0][0]))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"tools": SPECS[:2], "cache_dir": str(tmp_path / "cache"),
                               "reasoner": {"backend": "smollm2", "threads": 2}}))
    assert main(["cache", "warm", "--config", str(cfg), "--data", folder, "--local", "--quiet",
                 "--reasoner", "--max-calls", "1"]) == 0
    out = capfd.readouterr().out
    # per clip: no tools, duration alone, loudness alone (both apply to every question)
    assert f"reasoner cache warm: {3 * len(clips)} requests" in out and f"{3 * len(clips)} computed" in out
    on_disk = ParquetCache(os.path.join(tmp_path / "cache", "reasoner"))
    assert len(on_disk) == 3 * len(clips)
    # the entries are the ones an env's CachedReasoner looks up
    audio, question, choices = clips[0]
    key = CachedReasoner(build_reasoner({"threads": 2}), on_disk).key(ReasonRequest(question, tuple(choices), ()))
    assert on_disk.get(key) is not None
