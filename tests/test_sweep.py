"""A small data-efficiency sweep end to end: the parent and child runs, params, metrics and
artifacts a user charts in MLflow exist (checked through MLflow's client API), and the plot is a
real PNG. Trials run in-process here (`sweep.concurrent: 1`, one loaded reasoner for all): the
same test with `concurrent: 2` (trials as Ray tasks) passed in 341 s on this 2-core machine, too
slow for every `make test`; set SWEEP_CONCURRENT=2 to run it so."""
import os
import tempfile

import pytest
import yaml

pytestmark = pytest.mark.slow
SIZES, SEEDS = [4, 8], 2


def test_small_sweep_builds_the_mlflow_study(tmp_path, monkeypatch, capfd):
    import mlflow
    import ray

    from cluster.cli import main
    from eval.probe import generate

    generate(str(tmp_path / "probe"), 12, seed=2, progress=False)
    db = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    cfg = {"tools": [{"name": "duration"}], "reasoner": {"backend": "smollm2", "threads": 1},
           "cache_dir": str(tmp_path / "cache"), "data": {"out": str(tmp_path / "probe")},
           "train": {"env": {"data": str(tmp_path / "probe"), "split": None, "max_calls": 1}, "iterations": 1,
                     "checkpoint_every": 1, "train_batch_size": 64, "minibatch_size": 32, "num_epochs": 1,
                     "hidden": [16]},
           "sweep": {"split": "all", "systems": ["none", "all"], "cpus_per_trial": 1,
                     "concurrent": int(os.environ.get("SWEEP_CONCURRENT", "1"))},
           "mlflow": {"tracking_uri": db, "experiment": "sweep"}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"),
             log_to_driver=False)
    try:
        assert main(["sweep", "--config", str(tmp_path / "c.yaml"), "--train-sizes", ",".join(map(str, SIZES)),
                     "--seeds", str(SEEDS), "--out", str(tmp_path / "sweep"), "--quiet"]) == 0
    finally:
        ray.shutdown()
    out = capfd.readouterr().out
    assert out.count("learned ") >= len(SIZES) * SEEDS  # a one-line summary per finished run
    assert "| training items | seeds | learned mean |" in out

    client = mlflow.MlflowClient(tracking_uri=db)
    exp = client.get_experiment_by_name("sweep").experiment_id
    parent = client.search_runs([exp], filter_string="attributes.run_name = 'sweep'", max_results=5)
    assert len(parent) == 1
    parent = parent[0]
    assert parent.data.params["sweep.train_sizes"] == "4,8" and parent.data.params["sweep.seeds"] == "2"
    assert {"baseline/none", "baseline/all", "all/accuracy/none", "learned_mean", "learned_std"} <= set(parent.data.metrics)
    curve = client.get_metric_history(parent.info.run_id, "learned_mean")
    assert sorted(m.step for m in curve) == SIZES  # step = training items: the chart is the curve
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"sweep.csv", "sweep.md", "data_efficiency.png"} <= artifacts
    children = client.search_runs([exp], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
                                  max_results=20)
    assert len(children) == len(SIZES) * SEEDS
    assert sorted((c.data.params["train.env.max_items"], c.data.params["train.seed"]) for c in children) == \
        sorted((str(s), str(k)) for s in SIZES for k in range(SEEDS))
    for child in children:
        assert "all/accuracy/learned" in child.data.metrics and "reward_mean" in child.data.metrics
    with open(tmp_path / "sweep" / "data_efficiency.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(tmp_path / "sweep" / "data_efficiency.png") > 10_000
    # the plots and tables each run carries (eval/plots.py), and the report built from them
    assert {"baselines.all.csv", "baselines.all.accuracy_per_task.png"} <= artifacts
    for child in children:
        files = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert {"learning_curves.png", "results.all.csv", "results.all.accuracy_per_task.png",
                 "results.all.tool_usage.png"} <= files, files
        assert len(client.get_metric_history(child.info.run_id, "reward_mean")) == 1  # one PPO iteration
    assert main(["report", "--experiment", "sweep", "--tracking-uri", db, "--out", str(tmp_path / "report")]) == 0
    md = (tmp_path / "report" / "report.md").read_text()
    assert md.startswith("# sweep (sweep)") and f"## Child runs ({len(SIZES) * SEEDS})" in md
    for name in ("data_efficiency.png", "baselines.all.accuracy_per_task.png", "learning_curves.png",
                 "results.all.tool_usage.png"):
        assert f"{name})" in md, name  # the sweep's plots and the best trial's
    assert "| training items | seeds | learned mean |" in md
