"""Routing systems: which tools to call for an item. The registry the evaluator builds them from.

    none         no tools: the reasoner's own answer
    all          every configured tool
    random       a random subset (1..max_tools tools), seeded per item
    expert       the tool the probe generator designated for the item's task (probe data only)
    single-best  per task, the one tool with the best accuracy on training items (fitted first)
    oracle       the smallest tool subset (size <= 2) that makes the reasoner right; an upper
                 bound that luck inflates: report it, never aim at it (needs the answers)
    learned:PATH a trained router.pt, tool by tool, each decision seeing the results so far
    class:PKG.MOD.CLASS  a plug-in: any class with the RoutingSystem contract below

A system is named in `--systems` or `eval.systems` by its key; `build_system` turns the name
into an object, once per evaluation.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import time
from collections import defaultdict
from itertools import combinations
from typing import Any, Sequence

import numpy as np

from env.items import AudioQA
from tools.base import AudioError

Evaluator = Any  # eval.runner.Evaluator, which runs the systems (a system calls its stages: episode, ...)


class SkipSystem(Exception):
    """The data cannot support this system (e.g. the oracle where answers are withheld): the
    evaluation skips it and says why, instead of failing."""


class RoutingSystem:
    """The contract, with the defaults most systems keep.

    name:          how results and MLflow name it
    needs_answers: it reads the item's answer (the oracle): skipped where answers are withheld
    per_item:      its tool choice differs per item (the usage heatmap shows it)
    learned:       a trained router (the heatmap shows it beside the oracle)
    prepare(evaluator, fit_items):  once before the items; may raise SkipSystem
    fitted() -> dict:               what prepare learned, for results.json (default nothing)
    route(item, tools) -> list[str]: the tools to call, in order
    run(item, evaluator) -> dict:   the item's result row (default: route, then execute and reason)
    """

    name = "base"
    needs_answers = False
    per_item = True
    learned = False
    uses_fit_items = False

    def prepare(self, evaluator: Evaluator, fit_items: Sequence[AudioQA] | None) -> None:
        return None

    def fitted(self) -> dict:
        return {}

    def route(self, item: AudioQA, tools: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def run(self, item: AudioQA, evaluator: Evaluator) -> dict:
        start = time.perf_counter()
        names = self.route(item, evaluator.tool_names)
        return evaluator.episode(item, names, time.perf_counter() - start)


class NoTools(RoutingSystem):
    name, per_item = "none", False

    def route(self, item, tools):
        return []


class AllTools(RoutingSystem):
    name, per_item = "all", False

    def route(self, item, tools):
        return list(tools)


def route_random(item: AudioQA, tools: Sequence[str], seed: int = 0, max_tools: int = 3) -> list[str]:
    digest = hashlib.sha256(f"{seed}:{item.id}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    k = int(rng.integers(1, min(max_tools, len(tools)) + 1))
    picked = sorted(rng.choice(len(tools), size=k, replace=False))
    return [tools[i] for i in picked]


class RandomTools(RoutingSystem):
    name = "random"

    def prepare(self, evaluator, fit_items):
        self.seed, self.max_tools = evaluator.settings.seed, evaluator.settings.random_max_tools

    def route(self, item, tools):
        return route_random(item, tools, self.seed, self.max_tools)


class ExpertTool(RoutingSystem):
    name = "expert"

    def route(self, item, tools):
        return [item.expert_tool] if item.expert_tool in tools else []


class SingleBestTool(RoutingSystem):
    """Per task, the tool whose results alone make the reasoner right most often on
    `fit_items_per_task` items of the fit split (ties: the cheaper)."""

    name, uses_fit_items = "single-best", True

    def prepare(self, evaluator, fit_items):
        if not fit_items:
            raise SkipSystem("no item with an answer in the fit split (eval.fit_split) to pick its tools on")
        from tqdm import tqdm

        by_task: dict[str, list[AudioQA]] = defaultdict(list)
        for item in fit_items:
            if len(by_task[item.task]) < evaluator.settings.fit_items_per_task:
                by_task[item.task].append(item)
        names = evaluator.tool_names
        costs = {n: t.cost for n, t in evaluator.executor.tools.items()}
        wins: dict[str, dict[str, int]] = {}
        items = [item for task_items in by_task.values() for item in task_items]
        # an item's one-tool answers in one reasoner batch: its prompts share their prefix (1.5x faster)
        for item in tqdm(items, desc="single-best fit", unit="item", disable=not evaluator.settings.progress):
            try:
                rows = evaluator.episodes(item, [[name] for name in names])
            except (AudioError, TimeoutError):  # a fit item gone bad only loses its votes
                continue
            for name, row in zip(names, rows):
                wins.setdefault(item.task, defaultdict(int))[name] += int(row["correct"])
        self.table = {task: max(names, key=lambda n: (counts[n], -costs[n])) for task, counts in wins.items()}
        overall: dict[str, int] = defaultdict(int)
        for counts in wins.values():
            for name, c in counts.items():
                overall[name] += c
        if overall:
            self.table["*"] = max(names, key=lambda n: (overall[n], -costs[n]))

    def fitted(self) -> dict:
        return {"single_best": self.table}

    def route(self, item, tools):
        if item.task in self.table:
            return [self.table[item.task]]
        return [self.table["*"]] if "*" in self.table else []


def oracle_candidates(tools: Sequence[str], max_size: int = 2) -> list[list[str]]:
    """Subsets in the order the oracle tries them: smaller first, then config order."""
    return [list(c) for size in range(max_size + 1) for c in combinations(tools, size)]


class Oracle(RoutingSystem):
    """The first subset (smallest first, then config order) that makes the reasoner right; none:
    the no-tool answer. The subsets of one size are answered in one reasoner batch, and larger
    sizes are tried only when no smaller subset is right."""

    name, needs_answers = "oracle", True

    def run(self, item, evaluator):
        start = time.perf_counter()
        candidates = oracle_candidates(evaluator.tool_names, evaluator.settings.oracle_max_size)
        first = None
        for size in sorted({len(c) for c in candidates}):
            rows = evaluator.episodes(item, [c for c in candidates if len(c) == size])
            first = first or rows[0]
            right = next((row for row in rows if row["correct"]), None)
            if right is not None:
                right["seconds_route"] = time.perf_counter() - start
                return right
        first["seconds_route"] = time.perf_counter() - start
        return first


class LearnedRouter(RoutingSystem):
    """A trained router.pt: tool by tool, each decision seeing the results so far (so its `route`
    seconds include running the tools it chose)."""

    learned = True

    def __init__(self, path: str):
        self.path = path
        self.name = f"learned:{path}"

    def prepare(self, evaluator, fit_items):
        from env.features import QuestionEncoder
        from policy.export import Router

        self.router = Router(self.path)
        if self.router.tool_names != evaluator.tool_names:
            raise ValueError(f"{self.path} was trained with tools {self.router.tool_names}; this config has "
                             f"{evaluator.tool_names}")
        self.encoder = QuestionEncoder()
        self.evaluator = evaluator

    def route(self, item, tools):
        env = self.router.routing_env([item], self.evaluator.executor, self.evaluator.reasoner, self.encoder)
        self.last_decision = (info := self.router.route(env))["first_decision"]  # `audiorouter route --explain`
        return info["tools"]


SYSTEMS: dict[str, type[RoutingSystem]] = {cls.name: cls for cls in (
    NoTools, AllTools, RandomTools, ExpertTool, SingleBestTool, Oracle)}
PREFIXES = ("learned:", "class:")


def build_system(name: str) -> RoutingSystem:
    """A registered name, `learned:PATH/router.pt`, or `class:package.module.Class` (a plug-in,
    constructed without arguments; its `name` is the spec unless it sets one)."""
    if name in SYSTEMS:
        return SYSTEMS[name]()
    if name.startswith("learned:"):
        return LearnedRouter(name.split(":", 1)[1])
    if name.startswith("class:"):
        module, _, attr = name.split(":", 1)[1].rpartition(".")
        if not module:
            raise ValueError(f"system {name!r}: give class:package.module.Class")
        system = getattr(importlib.import_module(module), attr)()
        if not all(hasattr(system, a) for a in ("prepare", "run", "fitted", "needs_answers", "uses_fit_items")):
            raise ValueError(f"system {name!r} does not implement the RoutingSystem contract (subclass "
                             "eval.systems.RoutingSystem)")
        system.name = name if getattr(system, "name", "base") in ("base", None) else system.name
        return system
    raise ValueError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}, learned:PATH or "
                     "class:package.module.Class")


def parse_systems(text: str) -> list[str]:
    """Comma-separated registered systems, `learned:PATH/router.pt` and `class:...` entries."""
    systems = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS and not s.startswith(PREFIXES)]
    if unknown or not systems:
        raise ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}, learned:PATH or "
                         "class:package.module.Class")
    return systems


def system_labels(systems: Sequence[str]) -> dict[str, str]:
    """Names for results and MLflow: one learned router is `learned` (as `train` names it, so runs
    line up); several are `learned:<folder of router.pt>`."""
    learned = [s for s in systems if s.startswith("learned:")]
    if len(learned) == 1:
        return {learned[0]: "learned"}
    return {s: "learned:" + os.path.basename(os.path.dirname(os.path.abspath(s.split(":", 1)[1]))) for s in learned}
