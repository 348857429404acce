"""What a training run needs to survive a crash: `run_dir/state.json`, `run_dir/config.yaml`,
versioned checkpoints, and MLflow metrics that are neither lost nor logged twice.

The contract (`audiorouter train --resume RUN_DIR` relies on it):
- an iteration's metrics reach MLflow only once its checkpoint is on disk, so a resumed run,
  which repeats the iterations after the last checkpoint, never leaves the lost iterations'
  numbers behind in the history;
- a checkpoint is written to `checkpoints/iter-NNNNNN`, then `state.json` names it together with
  the metrics still to log (one atomic rename), then the metrics are logged, then the state is
  written again without them and older checkpoints are removed. A crash at any point leaves a
  state that names a complete checkpoint; metrics it still lists are logged on resume, skipping
  any (key, step) MLflow already holds.
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Any

import yaml

STATE, CONFIG, CHECKPOINTS = "state.json", "config.yaml", "checkpoints"


class RunState:
    def __init__(self, run_dir: str):
        self.run_dir = os.path.abspath(run_dir)
        self.path = os.path.join(self.run_dir, STATE)
        self.data: dict[str, Any] = {"iterations_done": 0, "checkpoint": None, "pending_metrics": []}

    # -- files ---------------------------------------------------------------------------------
    @classmethod
    def load(cls, run_dir: str) -> "RunState":
        """The state of an earlier run, or a clear error if `run_dir` holds none to resume."""
        state = cls(run_dir)
        if not os.path.exists(state.path):
            raise FileNotFoundError(f"{run_dir}: no {STATE}, so nothing to resume (start it with "
                                    "`audiorouter train --config ... --run-dir DIR`)")
        with open(state.path, encoding="utf-8") as f:
            state.data.update(json.load(f))
        if not state.data.get("checkpoint"):
            raise ValueError(f"{run_dir}: the run crashed before its first checkpoint; start it again")
        return state

    def save(self, **changes: Any) -> None:
        self.data.update(changes)
        os.makedirs(self.run_dir, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.data, f, indent=1)
        os.replace(tmp, self.path)

    def save_config(self, cfg: dict) -> None:
        with open(os.path.join(self.run_dir, CONFIG), "w", encoding="utf-8") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)

    def load_config(self) -> dict:
        with open(os.path.join(self.run_dir, CONFIG), encoding="utf-8") as f:
            return yaml.safe_load(f)

    # -- checkpoints and metrics ---------------------------------------------------------------
    def checkpoint_path(self, iterations_done: int) -> str:
        return os.path.join(self.run_dir, CHECKPOINTS, f"iter-{iterations_done:06d}")

    def commit(self, iterations_done: int, checkpoint: str, metrics: list[tuple[int, dict]]) -> None:
        """After `checkpoint` is fully written: record it with the metrics of the iterations it
        covers, log those, then forget them and drop older checkpoints."""
        self.save(iterations_done=iterations_done, checkpoint=checkpoint,
                  pending_metrics=[[step, m] for step, m in metrics])
        self.log_pending()
        for name in os.listdir(os.path.join(self.run_dir, CHECKPOINTS)):
            old = os.path.join(self.run_dir, CHECKPOINTS, name)
            if old != checkpoint:
                shutil.rmtree(old, ignore_errors=True)

    def log_pending(self) -> None:
        """Log the metrics the state still lists, skipping (key, step) pairs MLflow already has
        (a crash between logging and forgetting them), then forget them."""
        import mlflow

        pending = self.data.get("pending_metrics") or []
        if pending:
            client = mlflow.MlflowClient()
            run_id = self.data["mlflow_run_id"]
            logged: dict[str, set[int]] = {}
            for step, metrics in pending:
                fresh = {}
                for key, value in metrics.items():
                    if key not in logged:
                        logged[key] = {m.step for m in client.get_metric_history(run_id, key)}
                    if int(step) not in logged[key]:
                        fresh[key] = value
                if fresh:
                    mlflow.log_metrics(fresh, step=int(step))
        self.save(pending_metrics=[])
