"""PPO on RLlib's new API stack learns to call the tool that decides the answer.

Tiny problem: pitch-comparison items only, three tools, one call at most. Only the pitch
tool's result lets the (real, frozen) reasoner answer; the relative reward pays for it.
"""
import os
import tempfile

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_local():
    import ray

    tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
    yield
    ray.shutdown()


def test_router_learns_to_call_the_deciding_tool(ray_local, tmp_path):
    import torch
    from ray.rllib.core.columns import Columns

    from eval.probe import generate
    from policy.ppo import build_ppo_config

    items = [i for i in generate(str(tmp_path / "probe"), 120, seed=21, progress=False)
             if i["task"] == "pitch_compare"]
    assert len(items) >= 10
    cfg = {"tools": [{"name": "duration"}, {"name": "pitch"}, {"name": "loudness"}],
           "reasoner": {"backend": "smollm2", "threads": 2}, "cache_dir": str(tmp_path / "cache"),
           "train": {"env": {"data": str(tmp_path / "probe"), "split": None, "max_calls": 1,
                             "reward": "relative", "cost_weight": 0.05},
                     "lr": 3e-3, "train_batch_size": 128, "minibatch_size": 64, "num_epochs": 6,
                     "hidden": [32], "seed": 0}}
    import json
    # only the pitch items: the probe's other tasks need other tools
    path = tmp_path / "probe" / "items.json"
    path.write_text(json.dumps(items))
    algo = build_ppo_config(cfg).build_algo()
    returns = []
    for _ in range(6):
        result = algo.train()
        returns.append(result["env_runners"]["episode_return_mean"])
        assert 0.0 <= result["env_runners"]["accuracy"] <= 1.0
        assert result["env_runners"]["tool_calls"] <= 1.0  # max_calls is 1
    module = algo.get_module()
    # the greedy router's first action on every item is the pitch tool
    from env.factory import make_env
    probe_env = make_env({**algo.config.env_config})
    pitch = probe_env.tool_names.index("pitch")
    from policy.export import Router, export_router
    export_router(module, probe_env, cfg["train"]["hidden"], str(tmp_path / "router.pt"))
    router = Router(str(tmp_path / "router.pt"))
    firsts, exported = [], []
    for seed in range(len(items)):
        obs, _ = probe_env.reset(seed=seed)
        batch = {Columns.OBS: {k: torch.from_numpy(v)[None] for k, v in obs.items()}}
        with torch.no_grad():
            logits = module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS][0]
        firsts.append(int(torch.argmax(logits)))
        exported.append(router.act(obs))
        assert router.act_torch(obs) == exported[-1]  # the numpy decision is the torch module's
    algo.stop()
    assert exported == firsts  # router.pt decides exactly as the RLlib module
    info = router.route(probe_env, seed=0)
    assert info["tools"] == ["pitch"]

    # the learned router as an eval system, beside the fixed baselines
    from eval.benchmark import run_benchmark
    results = run_benchmark(cfg, str(tmp_path / "probe"), ["none", "expert", f"learned:{tmp_path / 'router.pt'}"],
                            str(tmp_path / "eval" / "results.json"), split=None, progress=False)
    learned = results["systems"][f"learned:{tmp_path / 'router.pt'}"]
    routes = (tmp_path / "eval" / "results.routes.md").read_text()  # what it learned, per family
    assert "| pitch_compare |" in routes and "| pitch" in routes.split("| pitch_compare |")[1]
    # it calls the pitch tool (on all but at most one item in ten: a no-tool answer can be right by chance,
    # which the relative reward does not pay to change) and answers as well as expert routing, give or take that item
    expert, none = results["systems"]["expert"]["accuracy"], results["systems"]["none"]["accuracy"]
    assert learned["mean_tool_calls"] >= 0.9
    assert learned["accuracy"] >= expert - 1 / len(items) and learned["accuracy"] > none
    print(f"episode return mean per iteration: {np.round(returns, 3).tolist()}; greedy first actions: {firsts}")
    assert np.mean([a == pitch for a in firsts]) >= 0.9, (firsts, returns)
    assert returns[-1] > returns[0]
    assert result["env_runners"]["accuracy"] > result["env_runners"]["accuracy_without_tools"]

