"""`audiorouter eval`: run systems on a dataset, write results.json + per-item Parquet, log to MLflow."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Sequence

from env.admission import BadItems, run_limits
from env.factory import EnvConfig, training_items
from env.items import DataConfig
from env.runtime import cached_reasoner, tool_executor
from eval.datasets import AUTO_SPLIT, AudioPaths, dataset_adapter, load_items, resolve_split, write_predictions
from eval.runner import EvalSettings, Evaluator, format_table, route_table, summarize, table_field, write_comparison_csv
from eval.systems import SYSTEMS, SkipSystem, build_system, system_labels
from tools.sections import build_section, option


@dataclass
class EvalConfig:
    """Config section `eval`: the systems compared and their settings (after `train`, in `demo`)."""

    splits: list[str] = option(["validation", "test"], "splits train evaluates on (after_train); `unused`: the "
                               "training split's items after train.env.max_items")
    systems: list[str] = option(["none", "all", "expert"], "fixed systems beside the learned router")
    fit_split: str = option("train", "split single-best picks its tools on")
    fit_items_per_task: int = option(10, "single-best: items per task used to pick the tool")
    random_max_tools: int = option(3, "random: at most this many tools per item")
    oracle_max_size: int = option(2, "oracle: largest tool subset tried")
    seed: int = option(0, "random's seed")
    after_train: bool = option(True, "evaluate the learned router when training ends")
    out: str = option("runs/demo", "demo without a train section: where its results go")


def eval_section(cfg: dict) -> EvalConfig:
    return build_section(EvalConfig, cfg.get("eval"), "eval")


UNUSED_SPLIT = "unused"


def split_items(cfg: dict, data: str, split: str | None, paths: AudioPaths) -> tuple[list, list]:
    """`load_items`, plus one split the config defines: `unused`, the items of `train.env.split`
    that training leaves out (those after the first `train.env.max_items` with an answer, as
    env/factory.make_env takes them). They are in distribution and the router never saw them:
    the demo trains on 200 of the probe's 330 training items, so `unused` adds 130 items to choose
    settings on beside the validation split's 117 (docs/RESULTS.md "the 130 training items")."""
    if split != UNUSED_SPLIT:
        return load_items(data, split=split, paths=paths)
    env = (cfg.get("train") or {}).get("env") or {}
    if not env.get("max_items"):
        raise ValueError(f"split {UNUSED_SPLIT!r} is the training items after train.env.max_items, and the "
                         "config sets no max_items: training uses every item of its split")
    train_split = env.get("split", EnvConfig.split)  # as make_env reads it
    items, rejected = load_items(data, split=train_split, paths=paths)
    used, unused = training_items(items, env["max_items"])
    if not unused:
        raise ValueError(f"split {UNUSED_SPLIT!r}: {data} has {len(used)} answered items in split "
                         f"{train_split!r}, none after the {env['max_items']} training uses")
    return unused, rejected


def build_evaluator(cfg: dict, progress: bool = True) -> Evaluator:
    executor, reasoner = tool_executor(cfg), cached_reasoner(cfg)
    e = eval_section(cfg)
    settings = EvalSettings(seed=e.seed, random_max_tools=e.random_max_tools, oracle_max_size=e.oracle_max_size,
                            fit_items_per_task=e.fit_items_per_task, progress=progress)
    return Evaluator(executor, reasoner, settings)


