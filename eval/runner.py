"""The benchmark runner: route -> execute -> reason for every item and every system.

results.json (the shape scripts can rely on):

    {"data": "...", "split": "test", "n_items": 200,          # items scored
     "reasoner": "<reasoner id>", "tools": ["duration", ...],
     "systems": {"none": {"accuracy": 0.41, "per_task": {"pitch_compare": 0.5, ...},
                          "per_difficulty": {...},                 # MMAU: task and difficulty
                          "per_modality": {...}, "per_category": {...},  # when the items have them (MMAR)
                          "mean_tool_calls": 0.0, "n_items": 200,
                          "seconds_per_item": {"route": ..., "execute": ..., "reason": ...}},
                 "expert": {...}, ...},
     "single_best": {"<task>": "<tool>", ...},                # when single-best ran
     "rejected": [{"id": "...", "reason": "..."}]}

Accuracies are fractions of the items scored. `execute` seconds are the tools' own
compute time (cached results keep the time they took when computed) and `reason`
seconds the reasoner's; `route` is the routing decision.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from tqdm import tqdm

from env.admission import BadItems, admit_items
from env.reasoners import Answer, ReasonRequest
from eval.datasets import DatasetAdapter
from eval.systems import RoutingSystem, build_system
from env.items import AudioQA
from env.scoring import string_match
from tools.base import AudioError, ToolResult
from tools.executor import ToolExecutor

@dataclass
class EvalSettings:
    seed: int = 0
    random_max_tools: int = 3
    oracle_max_size: int = 2
    fit_items_per_task: int = 10  # single-best: training items per task used to pick the tool
    progress: bool = True


class Evaluator:
    def __init__(self, executor: ToolExecutor, reasoner, settings: EvalSettings | None = None,
                 bad: BadItems | None = None):
        self.executor = executor
        self.reasoner = reasoner
        self.settings = settings or EvalSettings()
        self.bad = bad if bad is not None else BadItems()
        self.adapter = DatasetAdapter()  # run_benchmark sets the dataset's own (eval/datasets.py)
        self.n_items_seen = 0  # items in the evaluation, bad ones included: the bad fraction's denominator

    @property
    def tool_names(self) -> list[str]:
        return self.executor.names

    # -- the three stages ------------------------------------------------------
    def execute(self, item: AudioQA, names: Sequence[str]) -> list[ToolResult]:
        return self.executor.run(item.audio, item.question, item.choices, names)

    def reason(self, item: AudioQA, results: Sequence[ToolResult]) -> Answer:
        request = ReasonRequest.from_results(item.question, item.choices, results, self.executor, item.audio)
        return self.reasoner.answer_batch([request])[0]

    def episode(self, item: AudioQA, names: Sequence[str], route_seconds: float = 0.0) -> dict:
        """One item through execute and reason with a given tool list; the per-item row."""
        results = self.execute(item, names)
        return self.row(item, names, results, self.reason(item, results), route_seconds)

    def episodes(self, item: AudioQA, routes: Sequence[Sequence[str]]) -> list[dict]:
        """The rows of several tool lists for one item: each tool run once, every answer asked in
        one reasoner batch (a packed scoring pass, not one call per list)."""
        names = list(dict.fromkeys(n for route in routes for n in route))
        by_name = dict(zip(names, self.execute(item, names)))
        results = [[by_name[n] for n in route] for route in routes]
        requests = [ReasonRequest.from_results(item.question, item.choices, r, self.executor, item.audio) for r in results]
        answers = self.reasoner.answer_batch(requests)
        return [self.row(item, route, r, a) for route, r, a in zip(routes, results, answers)]

    def row(self, item: AudioQA, names: Sequence[str], results: Sequence[ToolResult], answer: Answer,
            route_seconds: float = 0.0) -> dict:
        """The per-item result row (results.items.parquet)."""
        return {
            **self.item_fields(item), "tools": list(names), "tool_ok": [r.ok for r in results],
            "tool_texts": [r.text if r.ok else f"ERROR {r.error}" for r in results],
            "prediction": answer.choice, "answer": item.answer,
            # None: the benchmark withholds the answer (MMAU test); scored against the choices as released
            "correct": None if item.answer is None else string_match(item.answer, answer.choice, item.scored_choices),
            "tool_calls": len(names), "seconds_route": route_seconds,
            "seconds_execute": sum(r.seconds for r in results), "seconds_reason": answer.seconds, "error": "",
        }

    def item_fields(self, item: AudioQA) -> dict:
        """The item's id and the fields results are broken down by (its dataset adapter's:
        MMAU reports task and difficulty, MMAR modality and category)."""
        return {"id": item.id, **self.adapter.item_fields(item)}

    def failed_episode(self, item: AudioQA, system: str, exc: Exception) -> dict:
        """The row of an item that failed at run time (its audio went bad, the reasoner timed out):
        scored wrong, so every system keeps the same denominator, and recorded in `self.bad`,
        which stops the run once too many items are bad."""
        reason = f"item {item.id}: {type(exc).__name__}: {exc}"
        self.bad.add([{"id": item.id, "stage": f"eval:{system}", "reason": reason}])
        self.bad.check(self.n_items_seen)
        return {**self.item_fields(item), "tools": [], "tool_ok": [],
                "tool_texts": [], "prediction": "", "answer": item.answer,
                "correct": None if item.answer is None else False, "tool_calls": 0,
                "seconds_route": 0.0, "seconds_execute": 0.0, "seconds_reason": 0.0, "error": reason}

    # -- admission ---------------------------------------------------------------
    def admit(self, items: Sequence[AudioQA]) -> tuple[list[AudioQA], list[dict]]:
        """Items whose audio decodes; the rest rejected with a reason naming item and file."""
        return admit_items(items, self.executor)

    # -- systems -------------------------------------------------------------------
    def run_system(self, system: str | RoutingSystem, items: Sequence[AudioQA],
                   fit_items: Sequence[AudioQA] | None = None) -> list[dict]:
        """Every item through one routing system (eval/systems.py; a name is built from the
        registry and prepared here: a learned router loads router.pt, single-best fits on
        `fit_items`). One bad item never ends the evaluation: it is scored wrong and recorded."""
        if isinstance(system, str):
            system = build_system(system)
            system.prepare(self, fit_items)
        rows = []
        for item in tqdm(items, desc=f"eval {system.name}", unit="item", disable=not self.settings.progress):
            try:
                row = system.run(item, self)
            except (AudioError, TimeoutError) as exc:
                row = self.failed_episode(item, system.name, exc)
            row["system"] = system.name
            rows.append(row)
        return rows


def summarize(rows: Sequence[dict], breakdowns: Sequence[str] = DatasetAdapter.breakdowns) -> dict:
    """Accuracy overall and per task and difficulty, and per each other breakdown field of the
    dataset's adapter where any item has a value (MMAU: category; MMAR: modality, category); mean
    tool calls; mean seconds per stage. Accuracies count the items with an answer (`n_scored`):
    where a benchmark withholds every answer (MMAU test) they are None and the breakdowns empty."""
    n = len(rows)
    scored = [r for r in rows if r["correct"] is not None]
    if n == 0:
        return {"accuracy": None, "per_task": {}, "per_difficulty": {}, "mean_tool_calls": None, "n_items": 0,
                "n_scored": 0, "seconds_per_item": {}}

    def grouped(field: str) -> dict[str, float]:
        groups: dict[str, list[bool]] = defaultdict(list)
        for r in scored:
            groups[r.get(field, "")].append(r["correct"])
        return {k: round(sum(v) / len(v), 4) for k, v in sorted(groups.items())}

    fields = dict.fromkeys(("task", "difficulty", *breakdowns))
    per = {f"per_{field}": grouped(field) for field in fields
           if field in ("task", "difficulty") or any(r.get(field) for r in scored)}
    return {
        "accuracy": round(sum(r["correct"] for r in scored) / len(scored), 4) if scored else None,
        **per,
        "mean_tool_calls": round(sum(r["tool_calls"] for r in rows) / n, 3),
        "n_items": n,
        "n_scored": len(scored),
        "seconds_per_item": {stage: round(sum(r[f"seconds_{stage}"] for r in rows) / n, 4)
                             for stage in ("route", "execute", "reason")},
    }


def table_field(results: dict) -> str:
    """The breakdown a table's columns show: task, or the first other breakdown with values
    (MMAR's modality) when the items have no task."""
    systems = list(results["systems"].values())
    if any(k for s in systems for k in s.get("per_task", {})):
        return "task"
    fields = [k[4:] for s in systems for k in s if k.startswith("per_") and k not in ("per_task", "per_difficulty")]
    return next((f for f in dict.fromkeys(fields) if any(s.get(f"per_{f}") for s in systems)), "task")


def comparison(results: dict) -> tuple[list[str], list[list]]:
    """The comparison table as (header, rows): one row per system with its overall and per-task
    (or per-modality) accuracy as fractions (None where not scored) and mean tool calls."""
    systems = results["systems"]
    key = f"per_{table_field(results)}"
    groups = sorted({t for s in systems.values() for t in s.get(key, {})})
    rows = [[name, s["accuracy"], *[s.get(key, {}).get(g) for g in groups], s["mean_tool_calls"]]
            for name, s in systems.items()]
    return ["system", "overall", *groups, "calls/item"], rows


def format_table(results: dict) -> str:
    """Markdown table: one row per system, overall and per-task (or per-modality) accuracy (%)
    and mean calls."""
    header, rows = comparison(results)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, overall, *groups, calls in rows:
        cells = ["-" if g is None else f"{100 * g:.0f}" for g in groups]
        acc = "-" if overall is None else f"{100 * overall:.1f}"
        lines.append(f"| {name} | {acc} | " + " | ".join(cells) + f" | {'-' if calls is None else f'{calls:.2f}'} |")
    return "\n".join(lines)


def route_table(rows: Sequence[dict], system: str, field: str = "task") -> str:
    """What a routing system did per group (task family), as Markdown: items, accuracy (%), tool
    calls per item, the share of items it answered with no tool call, and its most common route
    (tools in call order) with that route's share. A learned router's greedy routes, read here,
    say what it learned: which families it sends where, and where it learned to skip tools."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["system"] == system:
            groups[r.get(field, "")].append(r)
    lines = [f"| {field} | items | accuracy | calls/item | no tool | most common route |", "|---|---|---|---|---|---|"]
    for group, members in sorted(groups.items()):
        n = len(members)
        scored = [r["correct"] for r in members if r["correct"] is not None]
        accuracy = "-" if not scored else f"{100 * sum(map(bool, scored)) / len(scored):.0f}"
        routes = Counter(" -> ".join(r["tools"]) or "(none)" for r in members)
        route, count = routes.most_common(1)[0]
        lines.append(f"| {group} | {n} | {accuracy} | {sum(len(r['tools']) for r in members) / n:.2f} | "
                     f"{100 * sum(not r['tools'] for r in members) / n:.0f}% | {route} ({100 * count / n:.0f}%) |")
    return "\n".join(lines)


def write_comparison_csv(results: dict, path: str) -> str:
    """The comparison table as CSV (accuracies as fractions, empty where not scored)."""
    import csv

    header, rows = comparison(results)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path
