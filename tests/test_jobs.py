"""`audiorouter submit` against a real local Ray head (`ray start --head` on 127.0.0.1 with its own
temp dir): a short training job goes through the Jobs API to SUCCEEDED, its logs come back, its
MLflow run and router exist; the head is stopped by its temp dir, nothing else."""
import json
import os
import socket
import subprocess
import sys
import tempfile

import pytest
import yaml

from conftest import kill_ray_under

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runtime_env_excludes_local_state_and_merges_the_config():
    from cluster.jobs import entrypoint, runtime_env

    env = runtime_env({"cluster": {"runtime_env": {"pip": ["soundfile"], "env_vars": {"X": 1},
                                                   "excludes": ["big/"]}}}, ROOT)
    assert env["working_dir"] == ROOT and env["pip"] == ["soundfile"]
    assert {".venv", ".cache", "data", "runs", "mlruns", "big/"} <= set(env["excludes"])
    assert env["env_vars"]["X"] == "1" and env["env_vars"]["HF_HUB_OFFLINE"] == "1"
    assert entrypoint(["train", "--config", "a b.yaml"], "/opt/py") == "/opt/py -m cluster.cli train --config 'a b.yaml'"
    with pytest.raises(ValueError, match="nothing to submit"):
        entrypoint([])


def test_submit_to_a_down_head_is_a_clear_error(capfd):
    from cluster.cli import main

    assert main(["submit", "--address", f"http://127.0.0.1:{free_port()}", "--", "eval", "--help"]) == 2
    assert "cannot reach the Ray job server" in capfd.readouterr().err


def test_submit_to_a_head_that_wants_a_token_says_how_to_send_one(monkeypatch, capfd):
    """A head started where ~/.ray/auth_token exists (any local Ray writes it) wants a token, and
    Ray's job client sends none unless RAY_AUTH_MODE=token: its 401 became "cannot reach the Ray job
    server ... is the head running?". Measured against a real head (2026-12-03): the message below,
    then SUCCEEDED with RAY_AUTH_MODE=token."""
    import ray.job_submission
    from ray.exceptions import AuthenticationError

    from cluster.cli import main

    def wants_a_token(address):
        raise AuthenticationError("Authentication required: Unauthorized: Missing authentication token\n\n...")

    monkeypatch.setattr(ray.job_submission, "JobSubmissionClient", wants_a_token)
    assert main(["submit", "--address", "http://127.0.0.1:8265", "--", "eval", "--help"]) == 2
    err = capfd.readouterr().err
    assert "wants a token (Authentication required: Unauthorized: Missing authentication token)" in err
    assert "RAY_AUTH_MODE=token" in err and "RAY_AUTH_MODE=disabled" in err and "cannot reach" not in err


def test_submit_waits_for_a_head_without_a_job_agent_yet():
    """A head just started refuses a job with "No available agent to submit job, please try again
    later" until its job agent registers: submit tries again for up to its wait, says so once, and
    past the wait stops with a clear error. Other refusals are not retried."""
    from cluster.jobs import submit_when_agent_ready
    from tools.errors import SetupError

    class Head:
        def __init__(self, refusals, message="Request failed with status code 500: No available agent to submit job, "
                                             "please try again later."):
            self.refusals, self.message, self.tries = refusals, message, 0

        def submit_job(self, **job):
            self.tries += 1
            if self.tries <= self.refusals:
                raise RuntimeError(self.message)
            return f"raysubmit_{job['entrypoint']}"

    said = []
    head = Head(refusals=2)
    assert submit_when_agent_ready(head, {"entrypoint": "x"}, wait_s=5, poll_s=0.01, echo=said.append) == "raysubmit_x"
    assert head.tries == 3 and len(said) == 1 and "no job agent yet" in said[0]
    with pytest.raises(SetupError, match="no job agent after 0 s"):
        submit_when_agent_ready(Head(refusals=10 ** 6), {"entrypoint": "x"}, wait_s=0.05, poll_s=0.01, echo=said.append)
    other = Head(refusals=1, message="Request failed with status code 400: bad runtime_env")
    with pytest.raises(RuntimeError, match="bad runtime_env"):
        submit_when_agent_ready(other, {"entrypoint": "x"}, wait_s=5, poll_s=0.01)
    assert other.tries == 1


def test_train_job_through_the_jobs_api(tmp_path):
    import mlflow

    from eval.probe import generate

    ray_tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: socket paths stay under 107 bytes
    # token auth must be the same for `ray start` and the job client (a leftover ~/.ray/auth_token
    # turns it on for the first only); the job's `python` is the one this venv puts first on PATH
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "PATH": BIN + os.pathsep + os.environ["PATH"]}
    dashboard = free_port()
    # the job agent on a free port too: at Ray's fixed default (52365) another Ray on the machine, or a
    # killed head's agent still running, holds it, and the head never gets a job agent
    subprocess.run([os.path.join(BIN, "ray"), "start", "--head", f"--port={free_port()}",
                    f"--dashboard-agent-listen-port={free_port()}",
                    "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
                    "--include-dashboard=true", f"--temp-dir={ray_tmp}", "--num-cpus=2", "--disable-usage-stats"],
                   env=env, check=True, capture_output=True, timeout=180)
    try:
        generate(str(tmp_path / "probe"), 20, seed=8, progress=False)
        db = f"sqlite:///{tmp_path}/mlruns/mlflow.db"
        cfg = {"tools": [{"name": "duration"}], "reasoner": {"backend": "smollm2", "threads": 1},
               "cache_dir": str(tmp_path / "cache"),
               "train": {"env": {"data": str(tmp_path / "probe"), "split": None, "max_calls": 1}, "iterations": 1,
                         "checkpoint_every": 1, "train_batch_size": 64, "minibatch_size": 32, "num_epochs": 1,
                         "hidden": [16], "tool_workers": 0},
               "eval": {"splits": ["all"], "systems": ["none"]},
               "mlflow": {"tracking_uri": db, "experiment": "job"}}
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
        proc = subprocess.run([os.path.join(BIN, "audiorouter"), "submit", "--address", f"http://127.0.0.1:{dashboard}",
                               "--python", sys.executable, "--", "train", "--config", str(tmp_path / "c.yaml"),
                               "--run-dir", str(tmp_path / "run"), "--quiet"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "SUCCEEDED" in proc.stdout and "| learned |" in proc.stdout  # the job's own output came back
        assert os.path.exists(tmp_path / "run" / "router.pt")
        client = mlflow.MlflowClient(tracking_uri=db)
        run = client.search_runs([client.get_experiment_by_name("job").experiment_id], max_results=1)[0]
        assert "reward_mean" in run.data.metrics and "all/accuracy/learned" in run.data.metrics
        assert json.load(open(tmp_path / "run" / "state.json"))["mlflow_run_id"] == run.info.run_id
    finally:
        kill_ray_under(ray_tmp)
