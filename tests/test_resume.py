"""`audiorouter train --resume RUN_DIR` after the training process is SIGKILLed past its first
checkpoint: the same MLflow run goes on, the iteration and env-step counters continue, every
iteration's metrics are in MLflow exactly once, and the router is produced.

The reasoner is the toy plug-in (tests/plugins/toy_reasoner.py): what is tested is the run state,
the checkpoints and MLflow, which do not depend on the backend; SmolLM2 would spend two minutes
of this test answering (the demo, pools and jobs tests train with it)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

from conftest import kill_ray_under

pytestmark = pytest.mark.slow
BIN = os.path.join(os.path.dirname(sys.executable), "audiorouter")
ITERATIONS = 8  # the kill lands a few iterations before the end: each takes about a second


def test_sigkill_after_first_checkpoint_then_resume(tmp_path):
    import mlflow

    from eval.probe import generate

    generate(str(tmp_path / "probe"), 30, seed=4, progress=False)
    db = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    cfg = {"tools": [{"name": "duration"}, {"name": "loudness"}],
           "reasoner": {"class": "plugins.toy_reasoner.LastNamedChoice"}, "cache_dir": str(tmp_path / "cache"),
           "train": {"env": {"data": str(tmp_path / "probe"), "split": None, "max_calls": 1},
                     "iterations": ITERATIONS, "checkpoint_every": 1, "train_batch_size": 64, "minibatch_size": 32,
                     "num_epochs": 1, "hidden": [16], "tool_workers": 0},
           "eval": {"after_train": False},
           "mlflow": {"tracking_uri": db, "experiment": "resume"}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    run_dir = str(tmp_path / "run")
    ray_tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths stay under 107 bytes
    # the subprocess and its Ray workers import the plug-in from tests/
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": ray_tmp,
           "PYTHONPATH": os.pathsep.join(filter(None, [tests_dir, os.environ.get("PYTHONPATH")]))}

    log = open(tmp_path / "first.log", "w")  # a file, not a pipe: a full pipe would stall the run
    first = subprocess.Popen([BIN, "train", "--config", str(tmp_path / "c.yaml"), "--run-dir", run_dir, "--quiet"],
                             env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    state_file = os.path.join(run_dir, "state.json")
    deadline = time.time() + 600
    try:
        while time.time() < deadline and first.poll() is None:
            if os.path.exists(state_file) and json.load(open(state_file))["iterations_done"] >= 1:
                break
            time.sleep(0.2)
        assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
        os.killpg(first.pid, signal.SIGKILL)  # mid-run, past the first checkpoint
        first.wait(30)
    finally:
        kill_ray_under(ray_tmp)
    killed_at = json.load(open(state_file))
    assert 1 <= killed_at["iterations_done"] < ITERATIONS and not os.path.exists(os.path.join(run_dir, "router.pt"))

    second = subprocess.run([BIN, "train", "--resume", run_dir, "--quiet"], env=env, capture_output=True, text=True,
                            timeout=900)
    kill_ray_under(ray_tmp)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"mlflow run: {killed_at['mlflow_run_id']}" in second.stdout  # the same run goes on
    state = json.load(open(state_file))
    assert state["iterations_done"] == ITERATIONS and state["pending_metrics"] == []
    assert os.path.exists(os.path.join(run_dir, "router.pt"))
    assert os.listdir(os.path.join(run_dir, "checkpoints")) == [f"iter-{ITERATIONS:06d}"]

    client = mlflow.MlflowClient(tracking_uri=db)
    runs = client.search_runs([client.get_experiment_by_name("resume").experiment_id], max_results=10)
    assert [r.info.run_id for r in runs] == [killed_at["mlflow_run_id"]]
    # the iteration's time split (reasoner misses, sampling, learner) is logged every iteration too
    for key in ("reward_mean", "seconds", "env_steps", "bad_items", "reasoner_seconds", "sampling_seconds",
                "learner_seconds"):
        history = client.get_metric_history(killed_at["mlflow_run_id"], key)
        assert sorted(m.step for m in history) == list(range(ITERATIONS)), key  # none lost, none twice
    env_steps = [m.value for m in sorted(client.get_metric_history(killed_at["mlflow_run_id"], "env_steps"),
                                         key=lambda m: m.step)]
    # lifetime env steps restored from the checkpoint: the counter continues, it does not restart
    assert all(b > a for a, b in zip(env_steps, env_steps[1:])), env_steps
    assert len(client.get_metric_history(killed_at["mlflow_run_id"], "bad_items_before_training")) == 1


def test_resume_refuses_a_run_dir_without_state(tmp_path, capfd):
    from cluster.cli import main

    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "no state.json, so nothing to resume" in capfd.readouterr().err
