"""How the embedded reasoner reads questions worded unlike the probe, asked with a tool's real line.

Each set is a file of questions written for this check by a helper that had read neither the code
nor the probe, about one fact a clip of `benchmarks/unseen_clips.py` holds or not (its drawn
parameters, `params.json`, give the answer):

- `level` (`level_wordings.json`, the loudness tool): 101 questions; 25 on a rising level, 25 on a
  falling one (8 of the 50 negated: "Does the sound not get any louder?"), 26 on a silent gap or
  none, 25 two-choice questions on the direction. docs/PROMPTS.md "Contrast rule v21".
- `pitch` (`pitch_wordings.json`, the pitch tool): two tones in a row, the second higher or
  lower; yes/no, negated and multiple-choice questions ("Which one sits lower?"). Two helpers
  wrote one half each without seeing the other's: `--half build` is what rules are written from,
  `--half check` is only measured. docs/PROMPTS.md "Contrast rule v22".

Every question is asked of the first three clips where the fact holds and the first three where
it does not, with the tool's line and its alternatives, so it scores the reasoner's reading alone
(expert routing). Run from the repository root after `python benchmarks/unseen_clips.py`:

    python benchmarks/question_wordings.py --set level|pitch [--half build|check] [--clips data/unseen_clips]
        [--config configs/demo.yaml] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
from dataclasses import dataclass

from cluster.config import load_config
from env.reasoners import ReasonRequest
from env.reasoners.registry import build_reasoner
from tools.basic import LoudnessTool
from tools.executor import ToolExecutor
from tools.pitch import PitchTool

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class WordingSet:
    """A file of questions, the tool whose line they are asked with, and what each kind asks.

    `facts` names each fact a clip holds or not: (unseen_clips task, its boolean parameter).
    `kinds` maps a question's `asks` to (fact, the answer "yes" is right when the fact holds);
    None for a multiple-choice question, whose `answer_if_true` is right when the fact holds and
    `answer_if_false` (or, without it, the other of two choices) when it does not."""

    file: str
    tool: type
    facts: dict[str, tuple[str, str]]
    kinds: dict[str, tuple[str, bool | None]]


SETS = {
    "level": WordingSet("level_wordings.json", LoudnessTool,
                        facts={"level": ("loudness", "rising"), "gap": ("gap", "gap")},
                        kinds={"louder": ("level", True), "not_louder": ("level", False),
                               "quieter": ("level", False), "not_quieter": ("level", True),
                               "gap": ("gap", True), "no_gap": ("gap", False), "direction": ("level", None)}),
    "pitch": WordingSet("pitch_wordings.json", PitchTool,
                        facts={"up": ("pitch_compare", "up")},
                        kinds={"higher": ("up", True), "not_higher": ("up", False),
                               "lower": ("up", False), "not_lower": ("up", True), "direction": ("up", None)}),
}


def clips_for(wording_set: WordingSet, params: list[dict]) -> dict[str, list[tuple[str, bool]]]:
    """(clip id, whether the fact holds) per fact: the first three clips where it holds, then three where not."""
    out = {}
    for fact, (task, key) in wording_set.facts.items():
        clips = [p for p in params if p["task"] == task]
        out[fact] = [(p["id"], True) for p in clips if p[key]][:3] + [(p["id"], False) for p in clips if not p[key]][:3]
    return out


def expected(wording_set: WordingSet, wording: dict, holds: bool) -> str:
    yes_when = wording_set.kinds[wording["asks"]][1]
    if yes_when is None:
        if holds:
            return wording["answer_if_true"]
        return wording.get("answer_if_false") or next(c for c in wording["choices"] if c != wording["answer_if_true"])
    return "yes" if holds == yes_when else "no"


def load(name: str, half: str | None = None) -> list[dict]:
    """The set's questions; a set written in two halves gives one of them where `half` is named."""
    wordings = json.load(open(os.path.join(HERE, SETS[name].file)))
    return [w for w in wordings if half is None or w.get("half") == half]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=sorted(SETS), required=True, help="which questions, asked with which tool")
    ap.add_argument("--half", choices=["build", "check"], help="only one helper's half of a set written in two")
    ap.add_argument("--clips", default="data/unseen_clips", help="benchmarks/unseen_clips.py's output folder")
    ap.add_argument("--config", default="configs/demo.yaml", help="the reasoner's settings")
    ap.add_argument("--json", help="also write the per-kind counts and every miss here")
    args = ap.parse_args()
    params_path = os.path.join(args.clips, "params.json")
    if not os.path.exists(params_path):
        raise SystemExit(f"{params_path} not found: run python benchmarks/unseen_clips.py --out {args.clips} first")
    wording_set = SETS[args.set]
    clips = clips_for(wording_set, json.load(open(params_path)))
    wordings = load(args.set, args.half)
    if not wordings:
        raise SystemExit(f"no questions in {wording_set.file} for --half {args.half}")
    tool = wording_set.tool()
    executor = ToolExecutor([tool])
    reasoner = build_reasoner(load_config(args.config).get("reasoner"))
    cases, requests = [], []
    for wording in wordings:
        for clip, holds in clips[wording_set.kinds[wording["asks"]][0]]:
            audio = os.path.join(args.clips, "audio", f"{clip}.wav")
            results = executor.run(audio, wording["question"], wording["choices"], [tool.name])
            requests.append(ReasonRequest.from_results(wording["question"], wording["choices"], results, executor))
            cases.append((wording, clip, expected(wording_set, wording, holds)))
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
