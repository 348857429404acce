"""Submitting `audiorouter` commands to a Ray cluster as Ray jobs (what `ray job submit` does),
with a runtime_env that works from a clean cluster.

    audiorouter submit --address http://HEAD:8265 -- train --config configs/demo.yaml

The job runs `python -m cluster.cli <args>` in a copy of this repository (the working_dir
upload, minus the excludes below), with the env vars below; `cluster.runtime_env` in the config
adds to or replaces them (e.g. `pip: requirements.txt` or `conda: environment.yml` on a cluster
whose Python lacks the packages). Relative paths in the config resolve inside the job's copy,
so data, caches and MLflow should be absolute paths or URIs every node can reach.
"""
from __future__ import annotations

import os
import shlex
import time
from dataclasses import dataclass
from typing import Sequence

from tools.sections import option
from tools.errors import SetupError

# never uploaded: environments, caches, generated data, local runs and MLflow stores
EXCLUDES = [".git", ".venv", ".cache", "data", "runs", "mlruns", "*.egg-info", "__pycache__", ".pytest_cache",
            "build", ".hypothesis"]
ENV_VARS = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "NUMBA_CACHE_DIR": "/tmp/audiorouter-numba"}
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")
# a head that has just started answers "No available agent to submit job, please try again later"
# until its node's job agent registers: seconds, longer on a loaded machine (a `make test` run next
# to a training run waited past the first try)
AGENT_WAIT_S = 120.0


@dataclass
class ClusterConfig:
    """Config section `cluster`."""

    runtime_env: dict = option({}, "Ray runtime_env keys merged over the job's defaults (pip, conda, env_vars, ...)")


def runtime_env(cfg: dict, working_dir: str = ".") -> dict:
    """The job's runtime_env: this repo as working_dir with EXCLUDES, ENV_VARS, and the config's
    `cluster.runtime_env` merged over them (lists and dicts extend, other keys replace)."""
    env = {"working_dir": os.path.abspath(working_dir), "excludes": list(EXCLUDES), "env_vars": dict(ENV_VARS)}
    extra = (cfg.get("cluster") or {}).get("runtime_env") or {}
    if not isinstance(extra, dict):
        raise ValueError("cluster.runtime_env must be a mapping (Ray's runtime_env keys)")
    for key, value in extra.items():
        if key == "excludes":
            env["excludes"] += list(value)
        elif key == "env_vars":
            env["env_vars"].update({k: str(v) for k, v in value.items()})
        else:
            env[key] = value
    return env


def entrypoint(args: Sequence[str], python: str = "python") -> str:
    """`python -m cluster.cli ARGS`, quoted for the shell the job runs in. `python` is looked up on
    the PATH of the shell that ran `ray start` on the head: give a full path to be sure."""
    if not args:
        raise ValueError("nothing to submit: give the audiorouter command after --, e.g. -- train --config c.yaml")
    return " ".join(shlex.quote(a) for a in [python, "-m", "cluster.cli", *args])


def submit(address: str, args: Sequence[str], env: dict, python: str = "python", wait: bool = True,
           timeout_s: float = 3600, poll_s: float = 2.0, echo=print) -> tuple[str, str]:
    """Submit the job; with `wait`, follow it to the end and echo its logs. (job id, status)."""
    from ray.exceptions import AuthenticationError
    from ray.job_submission import JobSubmissionClient

    try:
        client = JobSubmissionClient(address)
    except AuthenticationError as exc:  # 401 (no token sent) or 403 (a wrong one)
        said = str(exc).splitlines()[0]
        raise SetupError(f"the Ray job server at {address} wants a token ({said}). Ray's job client sends one only "
                         "with RAY_AUTH_MODE=token (from ~/.ray/auth_token or RAY_AUTH_TOKEN), while `ray start` "
                         "turns token auth on wherever ~/.ray/auth_token exists, and any local Ray (`make demo` "
                         "too) writes that file. Submit with RAY_AUTH_MODE=token and the cluster's token, or start "
                         "the head with RAY_AUTH_MODE=disabled.") from exc
    except Exception as exc:  # ConnectionError, or a ValueError on a malformed address
        raise SetupError(f"cannot reach the Ray job server at {address} ({exc}); is the head running "
                         "with its dashboard (`ray start --head --dashboard-host 127.0.0.1`)?") from exc
    job_id = submit_when_agent_ready(client, {"entrypoint": entrypoint(args, python), "runtime_env": env},
                                     echo=echo)
    echo(f"submitted {job_id} to {address}")

    def status() -> str:
        return str(client.get_job_status(job_id)).split(".")[-1]  # JobStatus.SUCCEEDED -> SUCCEEDED

    if not wait:
        return job_id, status()
    deadline = time.time() + timeout_s
    now = status()
    while now not in TERMINAL and time.time() < deadline:
        time.sleep(poll_s)
        now = status()
    echo(client.get_job_logs(job_id))
    echo(f"job {job_id}: {now}")
    return job_id, now


def submit_when_agent_ready(client, job: dict, wait_s: float = AGENT_WAIT_S, poll_s: float = 2.0, echo=print) -> str:
    """`client.submit_job(**job)`, tried again while the head has no job agent yet (AGENT_WAIT_S);
    a SetupError if it has none by then. Any other refusal is raised as it came."""
    deadline = time.time() + wait_s
    waited = False
    while True:
        try:
            return client.submit_job(**job)
        except RuntimeError as exc:
            if "No available agent" not in str(exc):
                raise
            if time.time() >= deadline:
                raise SetupError(f"the Ray head has no job agent after {wait_s:.0f} s ({exc}); is its node "
                                 "overloaded, or was it started without the dashboard?") from exc
            if not waited:
                echo("the Ray head has no job agent yet (it has just started?): trying again")
                waited = True
            time.sleep(poll_s)