def run_benchmark(cfg: dict, data: str, systems: Sequence[str], out: str, split: str | None = AUTO_SPLIT,
                  fit_split: str = "train", evaluator: Evaluator | None = None, progress: bool = True,
                  labels: dict[str, str] | None = None) -> dict:
    """`labels` renames systems in the results (e.g. a run's own `learned:<path>` -> `learned`, so
    metric names line up across runs in MLflow). A system the data cannot support is skipped
    with its reason in `results["skipped"]`: the oracle where every answer is withheld,
    single-best where the file has no `fit_split` items to pick its tools on."""
    start = time.perf_counter()
    paths = AudioPaths.from_config(cfg)
    split = resolve_split(data, split)
    items, rejected = split_items(cfg, data, split, paths)
    evaluator = evaluator or build_evaluator(cfg, progress)
    adapter = evaluator.adapter = dataset_adapter(data, build_section(DataConfig, cfg.get("data"), "data").adapter)
    # a fresh tally per benchmark (train's evaluation reuses one evaluator across splits)
    evaluator.bad = bad = BadItems(run_limits(cfg)["max_bad_fraction"])
    evaluator.n_items_seen = len(items) + len(rejected)
    bad.add(rejected)
    bad.check(evaluator.n_items_seen)  # a mostly broken manifest stops before any model work
    items, bad_audio = evaluator.admit(items)
    bad.add(bad_audio)
    bad.check(evaluator.n_items_seen)
    results: dict = {"data": os.path.abspath(data), "split": split, "n_items": len(items),
                     "answers_withheld": bool(items) and all(i.answer is None for i in items),
                     "adapter": adapter.name, "reasoner": evaluator.reasoner.id, "tools": evaluator.tool_names, "systems": {}}
    skipped: dict[str, str] = {}
    built = {name: build_system(name) for name in systems}
    fit_items = None
    if any(system.uses_fit_items for system in built.values()):
        try:
            fit_items, _ = load_items(data, split=fit_split, paths=paths)  # bad fit items are skipped, not reported
            fit_items, _ = evaluator.admit([i for i in fit_items if i.answer is not None])
        except ValueError as exc:
            fit_items = []
            skipped.update({n: f"picks its tools on split {fit_split!r} (eval.fit_split): {exc}"
                            for n, s in built.items() if s.uses_fit_items})
    all_rows = []
    try:
        for name, system in built.items():
            if name in skipped:
                continue
            if system.needs_answers and results["answers_withheld"]:
                skipped[name] = "needs answers, and this file withholds them"
                continue
            try:
                system.prepare(evaluator, fit_items)
            except SkipSystem as exc:
                skipped[name] = str(exc)
                continue
            results.update(system.fitted())  # e.g. single-best's table: {"single_best": {task: tool}}
            rows = evaluator.run_system(system, items)
            label = (labels or {}).get(name, system.name)
            for row in rows:
                row["system"] = label
            results["systems"][label] = summarize(rows, adapter.breakdowns)
            all_rows += rows
    finally:
        evaluator.executor.cache.flush()
        evaluator.reasoner.cache.flush()
    results["skipped"] = skipped
    results["rejected"] = bad.rejected
    results["cache"] = {"tools": evaluator.executor.cache.stats(), "reasoner": evaluator.reasoner.cache.stats()}
    results["seconds"] = round(time.perf_counter() - start, 2)
    if all_rows:
        results["predictions"] = write_predictions(data, all_rows, os.path.splitext(out)[0] + ".predictions", adapter)
    write_outputs(results, all_rows, out)
    return results


def run_comparison(cfg: dict, data: str, systems: Sequence[str], out: str, split: str | None,
                   mlflow_run: str | None, progress: bool = True) -> dict:
    """`run_benchmark` with one learned router labelled `learned`, inside an MLflow parent run
    named `mlflow_run` (tag audiorouter.kind=comparison) with a child run per system, so MLflow's
    compare view lines the systems up (None: no MLflow)."""
    def run() -> dict:
        return run_benchmark(cfg, data, systems, out, split=split, fit_split=eval_section(cfg).fit_split,
                             progress=progress, labels=system_labels(systems))

    if mlflow_run is None:
        return run()
    from eval.tracking import log_eval, log_system_runs, mlflow_section, start_run

    ml = mlflow_section(cfg)
    with start_run(ml.tracking_uri, ml.experiment, mlflow_run, tags={"audiorouter.kind": "comparison"}):
        results = run()
        params = {"data": data, "split": split, "reasoner": results["reasoner"], "tools": ",".join(results["tools"])}
        log_eval(results, out, {**params, "systems": ",".join(systems)})
        log_system_runs(results, params)
    return results


def heatmap_systems(systems: Sequence[str]) -> list[str]:
    """The systems whose tool choices the usage heatmap shows: a learned router beside the oracle
    (which tools actually helped); without a learned router, every system that chooses per item.
    `systems` are result labels (a learned router's is `learned` or `learned:<folder>`)."""
    learned = [s for s in systems if s.startswith("learned")]
    if learned:
        return learned + [s for s in systems if s == "oracle"]
    return [s for s in systems if s not in SYSTEMS or SYSTEMS[s].per_item]


def write_outputs(results: dict, rows: list[dict], out: str) -> None:
    """results.json, <stem>.items.parquet (one row per system x item), <stem>.rejected.parquet
    (one row per rejected item: id, stage, reason), the comparison table as <stem>.md and
    <stem>.csv, the plots <stem>.accuracy_per_task.png and <stem>.tool_usage.png, and for a
    learned router what it did per family, <stem>.routes.md (eval/runner.py route_table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from eval import plots

    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    stem = os.path.splitext(out)[0]
    with open(out + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(out + ".tmp", out)
    if rows:
        pq.write_table(pa.Table.from_pylist(rows), stem + ".items.parquet")
    BadItems(rejected=results.get("rejected", [])).write_parquet(stem + ".rejected.parquet")
    with open(stem + ".md", "w") as f:
        f.write(format_table(results) + "\n")
    write_comparison_csv(results, stem + ".csv")
    if rows:
        field = table_field(results)
        if any(s["accuracy"] is not None for s in results["systems"].values()):  # none where answers are withheld
            plots.accuracy_per_task(results, stem + ".accuracy_per_task.png", field=field)
        shown = heatmap_systems(list(results["systems"]))
        if shown:
            plots.tool_usage_heatmap(rows, shown, results["tools"], stem + ".tool_usage.png", field=field)
        learned = [s for s in results["systems"] if s.startswith("learned")]
        if learned:
            with open(stem + ".routes.md", "w") as f:
                f.write("\n\n".join(f"### {s}\n\n{route_table(rows, s, field)}" for s in learned) + "\n")
