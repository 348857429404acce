"""`audiorouter sweep`: the data-efficiency curve. A router is trained per (training-set size,
seed) and evaluated on the same test split; the fixed systems (no tools, all tools, expert,
oracle, ...) are evaluated once on that split, since they do not train.

MLflow: one parent run per sweep (params `sweep.train_sizes`, `sweep.seeds`; metrics
`learned_mean` and `learned_std` with step = training-set size, so the MLflow chart of either
metric *is* the curve; `baseline/<system>`; artifacts `sweep.csv`, `sweep.md`,
`data_efficiency.png`) and one child run per trial (params `sweep.train_size`, `sweep.seed` and
the usual train params; metrics as `train` logs them, `<split>/accuracy/learned` among them).

Trials run one after another in this process, or with `sweep.concurrent: N` as N Ray tasks at
a time (`sweep.cpus_per_trial` CPUs each), as far as the cluster's resources allow.
"""
from __future__ import annotations

import copy
import os
import statistics
import time
from dataclasses import dataclass
from typing import Sequence

from tqdm import tqdm

from tools.sections import build_section, option


@dataclass
class SweepConfig:
    """Config section `sweep` (`audiorouter sweep`)."""

    split: str = option("test", "split every trial's router and the fixed systems are scored on")
    systems: list[str] = option(["none", "all", "expert", "oracle"], "fixed systems scored once beside the curve")
    concurrent: int = option(1, "trials run at a time as Ray tasks (1: one after another, in this process)")
    cpus_per_trial: float = option(2.0, "CPUs a concurrent trial reserves")


def trial_config(cfg: dict, size: int, seed: int, split: str, out_dir: str) -> tuple[dict, str]:
    """The config of one trial: the first `size` training items, `seed`, the learned router alone
    evaluated on `split` (the fixed systems are scored once for the whole sweep)."""
    c = copy.deepcopy(cfg)
    t = c.setdefault("train", {})
    t.setdefault("env", {})["max_items"] = int(size)
    t["seed"] = int(seed)
    if not c.get("pools"):
        t["tool_workers"] = 0  # the sweep filled the tool cache once; a trial only reads it
    c["eval"] = {**c.get("eval", {}), "splits": [split], "systems": [], "after_train": True}
    return c, os.path.join(out_dir, f"size{size}-seed{seed}")


def run_trial(cfg: dict, size: int, seed: int, split: str, out_dir: str, parent_run_id: str) -> dict:
    """Train and evaluate one trial; {size, seed, accuracy, tool_calls, seconds, run_id}."""
    from cluster.train import train

    start = time.perf_counter()
    c, run_dir = trial_config(cfg, size, seed, split, out_dir)
    summary = train(c, run_dir, progress=False, parent_run_id=parent_run_id, run_name=f"size{size}-seed{seed}")
    learned = summary["results"][split]["systems"]["learned"]
    return {"size": int(size), "seed": int(seed), "accuracy": learned["accuracy"],
            "tool_calls": learned["mean_tool_calls"], "seconds": round(time.perf_counter() - start, 1),
            "run_id": summary["mlflow_run_id"]}


def curve(trials: Sequence[dict]) -> list[dict]:
    """Per size: mean, standard deviation (0 for one seed), min and max accuracy over seeds."""
    out = []
    for size in sorted({t["size"] for t in trials}):
        acc = [t["accuracy"] for t in trials if t["size"] == size]
        out.append({"size": size, "mean": statistics.fmean(acc), "std": statistics.pstdev(acc) if len(acc) > 1 else 0.0,
                    "min": min(acc), "max": max(acc), "seeds": len(acc)})
    return out


