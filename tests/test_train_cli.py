"""`audiorouter train` end to end on a tiny config: MLflow per iteration, checkpoint, router.pt, eval."""
import json
import os

import pytest
import yaml

pytestmark = pytest.mark.slow


def test_train_and_route_commands(tmp_path, monkeypatch, capfd):
    from cluster.cli import main
    from eval.probe import generate

    items = [i for i in generate(str(tmp_path / "probe"), 60, seed=5, progress=False)
             if i["task"] in ("pitch_compare", "duration")]
    (tmp_path / "probe" / "items.json").write_text(json.dumps(items))
    db = tmp_path / "mlruns" / "mlflow.db"
    cfg = {"tools": [{"name": "duration"}, {"name": "pitch"}], "reasoner": {"backend": "smollm2", "threads": 2},
           "cache_dir": str(tmp_path / "cache"),
           "train": {"env": {"data": str(tmp_path / "probe"), "split": None, "max_calls": 1},
                     "iterations": 2, "checkpoint_every": 1, "train_batch_size": 64, "minibatch_size": 32,
                     "num_epochs": 2, "hidden": [16], "lr": 0.001},
           "eval": {"split": "all", "systems": ["none"]},
           "mlflow": {"tracking_uri": f"sqlite:///{db}", "experiment": "train-test"}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    import ray
    import tempfile
    # Ray's socket paths must stay under 107 bytes: a short temp dir, not pytest's
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"),
             log_to_driver=False)
    try:
        assert main(["train", "--config", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"),
                     "--quiet"]) == 0
    finally:
        ray.shutdown()
    assert os.path.exists(tmp_path / "run" / "router.pt") and os.listdir(tmp_path / "run" / "checkpoint")

    pitch = next(i for i in items if i["task"] == "pitch_compare")
    capfd.readouterr()
    assert main(["route", "--config", str(tmp_path / "c.yaml"), "--router", str(tmp_path / "run" / "router.pt"),
                 "--audio", str(tmp_path / "probe" / pitch["audio_id"]), "--question", pitch["question"],
                 "--choices", "|".join(pitch["choices"])]) == 0
    out = capfd.readouterr().out
    assert "tools chosen:" in out and "answer: " in out
    answer = out.split("answer: ")[1].strip()
    assert answer in pitch["choices"]
    assert main(["route", "--config", str(tmp_path / "c.yaml"), "--router", str(tmp_path / "run" / "router.pt"),
                 "--audio", str(tmp_path / "nope.wav"), "--question", "q", "--choices", "a|b"]) == 2
    assert "nope.wav: file not found" in capfd.readouterr().err
    results = json.load(open(tmp_path / "run" / "results.json"))
    learned = [k for k in results["systems"] if k.startswith("learned:")]
    assert len(learned) == 1 and results["systems"][learned[0]]["n_items"] == len(items)

    import mlflow
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    run = client.search_runs([client.get_experiment_by_name("train-test").experiment_id], max_results=5)[0]
    history = client.get_metric_history(run.info.run_id, "reward_mean")
    assert [m.step for m in history] == [0, 1]
    assert {"entropy", "kl", "seconds", "accuracy", "tool_calls"} <= set(run.data.metrics)
    assert "router.pt" in {a.path for a in client.list_artifacts(run.info.run_id)}
