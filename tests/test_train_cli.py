"""`audiorouter demo` (generate -> train -> table) and `route` end to end on a tiny config:
the tool cache warmed first, MLflow per iteration, checkpoint, router.pt, eval with the learned router."""
import json
import os

import pytest
import yaml

pytestmark = pytest.mark.slow


def test_demo_trains_and_route_uses_the_router(tmp_path, monkeypatch, capfd):
    from cluster.cli import main

    db = tmp_path / "mlruns" / "mlflow.db"
    cfg = {"data": {"out": str(tmp_path / "probe"), "n": 30, "seed": 5},
           "tools": [{"name": "duration"}, {"name": "pitch"}], "reasoner": {"backend": "smollm2", "threads": 2},
           "cache_dir": str(tmp_path / "cache"),
           "train": {"env": {"split": None, "max_calls": 1}, "run_dir": str(tmp_path / "run"),
                     "iterations": 2, "checkpoint_every": 1, "train_batch_size": 64, "minibatch_size": 32,
                     "num_epochs": 2, "hidden": [16], "lr": 0.001},
           "eval": {"splits": ["all"], "systems": ["none"]},
           "mlflow": {"tracking_uri": f"sqlite:///{db}", "experiment": "train-test"}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    import ray
    import tempfile
    # Ray's socket paths must stay under 107 bytes: a short temp dir, not pytest's
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"),
             log_to_driver=False)
    try:
        assert main(["demo", "--config", str(tmp_path / "c.yaml"), "--quiet"]) == 0
    finally:
        ray.shutdown()
    captured = capfd.readouterr()
    out = captured.out
    assert "| learned |" in out and "| none |" in out  # the comparison table
    assert "Install gputil" not in captured.err  # no system-usage poll (policy/ppo.py)
    items = json.load(open(tmp_path / "probe" / "items.json"))
    assert len(items) == 30
    assert os.path.exists(tmp_path / "run" / "router.pt")
    assert os.listdir(tmp_path / "run" / "checkpoints") == ["iter-000002"]  # the last one kept

    pitch = next(i for i in items if i["task"] == "pitch_compare")
    assert main(["route", "--config", str(tmp_path / "c.yaml"), "--router", str(tmp_path / "run" / "router.pt"),
                 "--audio", str(tmp_path / "probe" / pitch["audio_id"]), "--question", pitch["question"],
                 "--choices", "|".join(pitch["choices"]), "--explain"]) == 0
    out = capfd.readouterr().out
    assert "tools chosen:" in out and "answer: " in out
    answer, explained = out.split("answer: ")[1].split("\n", 1)
    assert "first tool chosen by: " in explained and "relevance" in explained
    assert {"duration", "pitch"} <= {line.split()[0] for line in explained.splitlines()[2:]}  # a row per tool
    answer = answer.strip()
    assert answer in pitch["choices"]
    assert main(["route", "--config", str(tmp_path / "c.yaml"), "--router", str(tmp_path / "run" / "router.pt"),
                 "--audio", str(tmp_path / "nope.wav"), "--question", "q", "--choices", "a|b"]) == 2
    assert "nope.wav: file not found" in capfd.readouterr().err
    results = json.load(open(tmp_path / "run" / "results.all.json"))
    assert set(results["systems"]) == {"none", "learned"}  # the run's own router is labelled `learned`
    assert results["systems"]["learned"]["n_items"] == len(items)

    # benchmarks/pipeline_cost.py on this router: both pipelines on the same items, cold, and the
    # keys scripts read
    import importlib.util
    spec = importlib.util.spec_from_file_location("pipeline_cost", os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "pipeline_cost.py"))
    pipeline_cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pipeline_cost)
    cost_file = tmp_path / "cost.json"
    assert pipeline_cost.main(["--config", str(tmp_path / "c.yaml"), "--router", str(tmp_path / "run" / "router.pt"),
                               "--data", str(tmp_path / "probe"), "--split", "test", "--items", "3",
                               "--out", str(cost_file)]) == 0
    cost = json.load(open(cost_file))
    assert cost["items"] == 3 and cost["ratio"] == pytest.approx(cost["routed_seconds_per_item"] / cost["all_seconds_per_item"])
    assert 0 < cost["decision_seconds_per_item"] < cost["route_seconds_per_item"] < cost["routed_seconds_per_item"]
    assert 0 <= cost["routed_accuracy"] <= 1 and 0 <= cost["all_accuracy"] <= 1
    assert cost["routed_calls_per_item"] <= 1 and set(cost["all_tool_seconds_per_call"]) == {"duration", "pitch"}

    import mlflow
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    run = client.search_runs([client.get_experiment_by_name("train-test").experiment_id], max_results=5)[0]
    history = client.get_metric_history(run.info.run_id, "reward_mean")
    assert [m.step for m in history] == [0, 1]
    assert {"entropy", "kl", "seconds", "accuracy", "tool_calls"} <= set(run.data.metrics)
    assert run.data.metrics["tool_cache_clips"] == len(items)  # every training clip warmed before PPO
    assert "all/accuracy/learned" in run.data.metrics and "all/tool_calls/none" in run.data.metrics
    assert "router.pt" in {a.path for a in client.list_artifacts(run.info.run_id)}
