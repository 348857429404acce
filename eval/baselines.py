"""Fixed routing policies: which tools to call for an item, without learning.

    none         no tools: the reasoner's own answer
    all          every configured tool
    random       a random subset (1..max_tools tools), seeded per item
    expert       the tool the probe generator designated for the item's task (probe data only)
    single-best  per task, the one tool with the best accuracy on training items
    oracle       the smallest tool subset (size <= 2) that makes the reasoner right; an upper
                 bound that luck inflates: report it, never aim at it

Every policy maps an item to an ordered tool list; the oracle and single-best need the
reasoner to decide, so the runner resolves them (eval/runner.py).
"""
from __future__ import annotations

import hashlib
from itertools import combinations
from typing import Sequence

import numpy as np

from env.items import AudioQA

SYSTEMS = ("none", "all", "random", "expert", "single-best", "oracle")


def parse_systems(text: str) -> list[str]:
    """Comma-separated fixed systems and `learned:PATH/router.pt` entries."""
    systems = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS and not s.startswith("learned:")]
    if unknown or not systems:
        raise ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)} or learned:PATH")
    return systems


def system_labels(systems: Sequence[str]) -> dict[str, str]:
    """Names for results and MLflow: one learned router is `learned` (as `train` names it, so runs
    line up); several are `learned:<folder of router.pt>`."""
    import os

    learned = [s for s in systems if s.startswith("learned:")]
    if len(learned) == 1:
        return {learned[0]: "learned"}
    return {s: "learned:" + os.path.basename(os.path.dirname(os.path.abspath(s.split(":", 1)[1]))) for s in learned}


def route_none(item: AudioQA, tools: Sequence[str]) -> list[str]:
    return []


def route_all(item: AudioQA, tools: Sequence[str]) -> list[str]:
    return list(tools)


def route_random(item: AudioQA, tools: Sequence[str], seed: int = 0, max_tools: int = 3) -> list[str]:
    digest = hashlib.sha256(f"{seed}:{item.id}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    k = int(rng.integers(1, min(max_tools, len(tools)) + 1))
    picked = sorted(rng.choice(len(tools), size=k, replace=False))
    return [tools[i] for i in picked]


def route_expert(item: AudioQA, tools: Sequence[str]) -> list[str]:
    return [item.expert_tool] if item.expert_tool in tools else []


def oracle_candidates(tools: Sequence[str], max_size: int = 2) -> list[list[str]]:
    """Subsets in the order the oracle tries them: smaller first, then config order."""
    return [list(c) for size in range(max_size + 1) for c in combinations(tools, size)]
