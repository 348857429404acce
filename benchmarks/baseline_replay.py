"""Which single tool each training item's reward favours, under two baselines for the tool's gain.

The demo's `relative_prob` measures a tool's line against a guess: p(correct | line) - 1/k. The
other baseline measures it against the same tool's line on the clips of the K training items whose
questions are nearest (MiniLM cosine), asked this item's question and choices: what this clip's
reading adds beyond what the tool says on similar clips. `--mix` blends them (0: the guess, 1: the
other clips). Each item's best tool (gain less cost_weight x cost) is compared with its family's
expert tool. Replayed on the config's training items with the reasoner and tools behind the caches;
new (clip, question) pairs are run and cached (about 30 minutes cold on 2 CPU cores for the demo).

    python benchmarks/baseline_replay.py [--config configs/demo.yaml] [--neighbours 4] [--mix 0 0.5 1]

Measured and not built: docs/RESULTS.md "A tool against itself on other clips".
"""
from __future__ import annotations

import argparse
import collections
import json

import numpy as np

from cluster.config import load_config
from env.audio_tool_env import applicable_tools
from env.factory import make_env
from env.reasoners import ReasonRequest
from policy.ppo import build_ppo_config


def replay(config: str, neighbours: int) -> list[dict]:
    """Per item: its family, answer, expert tool, choices, and per applicable tool p(correct) under
    its line on the item's own clip ("own") and the mean over the neighbours' clips ("others")."""
    env_config = dict(build_ppo_config(load_config(config, [])).env_config)
    env = make_env(env_config)
    items, executor, reasoner = env.items, env.executor, env.reasoner
    vectors = np.stack([env.encoder.encode(i.question) for i in items])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    cost_weight = float(env_config.get("cost_weight", 0.0))
    rows = []
    for n, item in enumerate(items):
        nearest = [int(j) for j in np.argsort(-similarity[n]) if j != n][:neighbours]
        correct = item.choices.index(item.answer)
        tools = applicable_tools(item, executor)
        keys, requests = [], []
        for tool in tools:
            for j in [n] + nearest:  # the tool's line on clip j, under this item's question and choices
                results = executor.run(items[j].audio, item.question, item.choices, [tool])
                requests.append(ReasonRequest.from_results(item.question, item.choices, results, executor, item.audio))
                keys.append((tool, j))
        p = collections.defaultdict(dict)
        for (tool, j), answer in zip(keys, reasoner.answer_batch(requests)):
            p[tool][j] = answer.probabilities[correct] if answer.probabilities else float(answer.choice == item.answer)
        rows.append({"id": item.id, "task": item.task, "question": item.question, "answer": item.answer,
                     "expert": item.expert_tool, "k": len(item.choices), "cost_weight": cost_weight,
                     "tools": {t: {"own": p[t][n], "others": float(np.mean([p[t][j] for j in nearest])),
                                   "cost": executor.tools[t].cost} for t in tools}})
        print(f"\r{n + 1}/{len(items)} items", end="", flush=True)
    print()
    reasoner.cache.flush()
    executor.cache.flush()
    return rows


def best_tool_table(rows: list[dict], mix: float) -> tuple[collections.Counter, collections.Counter]:
    """(items whose best tool is the expert, items) per family, the baseline `mix` x others + (1 - mix) / k."""
    hits, totals = collections.Counter(), collections.Counter()
    for row in rows:
        if row["expert"] not in row["tools"]:
            continue

        def gain(tool: str) -> float:
            t = row["tools"][tool]
            return t["own"] - ((1 - mix) / row["k"] + mix * t["others"]) - row["cost_weight"] * t["cost"]

        totals[row["task"]] += 1
        hits[row["task"]] += max(row["tools"], key=gain) == row["expert"]
    return hits, totals


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/demo.yaml")
    p.add_argument("--neighbours", type=int, default=4)
    p.add_argument("--mix", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    p.add_argument("--json", help="also write the per-item probabilities here")
    args = p.parse_args()
    if args.neighbours < 1:  # "others" is a mean over the neighbours' clips
        p.error(f"--neighbours must be at least 1, got {args.neighbours}")
    rows = replay(args.config, args.neighbours)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    for mix in args.mix:
        hits, totals = best_tool_table(rows, mix)
        per_family = ", ".join(f"{t} {hits[t]}/{totals[t]}" for t in sorted(totals))
        print(f"mix {mix}: the expert tool is the best on {sum(hits.values())} of {sum(totals.values())} ({per_family})")


if __name__ == "__main__":
    main()
