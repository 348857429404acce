"""The PNG plots a study's MLflow runs carry (and `audiorouter report` shows):

- `accuracy_per_task`: accuracy per task (or MMAR modality) per system, one bar group per task;
- `tool_usage_heatmap`: task x tool, the share of a task's items on which a system called the
  tool (for the learned router: what it learned to call, where);
- `learning_curves`: a training run's per-iteration metrics (reward, accuracy with and without
  tools, tool calls, entropy) against PPO iterations;
- `data_efficiency`: a sweep's accuracy vs training items, with the fixed systems as lines.

Matplotlib's Agg backend: no display is needed (cluster nodes, CI).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Mapping, Sequence

# the data-efficiency plot's line colour and style per fixed system
BASELINE_STYLES = {"none": ("C3", ":"), "all": ("C2", "--"), "expert": ("C4", "-."), "oracle": ("0.4", "--")}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> str:
    fig.tight_layout()
    fig.savefig(path)
    _pyplot().close(fig)
    return path


def accuracy_per_task(results: dict, path: str, field: str = "task") -> str:
    """Grouped bars: for each value of `field` (task; MMAR: modality), one bar per system."""
    plt = _pyplot()
    systems = {name: s for name, s in results["systems"].items() if s.get("accuracy") is not None}
    groups = sorted({g for s in systems.values() for g in s.get(f"per_{field}", {})})
    fig, ax = plt.subplots(figsize=(min(14.0, 3 + 0.3 * len(groups) * max(2, len(systems))), 4.8), dpi=110)
    width = 0.8 / max(1, len(systems))
    for k, (name, s) in enumerate(systems.items()):
        per = s.get(f"per_{field}", {})
        xs = [g + (k - (len(systems) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, [100 * per.get(g, 0.0) for g in groups], width,
               label=f"{name} ({100 * s['accuracy']:.1f})", color=f"C{k % 10}")
    ax.set_xticks(range(len(groups)), [g or "(none)" for g in groups], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Accuracy per {field}, {results.get('n_items', '?')} items ({results.get('split') or 'all'})")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=min(4, len(systems)), loc="upper center", bbox_to_anchor=(0.5, -0.28))
    return _save(fig, path)


def tool_usage(rows: Sequence[Mapping], system: str, tools: Sequence[str], field: str = "task") -> dict:
    """{group: {tool: share of the group's items on which `system` called the tool}}."""
    calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        if r["system"] != system:
            continue
        counts[r.get(field, "")] += 1
        for name in r["tools"]:
            calls[r.get(field, "")][name] += 1
    return {g: {t: calls[g][t] / n for t in tools} for g, n in sorted(counts.items())}


def tool_usage_heatmap(rows: Sequence[Mapping], systems: Sequence[str], tools: Sequence[str], path: str,
                       field: str = "task") -> str:
    """One panel per system: rows = task, columns = tool, cell = share of the task's items on
    which the system called the tool (annotated in %)."""
    plt = _pyplot()
    usage = {s: tool_usage(rows, s, tools, field) for s in systems}
    groups = sorted({g for u in usage.values() for g in u})
    fig, axes = plt.subplots(1, len(systems), figsize=((0.45 * len(tools) + 0.6) * len(systems) + 2.5,
                                                       0.38 * len(groups) + 2.4),
                             dpi=110, squeeze=False, sharey=True)
    for ax, system in zip(axes[0], systems):
        grid = [[usage[system].get(g, {}).get(t, 0.0) for t in tools] for g in groups]
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="Blues", aspect="auto")
        for i, row in enumerate(grid):
            for j, share in enumerate(row):
                ax.text(j, i, f"{100 * share:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if share > 0.6 else "black")
        ax.set_xticks(range(len(tools)), tools, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(groups)), [g or "(none)" for g in groups], fontsize=8)
        ax.set_title(system, fontsize=10)
    fig.suptitle(f"% of each {field}'s items on which the system called the tool", fontsize=10)
    fig.colorbar(image, ax=axes[0].tolist(), fraction=0.04, pad=0.02)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


LEARNING_PANELS = (  # (title, metric keys): the per-iteration metrics cluster/train.py logs
    ("episode reward", ("reward_mean",)),
    ("training-episode accuracy", ("accuracy", "accuracy_without_tools")),
    ("tool calls per episode", ("tool_calls",)),
    ("policy entropy", ("entropy",)),
)


def learning_curves(history: Mapping[str, Sequence[tuple[int, float]]], path: str, title: str = "PPO") -> str:
    """A 2x2 grid of the per-iteration metrics in `history` ({metric: [(step, value), ...]})
    against PPO iterations; panels whose metrics are missing say so."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), dpi=110)
    for ax, (panel, keys) in zip(axes.flat, LEARNING_PANELS):
        drawn = False
        for key in keys:
            points = sorted(history.get(key, ()))
            if points:
                ax.plot([s + 1 for s, _ in points], [v for _, v in points], "o-", markersize=3, label=key)
                drawn = True
        if not drawn:
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, color="0.5")
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel("PPO iteration", fontsize=8)
        ax.grid(alpha=0.3)
        if len(keys) > 1 and drawn:
            ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def data_efficiency(points: Sequence[dict], baselines: Mapping[str, float], path: str, title: str) -> str:
    """Accuracy vs training items: the learned router's mean with its min-max band over seeds,
    and a horizontal line per fixed system."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    sizes = [p["size"] for p in points]
    ax.plot(sizes, [100 * p["mean"] for p in points], "o-", color="C0", label="learned router (mean over seeds)")
    ax.fill_between(sizes, [100 * p["min"] for p in points], [100 * p["max"] for p in points], color="C0",
                    alpha=0.2, label="learned router (min-max over seeds)")
    for k, (name, acc) in enumerate(sorted(baselines.items())):
        color, style = BASELINE_STYLES.get(name, (f"C{5 + k}", "--"))
        ax.axhline(100 * acc, color=color, linestyle=style, label=f"{name} ({100 * acc:.1f})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("training items")
    ax.set_ylabel("accuracy on the test split (%)")
    ax.set_title(title)
    ax.set_ylim(0, 102)  # a system at 100% (expert routing) would sit on the frame
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)
