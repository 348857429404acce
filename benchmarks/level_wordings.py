"""How the embedded reasoner reads questions about a sound's level and gaps, worded unlike the probe.

`benchmarks/level_wordings.json` holds 101 questions written for this check by a helper that had
read neither the code nor the probe: 25 on a rising level, 25 on a falling one (8 of the 50
negated: "Does the sound not get any louder?"), 26 on a silent gap or none, 25 two-choice
questions on the direction. Each is asked, with the loudness tool's real line and alternatives, of
the clips of `benchmarks/unseen_clips.py` whose answer it has: the first three rising and three
falling `loudness` clips, the first three `gap` clips with a gap and those without (580 requests).
The answer follows from the clip's drawn parameters (`params.json`). It scores the reasoner's
reading alone (expert routing): docs/PROMPTS.md "Contrast rule v21" (387 -> 491 of 580).

Run from the repository root after `python benchmarks/unseen_clips.py` (about 2 minutes here):

    python benchmarks/level_wordings.py [--clips data/unseen_clips] [--config configs/demo.yaml] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import json
import os

from cluster.config import load_config
from env.reasoners import ReasonRequest
from env.reasoners.registry import build_reasoner
from tools.basic import LoudnessTool
from tools.executor import ToolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
# what a question asks -> whether it holds for a clip (rises: its level rises; gapped: it has a gap)
HOLDS = {"louder": lambda rises: rises, "not_louder": lambda rises: not rises,
         "quieter": lambda rises: not rises, "not_quieter": lambda rises: rises,
         "gap": lambda gapped: gapped, "no_gap": lambda gapped: not gapped}


def clips_for(params: list[dict]) -> dict[str, list[tuple[str, bool]]]:
    """(clip id, fact) per kind of question: the level rises, or the sound has a gap."""
    level = [p for p in params if p["task"] == "loudness"]
    gap = [p for p in params if p["task"] == "gap"]
    rising = [(p["id"], True) for p in level if p["rising"]][:3] + [(p["id"], False) for p in level if not p["rising"]][:3]
    gapped = [(p["id"], True) for p in gap if p["gap"]][:3] + [(p["id"], False) for p in gap if not p["gap"]][:3]
    return {"level": rising, "gap": gapped}


def expected(wording: dict, fact: bool) -> str:
    if wording["asks"] == "direction":
        other = next(c for c in wording["choices"] if c != wording["answer_if_true"])
        return wording["answer_if_true"] if fact else other
    return "yes" if HOLDS[wording["asks"]](fact) else "no"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default="data/unseen_clips", help="benchmarks/unseen_clips.py's output folder")
    ap.add_argument("--config", default="configs/demo.yaml", help="the reasoner's settings")
    ap.add_argument("--json", help="also write the per-kind counts and every miss here")
    args = ap.parse_args()
    params_path = os.path.join(args.clips, "params.json")
    if not os.path.exists(params_path):
        raise SystemExit(f"{params_path} not found: run python benchmarks/unseen_clips.py --out {args.clips} first")
    clips = clips_for(json.load(open(params_path)))
    wordings = json.load(open(os.path.join(HERE, "level_wordings.json")))
    executor = ToolExecutor([LoudnessTool()])
    reasoner = build_reasoner(load_config(args.config).get("reasoner"))
    cases, requests = [], []
    for wording in wordings:
        kind = "gap" if wording["asks"] in ("gap", "no_gap") else "level"
        for clip, fact in clips[kind]:
            audio = os.path.join(args.clips, "audio", f"{clip}.wav")
            results = executor.run(audio, wording["question"], wording["choices"], ["loudness"])
            requests.append(ReasonRequest.from_results(wording["question"], wording["choices"], results, executor))
            cases.append((wording, clip, expected(wording, fact)))
    answers = reasoner.answer_batch(requests)
    right, total, misses = collections.Counter(), collections.Counter(), []
    for (wording, clip, want), answer in zip(cases, answers):
        total[wording["asks"]] += 1
        right[wording["asks"]] += answer.choice == want
        if answer.choice != want:
            misses.append({"question": wording["question"], "clip": clip, "answer": answer.choice, "expected": want})
    for asks in total:
        print(f"{asks:12s} {right[asks]:4d} of {total[asks]}")
    print(f"{'all':12s} {sum(right.values()):4d} of {sum(total.values())}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"right": right, "total": total, "misses": misses}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
