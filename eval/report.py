"""`audiorouter report --experiment NAME`: the latest study of an MLflow experiment as a
Markdown and an HTML page with its tables and plots.

A study is a top-level run (no parent): a sweep, a comparison (`audiorouter eval`) or a training
run. The report shows, read back through MLflow's client API (so it works for any tracking
server, not only a local folder):

- the study's params and its scalar metrics (names without `/`: reward_mean, learned_mean, ...);
- every Markdown table it logged (comparison tables, the sweep table), as logged;
- every PNG it logged (data-efficiency curve, accuracy per task, tool usage, learning curves);
- a table of its child runs (systems, or sweep trials): the params that differ between them and
  their headline metrics (accuracy, tool calls, reward);
- the plots of the best child (highest accuracy), e.g. the best trial's learning curves and
  tool-usage heatmap.

Artifacts are downloaded next to the report, so report.md / report.html open offline.
"""
from __future__ import annotations

import html
import os
import re
import time
from typing import Sequence

# child metrics the children table shows: accuracy and tool calls (per system or of the learned
# router on a split) and the training reward
HEADLINE = re.compile(r"^(?:[^/]+/)?(?:accuracy|tool_calls)(?:/learned)?$|^reward_mean$")

PAGE = 500  # runs per search page when looking for the latest top-level run
Block = tuple  # ("h1"|"h2"|"p", text) | ("table", header, rows) | ("img", relative path, caption)


def latest_study(client, experiment: str, run_id: str | None = None):
    """The run `run_id`, or the most recently started top-level run of `experiment`."""
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        names = sorted(e.name for e in client.search_experiments(max_results=100))
        raise ValueError(f"no MLflow experiment {experiment!r} at this tracking URI; experiments: {names}")
    if run_id:
        return client.get_run(run_id)
    token = None
    while True:  # newest first, page by page: a big sweep's children may fill the first pages
        page = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=PAGE,
                                  page_token=token)
        top = next((r for r in page if "mlflow.parentRunId" not in r.data.tags), None)
        if top is not None:
            return top
        token = page.token
        if not token:
            raise ValueError(f"experiment {experiment!r} has no top-level runs yet")


