"""The hostile dataset end to end (docs/RELIABILITY.md, "Runs over a hostile dataset"): `eval` and
`train` over a probe benchmark with every kind of bad input added finish, score every usable
item, and reject every bad entry with its reason; with the default limit, the run stops instead."""
import json
import os
import tempfile

import pytest
import yaml

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from cluster.cli import main

    root = tmp_path_factory.mktemp("hostile")
    data = str(root / "data")
    assert main(["data", "hostile", "--out", data, "--n", "30", "--seed", "3", "--quiet"]) == 0
    cfg = {"tools": [{"name": "duration"}, {"name": "pitch"}], "reasoner": {"backend": "smollm2", "threads": 2},
           "cache_dir": str(root / "cache"), "max_bad_fraction": 1.0,  # the bad entries are the point here
           "train": {"env": {"data": data, "max_calls": 1}, "iterations": 2, "checkpoint_every": 1,
                     "train_batch_size": 64, "minibatch_size": 32, "num_epochs": 1, "hidden": [16],
                     "tool_workers": 0},
           "eval": {"splits": ["test"], "systems": ["none"]},
           "mlflow": {"tracking_uri": f"sqlite:///{root}/mlruns/mlflow.db", "experiment": "hostile"}}
    (root / "c.yaml").write_text(yaml.safe_dump(cfg))
    return root, data, json.load(open(os.path.join(data, "expected.json")))


def check_rejections(rejected: list[dict], expected_bad: dict[str, str]) -> None:
    reasons = {r["id"]: r["reason"] for r in rejected}
    assert set(reasons) == set(expected_bad)
    for item_id, words in expected_bad.items():
        assert words in reasons[item_id], (item_id, reasons[item_id])


def test_eval_scores_every_usable_item_and_rejects_every_bad_one(hostile, capfd):
    import pyarrow.parquet as pq

    from cluster.cli import main

    root, data, expected = hostile
    out = str(root / "eval" / "results.json")
    assert main(["eval", "--config", str(root / "c.yaml"), "--data", data, "--split", "test",
                 "--systems", "none,expert", "--out", out, "--quiet"]) == 0
    results = json.load(open(out))
    usable = set(expected["usable"]["test"])
    assert results["n_items"] == len(usable)  # items lost: none
    rows = pq.read_table(str(root / "eval" / "results.items.parquet")).to_pylist()
    for system in ("none", "expert"):
        assert sorted(r["id"] for r in rows if r["system"] == system) == sorted(usable)
    check_rejections(results["rejected"], expected["bad"]["test"])
    on_file = pq.read_table(str(root / "eval" / "results.rejected.parquet")).to_pylist()
    assert {r["id"] for r in on_file} == set(expected["bad"]["test"])

    # the default limit (10%) stops the same run before any model work, saying why
    assert main(["eval", "--config", str(root / "c.yaml"), "--data", data, "--split", "test", "--systems", "none",
                 "--out", str(root / "stopped" / "r.json"), "--quiet", "--no-mlflow",
                 "--set", "max_bad_fraction=0.1"]) == 2
    err = capfd.readouterr().err
    n_manifest = sum(r["stage"] == "manifest" for r in results["rejected"])  # caught before any audio is read
    n_all = len(expected["bad"]["test"]) + len(usable)
    assert f"error: {n_manifest} of {n_all} items" in err and "over max_bad_fraction=0.1; stopping" in err


def test_train_finishes_and_logs_the_rejected_items(hostile, monkeypatch):
    import mlflow
    import pyarrow.parquet as pq
    import ray

    from cluster.cli import main

    root, data, expected = hostile
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=tempfile.mkdtemp(prefix="ray-", dir="/tmp"),
             log_to_driver=False)
    try:
        assert main(["train", "--config", str(root / "c.yaml"), "--run-dir", str(root / "run"), "--quiet"]) == 0
    finally:
        ray.shutdown()
    rejected = pq.read_table(str(root / "run" / "rejected.parquet")).to_pylist()
    check_rejections(rejected, expected["bad"]["train"])
    assert os.path.exists(root / "run" / "router.pt")
    results = json.load(open(root / "run" / "results.test.json"))
    assert results["systems"]["learned"]["n_items"] == len(expected["usable"]["test"])
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{root}/mlruns/mlflow.db")
    run = client.search_runs([client.get_experiment_by_name("hostile").experiment_id],
                             filter_string="attributes.run_name = 'train'", max_results=1)[0]
    assert run.data.metrics["bad_items"] >= len(expected["bad"]["train"])  # the runners' count, every item
    assert run.data.metrics["test/bad_items"] == len(expected["bad"]["test"])
    assert "rejected.parquet" in {a.path for a in client.list_artifacts(run.info.run_id)}
