"""End to end through the console script: generate, eval with real tools and reasoner, MLflow."""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
BIN = os.path.join(os.path.dirname(sys.executable), "audiorouter")


def run(*args, cwd):
    proc = subprocess.run([BIN, *args], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_generate_eval_and_mlflow(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = tmp_path / "probe"
    out = run("data", "probe", "--out", str(data), "--n", "40", "--seed", "7", "--quiet", cwd=root)
    assert "wrote 40 items" in out.stdout
    db = tmp_path / "mlruns" / "mlflow.db"
    res = tmp_path / "results.json"
    out = run("eval", "--data", str(data), "--systems", "none,expert", "--split", "all", "--out", str(res),
              "--set", f"cache_dir={tmp_path / 'cache'}", "--set", f"mlflow.tracking_uri=sqlite:///{db}",
              "--set", "mlflow.experiment=cli-test", "--quiet", cwd=root)
    results = json.load(open(res))
    assert results["n_items"] == 40 and results["rejected"] == []
    none, expert = results["systems"]["none"], results["systems"]["expert"]
    assert expert["accuracy"] > none["accuracy"] + 0.2  # the tools do their job end to end
    from eval.probe_v2 import FAMILIES

    assert expert["mean_tool_calls"] == 1.0 and len(expert["per_task"]) == len(FAMILIES)  # probe v2
    assert set(expert["per_form"]) == {"choice", "yesno"} and expert["per_signal"]
    assert "| expert |" in out.stdout

    import mlflow
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    exp = client.get_experiment_by_name("cli-test")
    runs = client.search_runs([exp.experiment_id], max_results=5)
    assert len(runs) == 3  # the comparison and a child run per system
    runs = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(runs) == 1 and runs[0].data.tags["audiorouter.kind"] == "comparison"
    children = client.search_runs([exp.experiment_id], max_results=5,
                                  filter_string=f"tags.mlflow.parentRunId = '{runs[0].info.run_id}'")
    assert {c.data.params["system"]: c.data.metrics["accuracy"] for c in children} == {
        "none": none["accuracy"], "expert": expert["accuracy"]}
    metrics = runs[0].data.metrics
    assert metrics["accuracy/expert"] == expert["accuracy"] and "accuracy/none/count" in metrics
    artifacts = {a.path for a in client.list_artifacts(runs[0].info.run_id)}
    assert {"results.json", "results.md", "results.items.parquet"} <= artifacts


def test_bad_arguments_give_clear_errors(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([BIN, "eval", "--data", str(tmp_path / "nope"), "--no-mlflow"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "no such dataset" in proc.stderr
    proc = subprocess.run([BIN, "eval", "--data", str(tmp_path), "--systems", "none,magic"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "unknown system" in proc.stderr
