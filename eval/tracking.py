"""MLflow logging for evaluation runs (SQLite store: MLflow 3's ./mlruns file store is deprecated)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from tools.sections import build_section, option

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"


@dataclass
class MlflowConfig:
    """Config section `mlflow`."""

    tracking_uri: str = option(DEFAULT_TRACKING_URI, "MLflow store (SQLite, or an http:// server)")
    experiment: str = option("audiorouter", "MLflow experiment the runs go to")


def mlflow_section(cfg: dict) -> MlflowConfig:
    return build_section(MlflowConfig, cfg.get("mlflow"), "mlflow")


def start_run(tracking_uri: str | None, experiment: str, run_name: str, run_id: str | None = None,
              parent_run_id: str | None = None, tags: dict | None = None):
    """An MLflow run in `experiment` (created if new), or the existing run `run_id` continued; with
    `parent_run_id`, a child run nested under it in the UI (from any process: a tag, not a stack)."""
    import mlflow

    uri = tracking_uri or DEFAULT_TRACKING_URI
    if uri.startswith("sqlite:///"):
        db_path = uri[len("sqlite:///"):]
        os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
        artifacts = os.path.join(os.path.dirname(os.path.abspath(db_path)), "artifacts")
    else:
        artifacts = None
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        mlflow.create_experiment(experiment, artifact_location=artifacts and f"file://{artifacts}")
    mlflow.set_experiment(experiment)
    if run_id:
        return mlflow.start_run(run_id=run_id)
    tags = dict(tags or {})
    if parent_run_id:
        tags["mlflow.parentRunId"] = parent_run_id
    # in the parent's own process (a sequential sweep) MLflow wants nested=True as well
    return mlflow.start_run(run_name=run_name, tags=tags or None, nested=mlflow.active_run() is not None)


def log_eval(results: dict, out: str, params: dict, prefix: str = "") -> None:
    """Params, metrics named `<prefix>accuracy/<system>`, `<prefix>accuracy/<system>/<task>`,
    `<prefix>accuracy_by_<difficulty|modality|category>/<system>/<value>`,
    `<prefix>tool_calls/<system>`, `<prefix>bad_items`, and as artifacts the results.json, the
    comparison table (Markdown, CSV), per-item and rejected-item Parquet files, the plots
    (accuracy per task, tool usage) and the prediction files.
    Call inside an active run; a prefix (e.g. `test/`) keeps several splits apart in one run."""
    import mlflow

    mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
    # bad_items: distinct items rejected (manifest, audio, or failed at run time; env/admission.py)
    metrics = {"n_items": results["n_items"], "n_rejected": len(results["rejected"]),
               "bad_items": len({r["id"] for r in results["rejected"]})}
    for system, s in results["systems"].items():
        for key, value in system_metrics(s).items():  # the system after the metric's first segment
            head, _, rest = key.partition("/")
            metrics[f"{head}/{system}/{rest}" if rest else f"{head}/{system}"] = value
    mlflow.log_metrics({prefix + k: v for k, v in metrics.items()})
    stem = os.path.splitext(out)[0]
    for path in (out, stem + ".md", stem + ".csv", stem + ".items.parquet", stem + ".rejected.parquet",
                 stem + ".accuracy_per_task.png", stem + ".tool_usage.png"):
        if os.path.exists(path):
            mlflow.log_artifact(path)
    if os.path.isdir(stem + ".predictions"):  # per system, in the official evaluation.py's form
        mlflow.log_artifacts(stem + ".predictions", artifact_path=os.path.basename(stem) + ".predictions")


_METRIC_UNSAFE = re.compile(r"[^\w\-. /]")


def system_metrics(summary: dict) -> dict[str, float]:
    """One system's summary (eval/runner.summarize) as metrics: `accuracy`, `accuracy/<task>`,
    `accuracy_by_<difficulty|modality|category>/<value>`, `tool_calls`, `seconds_<stage>`."""
    if summary["accuracy"] is None:
        return {}
    metrics = {"accuracy": summary["accuracy"], "tool_calls": summary["mean_tool_calls"]}
    for task, acc in summary["per_task"].items():
        if task:  # MMAR items have no task
            metrics[f"accuracy/{task}"] = acc
    for key in summary:  # the dataset adapter's breakdowns (MMAU: difficulty; MMAR: modality, category)
        if not key.startswith("per_") or key == "per_task":
            continue
        field = key[4:]
        for value, acc in summary[key].items():
            if value:  # MLflow names take letters, digits, _ - . / and spaces ("sine beeps + music")
                metrics[f"accuracy_by_{field}/" + _METRIC_UNSAFE.sub("_", value)] = acc
    for stage, sec in summary["seconds_per_item"].items():
        metrics[f"seconds_{stage}"] = sec
    return metrics


def log_system_runs(results: dict, params: dict) -> list[str]:
    """A child run per system under the active run (a comparison): param `system` and the same
    metric names in every child (`accuracy`, `accuracy/<task>`, `tool_calls`, ...), so MLflow's
    compare view of the children lines the systems up metric by metric. Returns the run ids."""
    import mlflow

    parent = mlflow.active_run()
    ids = []
    for system, summary in results["systems"].items():
        with mlflow.start_run(run_name=system, nested=True,
                              tags={"mlflow.parentRunId": parent.info.run_id, "audiorouter.kind": "system"}) as run:
            mlflow.log_params({k: str(v)[:500] for k, v in {**params, "system": system}.items()})
            mlflow.log_metrics(system_metrics(summary))
            ids.append(run.info.run_id)
    return ids
