"""Compare rewards (or any setting) across `audiorouter sweep` runs: accuracy, tool calls per item
and iterations to plateau, per sweep folder, mean over its seeds.

    for r in relative relative_prob outcome; do
      audiorouter sweep --train-sizes 200 --seeds 3 --set train.env.reward=$r \
          --set 'sweep.systems=[none,expert]' --out runs/reward_study/$r
    done
    python benchmarks/reward_study.py runs/reward_study/* --out docs/results/reward_study.json

Iterations to plateau: the first PPO iteration whose training accuracy, averaged over it and the
two before, comes within `--tolerance` (0.02) of the mean of the last five iterations (read from
each trial's MLflow run: the metric `accuracy`, one value per iteration). The table's learned
accuracy and calls are on the sweep's split (the test split by default), greedy, from sweep.csv.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
from typing import Sequence


def plateau_iteration(values: Sequence[float], tolerance: float = 0.02, window: int = 3, tail: int = 5) -> int:
    """The first iteration (1-based) whose `window`-iteration running mean reaches the mean of the
    last `tail` iterations minus `tolerance`."""
    if not values:
        raise ValueError("no iterations")
    target = statistics.fmean(values[-tail:]) - tolerance
    for i in range(len(values)):
        if statistics.fmean(values[max(0, i - window + 1): i + 1]) >= target:
            return i + 1
    return len(values)


def training_accuracy(tracking_uri: str, run_id: str) -> list[float]:
    from mlflow.tracking import MlflowClient

    history = MlflowClient(tracking_uri).get_metric_history(run_id, "accuracy")
    return [m.value for m in sorted(history, key=lambda m: m.step)]


def study(folders: Sequence[str], tracking_uri: str, tolerance: float) -> list[dict]:
    rows = []
    for folder in folders:
        with open(os.path.join(folder, "sweep.csv")) as f:
            trials = list(csv.DictReader(f))
        if not trials:
            raise ValueError(f"{folder}/sweep.csv has no trials")
        plateaus = [plateau_iteration(training_accuracy(tracking_uri, t["run_id"]), tolerance) for t in trials]
        accuracy = [float(t["accuracy"]) for t in trials]
        calls = [float(t["tool_calls"]) for t in trials]
        rows.append({"setting": os.path.basename(os.path.normpath(folder)), "seeds": len(trials),
                     "accuracy_mean": statistics.fmean(accuracy),
                     "accuracy_std": statistics.pstdev(accuracy) if len(accuracy) > 1 else 0.0,
                     "accuracy_per_seed": accuracy, "calls_mean": statistics.fmean(calls), "calls_per_seed": calls,
                     "plateau_mean": statistics.fmean(plateaus), "plateau_per_seed": plateaus})
    return rows


def markdown(rows: Sequence[dict]) -> str:
    lines = ["| setting | seeds | learned accuracy (mean +- std) | per seed | calls/item | iterations to plateau |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['setting']} | {r['seeds']} | {100 * r['accuracy_mean']:.1f} +- {100 * r['accuracy_std']:.1f} | "
                     f"{' / '.join(f'{100 * a:.1f}' for a in r['accuracy_per_seed'])} | {r['calls_mean']:.2f} | "
                     f"{r['plateau_mean']:.1f} ({' / '.join(map(str, r['plateau_per_seed']))}) |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="sweep output folders (each with sweep.csv)")
    parser.add_argument("--tracking-uri", default="sqlite:///mlruns/mlflow.db")
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--out", help="write the rows as JSON here too")
    args = parser.parse_args(argv)
    rows = study(args.folders, args.tracking_uri, args.tolerance)
    print(markdown(rows))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
