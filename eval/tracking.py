"""MLflow logging for evaluation runs (SQLite store: MLflow 3's ./mlruns file store is deprecated)."""
from __future__ import annotations

import os

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"


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
    `<prefix>tool_calls/<system>`, `<prefix>bad_items`, and the results.json, table, per-item
    and rejected-item Parquet files and the prediction files as artifacts.
    Call inside an active run; a prefix (e.g. `test/`) keeps several splits apart in one run."""
    import mlflow

    mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
    # bad_items: distinct items rejected (manifest, audio, or failed at run time; env/admission.py)
    metrics = {"n_items": results["n_items"], "n_rejected": len(results["rejected"]),
               "bad_items": len({r["id"] for r in results["rejected"]})}
    for system, s in results["systems"].items():
        if s["accuracy"] is None:
            continue
        metrics[f"accuracy/{system}"] = s["accuracy"]
        metrics[f"tool_calls/{system}"] = s["mean_tool_calls"]
        for task, acc in s["per_task"].items():
            if task:  # MMAR items have no task
                metrics[f"accuracy/{system}/{task}"] = acc
        for field in ("difficulty", "modality", "category"):  # MMAU: difficulty; MMAR: modality, category
            for value, acc in s.get(f"per_{field}", {}).items():
                if value:
                    metrics[f"accuracy_by_{field}/{system}/{value}"] = acc
        for stage, sec in s["seconds_per_item"].items():
            metrics[f"seconds_{stage}/{system}"] = sec
    mlflow.log_metrics({prefix + k: v for k, v in metrics.items()})
    stem = os.path.splitext(out)[0]
    for path in (out, stem + ".md", stem + ".items.parquet", stem + ".rejected.parquet"):
        if os.path.exists(path):
            mlflow.log_artifact(path)
    if os.path.isdir(stem + ".predictions"):  # per system, in the official evaluation.py's form
        mlflow.log_artifacts(stem + ".predictions", artifact_path=os.path.basename(stem) + ".predictions")
