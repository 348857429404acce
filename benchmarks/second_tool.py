"""Does a second tool after the expert tool help or hurt the reasoner?

On the demo config's 200 training items: accuracy with the expert tool alone and with each
possible second tool, overall and per task family (docs/RESULTS.md, "Why 1.74 calls").
Run from the repository root after `make demo`; with its caches it takes ~40 s.
"""
from __future__ import annotations

import argparse
import collections

from cluster.config import load_config
from env.items import load_items
from eval.benchmark import build_evaluator


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/demo.yaml")
    args = p.parse_args()
    cfg = load_config(args.config, [])
    env = cfg["train"]["env"]
    items, _ = load_items(env["data"], split=env.get("split", "train"))
    items = items[: int(env.get("max_items") or len(items))]
    evaluator = build_evaluator(cfg, progress=False)
    correct: dict[tuple[str, str], list[bool]] = collections.defaultdict(list)  # (task, second tool) -> outcomes
    for item in items:
        expert = item.expert_tool
        correct[(item.task, "alone")].append(evaluator.episode(item, [expert])["correct"])
        for second in evaluator.tool_names:
            if second != expert:
                correct[(item.task, second)].append(evaluator.episode(item, [expert, second])["correct"])
    evaluator.reasoner.cache.flush()
    columns = ["alone"] + evaluator.tool_names

    def pct(rows: list[bool]) -> str:
        return f"{100 * sum(rows) / len(rows):.1f}" if rows else "-"

    print("| task | expert alone | " + " | ".join(f"+{t}" for t in evaluator.tool_names) + " |")
    print("|" + "---|" * (len(columns) + 1))
    overall = [pct(sum((v for (t, c), v in correct.items() if c == col), [])) for col in columns]
    print("| all | " + " | ".join(overall) + " |")
    for task in sorted({t for t, _ in correct}):
        print(f"| {task} | " + " | ".join(pct(correct.get((task, c), [])) for c in columns) + " |")


if __name__ == "__main__":
    main()
