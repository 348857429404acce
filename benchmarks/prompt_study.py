"""Measure prompt renderings and choice-scoring calibrations of the embedded reasoner.

Runs the no-tools, expert and all-tools systems on a split for every (prompt style,
calibration, score end, contrast) setting, with the same cached tool results, and prints
accuracy per setting, and for probe v2 items per form (multiple choice, yes/no).
Used to choose the defaults in configs/demo.yaml; the numbers are in docs/PROMPTS.md.

    python benchmarks/prompt_study.py --data data/probe --split validation
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from env.reasoners import CachedReasoner
from env.reasoners.smollm2 import SmolLMReasoner  # noqa: E402
from eval.datasets import dataset_adapter, load_items  # noqa: E402
from eval.runner import EvalSettings, Evaluator, summarize  # noqa: E402
from tools.cache import ParquetCache  # noqa: E402
from tools.executor import ToolExecutor  # noqa: E402
from tools.registry import build_tools  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="validation")
    p.add_argument("--cache-dir", default=".cache/audiorouter")
    p.add_argument("--styles", default="restate,evidence_first,evidence_last")
    p.add_argument("--calibrations", default="none,mean,evidence_pmi")
    p.add_argument("--score-end", default="0,1", help="score the end-of-turn token too: 0, 1 or 0,1")
    p.add_argument("--contrasts", default="none", help="contrast rules to try: none, yes_no, choices, meaning")
    p.add_argument("--systems", default="none,expert,all")
    p.add_argument("--out", default="runs/prompt_study.json")
    args = p.parse_args()

    items, _ = load_items(args.data, split=args.split)
    executor = ToolExecutor(build_tools(), ParquetCache(os.path.join(args.cache_dir, "tools")))
    answers = ParquetCache(os.path.join(args.cache_dir, "reasoner"))
    backend = None
    table = {}
    for style, calibration, end, contrast in itertools.product(
            args.styles.split(","), args.calibrations.split(","), [bool(int(e)) for e in args.score_end.split(",")],
            args.contrasts.split(",")):
        if backend is None:
            backend = SmolLMReasoner(prompt_style=style, calibration=calibration, score_end=end, contrast=contrast)
        else:  # reuse the loaded weights: only the rendering and scoring change (and so the id)
            backend.prompt_style, backend.calibration, backend.score_end = style, calibration, end
            backend.contrast = contrast
            backend._prior_cache.clear()
        evaluator = Evaluator(executor, CachedReasoner(backend, answers), EvalSettings(progress=False))
        evaluator.adapter = dataset_adapter(args.data)  # the probe's: rows carry the item's form
        row = {}
        for system in args.systems.split(","):
            s = summarize(evaluator.run_system(system, items), breakdowns=("task", "difficulty", "form"))
            row[system] = s
        table[f"{style}/{calibration}/end={int(end)}/contrast={contrast}"] = row
        print(f"{style:9s} {calibration:13s} end={int(end)} contrast={contrast:8s} " + "  ".join(
            f"{k}={100 * v['accuracy']:.1f}" + "".join(f" {f}:{100 * a:.0f}" for f, a in v.get("per_form", {}).items())
            + f" ({v['seconds_per_item'].get('reason', 0.0):.2f} s/item reasoning)"
            for k, v in row.items()), flush=True)
    executor.cache.flush()
    answers.flush()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"data": args.data, "split": args.split, "n_items": len(items), "results": table}, f, indent=1)


if __name__ == "__main__":
    main()