def children_of(client, run) -> list:
    return client.search_runs([run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'",
                              order_by=["attributes.start_time ASC"], max_results=1000)


def artifact_paths(client, run_id: str, folder: str = "") -> list[str]:
    """Every artifact file of a run (recursively)."""
    out = []
    for entry in client.list_artifacts(run_id, folder or None):
        out += artifact_paths(client, run_id, entry.path) if entry.is_dir else [entry.path]
    return out


def markdown_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """The pipe tables in a Markdown text as (header, rows), separator rows dropped."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.strip().startswith("|"):
            current.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif current:
            rows = [r for r in current[1:] if not all(re.fullmatch(r":?-+:?", c) for c in r)]
            tables.append((current[0], rows))
            current = []
    return tables


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def children_table(children: Sequence) -> tuple[list[str], list[list[str]]] | None:
    """Run name, the params that differ between the children, their common headline metrics."""
    if not children:
        return None
    keys = sorted({k for c in children for k in c.data.params})
    varying = [k for k in keys if len({c.data.params.get(k) for c in children}) > 1]
    common = set.intersection(*(set(c.data.metrics) for c in children))
    metrics = sorted(k for k in common if HEADLINE.match(k))
    rows = [[c.info.run_name, *[c.data.params.get(k, "") for k in varying], *[_fmt(c.data.metrics[m]) for m in metrics]]
            for c in children]
    return ["run", *varying, *metrics], rows


def best_child(children: Sequence):
    """The child with the highest accuracy metric (a sweep's best trial), if any has artifacts."""
    def accuracy(c) -> float:
        values = [v for k, v in c.data.metrics.items() if re.match(r"^(?:[^/]+/)?accuracy(?:/learned)?$", k)]
        return max(values, default=float("-inf"))

    scored = [c for c in children if accuracy(c) > float("-inf")]
    return max(scored, key=accuracy) if scored else None


def run_blocks(client, run, out_dir: str, heading: str) -> list[Block]:
    """A run's Markdown tables and PNG plots, downloaded under out_dir/files/<run id>/."""
    blocks: list[Block] = []
    files = sorted(artifact_paths(client, run.info.run_id))
    local = os.path.join(out_dir, "files", run.info.run_id)
    tables = [p for p in files if p.endswith(".md") and "/" not in p]
    images = [p for p in files if p.endswith(".png")]
    if not tables and not images:
        return blocks
    blocks.append(("h2", heading))
    for path in tables + images:
        os.makedirs(os.path.dirname(os.path.join(local, path)), exist_ok=True)
        client.download_artifacts(run.info.run_id, path, os.path.dirname(os.path.join(local, path)))
    for path in tables:
        with open(os.path.join(local, path)) as f:
            for header, rows in markdown_tables(f.read()):
                blocks += [("p", f"`{path}`"), ("table", header, rows)]
    for path in images:
        blocks.append(("img", os.path.relpath(os.path.join(local, path), out_dir), path))
    return blocks


def build_blocks(client, run, out_dir: str) -> list[Block]:
    kind = run.data.tags.get("audiorouter.kind", "run")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(run.info.start_time / 1000))
    minutes = f", {(run.info.end_time - run.info.start_time) / 60000:.1f} min" if run.info.end_time else ""
    blocks: list[Block] = [
        ("h1", f"{run.info.run_name} ({kind})"),
        ("p", f"Run `{run.info.run_id}`, {run.info.status.lower()}, started {started}{minutes}."),
    ]
    if run.data.params:
        blocks += [("h2", "Params"), ("table", ["param", "value"], [[k, v] for k, v in sorted(run.data.params.items())])]
    scalars = sorted((k, v) for k, v in run.data.metrics.items() if "/" not in k)
    if scalars:
        blocks += [("h2", "Metrics (last value)"), ("table", ["metric", "value"], [[k, _fmt(v)] for k, v in scalars])]
    blocks += run_blocks(client, run, out_dir, "Tables and plots")
    children = children_of(client, run)
    table = children_table(children)
    if table:
        blocks += [("h2", f"Child runs ({len(children)})"), ("table", *table)]
        best = best_child(children)
        if best is not None:
            blocks += run_blocks(client, best, out_dir, f"Best child run: {best.info.run_name}")
    return blocks


def to_markdown(blocks: Sequence[Block]) -> str:
    out = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2"):
            out.append(("#" if kind == "h1" else "##") + " " + rest[0])
        elif kind == "p":
            out.append(rest[0])
        elif kind == "table":
            header, rows = rest
            out.append("\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] +
                                 ["| " + " | ".join(map(str, r)) + " |" for r in rows]))
        elif kind == "img":
            out.append(f"![{rest[1]}]({rest[0]})")
    return "\n\n".join(out) + "\n"


def to_html(blocks: Sequence[Block], title: str) -> str:
    def inline(text: str) -> str:  # `code` spans, the only Markdown the blocks' text uses
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
           "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
           "font-size:13px}th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee;margin:.5em 0}"
           "</style></head><body>"]
    for kind, *rest in blocks:
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{inline(rest[0])}</{kind}>")
        elif kind == "table":
            header, rows = rest
            out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>" +
                       "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
                       + "</table>")
        elif kind == "img":
            out.append(f"<figure><img src='{html.escape(rest[0])}' alt='{html.escape(rest[1])}'>"
                       f"<figcaption>{html.escape(rest[1])}</figcaption></figure>")
    return "\n".join(out + ["</body></html>"]) + "\n"


def write_report(tracking_uri: str, experiment: str, out_dir: str, run_id: str | None = None) -> dict:
    """report.md and report.html of the latest study (or `run_id`) under `out_dir`."""
    import mlflow

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one bar per file: noise
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    run = latest_study(client, experiment, run_id)
    os.makedirs(out_dir, exist_ok=True)
    blocks = build_blocks(client, run, out_dir)
    paths = {"md": os.path.join(out_dir, "report.md"), "html": os.path.join(out_dir, "report.html")}
    with open(paths["md"], "w") as f:
        f.write(to_markdown(blocks))
    with open(paths["html"], "w") as f:
        f.write(to_html(blocks, f"{experiment}: {run.info.run_name}"))
    return {**paths, "run_id": run.info.run_id, "images": [b[2] for b in blocks if b[0] == "img"]}
