"""docs/EXTENDING.md's five recipes, proven: a toy plug-in of each kind (tests/plugins/: a tool,
a reasoner backend, a routing system, a reward, a dataset adapter) named in a config file by
`class:` runs end to end, with no change inside the project's packages."""
import json
import os

import numpy as np
import pytest
import soundfile as sf
import yaml

from conftest import SR, silence, tone

ROOMS = ["kitchen", "hall"]


def write_dataset(folder):
    """Eight clips of 1-4 beeps, each item recorded in a `room` (the toy adapter's breakdown)."""
    (folder / "audio").mkdir(parents=True)
    items = []
    for k in range(8):
        n = k % 4 + 1
        clip = np.concatenate([silence(0.2)] + [np.concatenate([tone(700, 0.1), silence(0.2)]) for _ in range(n)])
        sf.write(folder / "audio" / f"c{k}.wav", clip, SR)
        items.append({"id": f"c{k}", "audio": f"audio/c{k}.wav", "question": "How many beeps are there?",
                      "choices": ["1", "2", "3", "4"], "answer": str(n), "room": ROOMS[k % 2],
                      "split": "train" if k < 4 else "test"})
    (folder / "rooms.json").write_text(json.dumps(items))
    return str(folder / "rooms.json")


def write_config(tmp_path, data):
    cfg = {"tools": [{"name": "bursts", "class": "plugins.toy_tool.BurstCounter", "cost": 0.01,
                      "params": {"level": 0.1}},
                     {"name": "duration"}],
           "reasoner": {"class": "plugins.toy_reasoner.LastNamedChoice", "default_index": 0},
           "data": {"adapter": "class:plugins.toy_dataset.RoomsDataset"},
           "cache_dir": str(tmp_path / "cache"),
           "train": {"env": {"data": data, "max_calls": 1, "cost_weight": 0.05,
                             "reward": {"class": "plugins.toy_reward.RightPlusRescue", "bonus": 0.5}},
                     "iterations": 2, "checkpoint_every": 1, "train_batch_size": 32, "minibatch_size": 16,
                     "num_epochs": 1, "hidden": [8], "tool_workers": 0},
           "eval": {"splits": ["test"], "systems": ["none", "class:plugins.toy_system.CheapestApplicable"]},
           "mlflow": {"tracking_uri": f"sqlite:///{tmp_path}/mlruns/mlflow.db", "experiment": "plugins"}}
    path = tmp_path / "plugins.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def test_tool_reasoner_system_and_dataset_plugins_through_eval(tmp_path):
    from cluster.cli import main

    data = write_dataset(tmp_path / "rooms")
    config = write_config(tmp_path, data)
    out = str(tmp_path / "eval" / "results.json")
    assert main(["eval", "--config", config, "--data", data, "--split", "test", "--no-mlflow", "--quiet",
                 "--systems", "none,class:plugins.toy_system.CheapestApplicable", "--out", out]) == 0
    results = json.load(open(out))
    assert results["adapter"] == "rooms" and results["tools"] == ["bursts", "duration"]  # dataset adapter, tool
    assert results["reasoner"] == "toy-last-named/0"  # reasoner backend
    cheapest = results["systems"]["cheapest"]  # routing system, under its own name
    assert cheapest["accuracy"] == 1.0 and cheapest["mean_tool_calls"] == 1.0  # the burst count answers it
    assert results["systems"]["none"]["accuracy"] == 0.25  # the reasoner alone says "1"
    assert set(cheapest["per_room"]) == set(ROOMS)  # the adapter's breakdown
    entries = json.load(open(results["predictions"]["cheapest"]))
    assert [e["id"] for e in entries] == ["c4", "c5", "c6", "c7"] and all(e["pred"] == e["answer"] for e in entries)


def test_reward_plugin_scores_episodes(tmp_path):
    """The reward named in train.env.reward scores each episode: 1 + 0.5 where the tool rescued
    the reasoner, less the cost."""
    from cluster.config import load_config
    from env.factory import make_env
    from policy.ppo import build_ppo_config
    from plugins.toy_reward import RightPlusRescue

    data = write_dataset(tmp_path / "rooms")
    cfg = load_config(write_config(tmp_path, data))
    env = make_env({**build_ppo_config(cfg).env_config, "shuffle": False})
    assert isinstance(env.reward, RightPlusRescue)
    rewards = {}
    for _ in range(4):
        _, info = env.reset()
        _, reward, done, _, end = env.step(env.tool_names.index("bursts"))
        assert done and end["correct"]
        rewards[info["item_id"]] = reward
    # c0 has one beep: the reasoner alone was right (no rescue); c1..c3 were rescued
    cost = 0.05 * 0.01
    assert rewards == pytest.approx({"c0": 1 - cost, "c1": 1.5 - cost, "c2": 1.5 - cost, "c3": 1.5 - cost})


@pytest.mark.slow
def test_all_five_plugins_train_and_evaluate_end_to_end(tmp_path, monkeypatch):
    """`audiorouter train` from the one config: PPO with the plug-in reward over the plug-in tool
    and reasoner, then the learned router and the plug-in system on the test split, broken down
    by the plug-in adapter."""
    import tempfile

    from conftest import kill_ray_under
    from cluster.cli import main

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray_tmp = tempfile.mkdtemp(prefix="ray-plugins-", dir="/tmp")
    monkeypatch.setenv("RAY_TMPDIR", ray_tmp)
    data = write_dataset(tmp_path / "rooms")
    config = write_config(tmp_path, data)
    try:
        assert main(["train", "--config", config, "--run-dir", str(tmp_path / "run"), "--quiet"]) == 0
    finally:
        import ray

        ray.shutdown()
        kill_ray_under(ray_tmp)
    assert os.path.exists(tmp_path / "run" / "router.pt")
    results = json.load(open(tmp_path / "run" / "results.test.json"))
    assert set(results["systems"]) == {"none", "cheapest", "learned"} and results["adapter"] == "rooms"
    assert set(results["systems"]["learned"]["per_room"]) == set(ROOMS)
    assert os.path.exists(tmp_path / "run" / "results.test.predictions" / "learned.json")


@pytest.mark.slow
def test_two_learners_train(tmp_path, monkeypatch):
    """`train.num_learners: 2` on CPUs: two learner actors, gradients synchronized by RLlib's
    learner group over gloo (the path configs/cluster_2x8gpu.yaml takes with GPUs), 2 iterations."""
    import tempfile

    import ray

    from conftest import kill_ray_under
    from cluster.cli import main

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    data = write_dataset(tmp_path / "rooms")
    config = write_config(tmp_path, data)
    cfg = yaml.safe_load(open(config))
    cfg["train"]["num_learners"] = 2
    cfg["eval"]["systems"] = ["none"]
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(cfg))
    ray_tmp = tempfile.mkdtemp(prefix="ray-2l-", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=ray_tmp, log_to_driver=False)
    try:
        assert main(["train", "--config", str(tmp_path / "two.yaml"), "--run-dir", str(tmp_path / "run"),
                     "--quiet"]) == 0
    finally:
        ray.shutdown()
        kill_ray_under(ray_tmp)
    state = json.load(open(tmp_path / "run" / "state.json"))
    assert state["iterations_done"] == 2 and os.path.exists(tmp_path / "run" / "router.pt")