def write_tables(trials: Sequence[dict], points: Sequence[dict], baselines: dict[str, float], out_dir: str) -> dict:
    import csv

    csv_path, md_path = os.path.join(out_dir, "sweep.csv"), os.path.join(out_dir, "sweep.md")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["size", "seed", "accuracy", "tool_calls", "seconds", "run_id"])
        writer.writeheader()
        writer.writerows(sorted(trials, key=lambda t: (t["size"], t["seed"])))
    lines = ["| training items | seeds | learned mean | std | min | max |", "|---|---|---|---|---|---|"]
    lines += [f"| {p['size']} | {p['seeds']} | {100 * p['mean']:.1f} | {100 * p['std']:.1f} | {100 * p['min']:.1f} | "
              f"{100 * p['max']:.1f} |" for p in points]
    lines += ["", "| fixed system | accuracy |", "|---|---|"]
    lines += [f"| {name} | {100 * acc:.1f} |" for name, acc in baselines.items()]
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return {"csv": csv_path, "md": md_path}


def sweep(cfg: dict, sizes: Sequence[int], seeds: int, out_dir: str, progress: bool = True, echo=print) -> dict:
    import mlflow
    import ray

    from cluster.pools import init_ray
    from eval.benchmark import run_benchmark
    from eval.plots import data_efficiency
    from eval.tracking import log_eval, mlflow_section, start_run

    if not sizes or min(sizes) < 1 or seeds < 1:
        raise ValueError("sweep needs training sizes >= 1 and at least one seed")
    s = build_section(SweepConfig, cfg.get("sweep"), "sweep")
    split, systems, concurrent, cpus = s.split, list(s.systems), s.concurrent, s.cpus_per_trial
    data = cfg["train"]["env"]["data"]
    os.makedirs(out_dir, exist_ok=True)
    init_ray()
    ml = mlflow_section(cfg)
    grid = [(size, seed) for size in sizes for seed in range(seeds)]
    with start_run(ml.tracking_uri, ml.experiment, "sweep",
                   tags={"audiorouter.kind": "sweep"}) as parent:
        mlflow.log_params({"sweep.train_sizes": ",".join(map(str, sizes)), "sweep.seeds": seeds,
                           "sweep.split": split, "sweep.data": data, "sweep.concurrent": concurrent})
        # the fixed systems do not train: scored once, in the parent run
        fixed_out = os.path.join(out_dir, f"baselines.{split}.json")
        fixed = run_benchmark(cfg, data, systems, fixed_out, split=split, progress=progress)
        log_eval(fixed, fixed_out, {}, prefix=f"{split}/")
        baselines = {name: r["accuracy"] for name, r in fixed["systems"].items()}
        mlflow.log_metrics({f"baseline/{name}": acc for name, acc in baselines.items()})
        trials = []
        bar = tqdm(total=len(grid), desc="sweep", unit="run", disable=not progress)

        def done(result: dict) -> None:
            trials.append(result)
            bar.update(1)
            echo(f"size {result['size']:>4} seed {result['seed']}: learned {100 * result['accuracy']:.1f}% "
                 f"({result['tool_calls']:.2f} calls/item) in {result['seconds']:.0f}s")

        if concurrent <= 1:
            for size, seed in grid:
                done(run_trial(cfg, size, seed, split, out_dir, parent.info.run_id))
        else:
            remote = ray.remote(num_cpus=cpus)(run_trial)
            todo, running = list(grid), []
            while todo or running:
                while todo and len(running) < concurrent:
                    size, seed = todo.pop(0)
                    running.append(remote.remote(cfg, size, seed, split, out_dir, parent.info.run_id))
                ready, running = ray.wait(running, num_returns=1)
                done(ray.get(ready[0]))
        bar.close()
        points = curve(trials)
        for p in points:  # step = training items: MLflow's chart of learned_mean is the curve
            mlflow.log_metrics({"learned_mean": p["mean"], "learned_std": p["std"]}, step=p["size"])
        files = write_tables(trials, points, baselines, out_dir)
        files["plot"] = data_efficiency(points, baselines, os.path.join(out_dir, "data_efficiency.png"),
                             f"Data efficiency on the {split} split ({seeds} seed{'s' if seeds > 1 else ''})")
        for path in files.values():
            mlflow.log_artifact(path)
        return {"trials": trials, "curve": points, "baselines": baselines, "files": files,
                "mlflow_run_id": parent.info.run_id}
