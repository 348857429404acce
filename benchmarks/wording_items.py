"""The wording sets as an eval dataset: every question asked of one clip, routed and answered end to end.

`benchmarks/question_wordings.py` asks each set's questions with the right tool's line only (the
reasoner's reading); `benchmarks/wording_check.py` scores where a router sends them without
audio (its routing). This writes them as items `audiorouter eval` scores like any benchmark, so
a trained router, expert routing, all tools and no tool are compared on the 1,301 questions the
helpers wrote (unfamiliar wordings, sounds and choices, about clips unlike the probe's): the
project's closest stand-in for the held-out check kept outside the repository.

Each question is asked of one of the clips `question_wordings` asks it of, taken in turn (the
question's index in its set modulo its cases), so a set's yes/no questions meet clips where the
fact holds and where it does not. `task` is the set's name, `expert_tool` its tool, `split`
`build` (the halves and sets rules and examples were written from: build halves, `level`) or
`check` (check, check2, check3; some were read for rules, none for the tools' example
questions), `half` the half itself. The clips are copied under `audio/` (their folders must
exist: unseen_clips.py, speaker_clips.py, speech_count_clips.py).

    python benchmarks/wording_items.py --out data/wording_items
    audiorouter eval --data data/wording_items --split check --systems none,all,expert,learned:runs/demo/router.pt \\
        --out runs/wording_items/check.json --no-mlflow
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.question_wordings import CLIPS, SETS, UNSEEN_CLIPS  # noqa: E402
from benchmarks.wording_check import clip_params, wording_set_questions  # noqa: E402
from tools.mentions import is_yes_no  # noqa: E402

BUILD_HALVES = ("build", "all")  # "all": a set without halves (`level`), read for rule v21


def set_clips(name: str) -> str:
    """The folder of a wording set's clips (question_wordings.CLIPS, else the unseen clips)."""
    return CLIPS.get(name, UNSEEN_CLIPS)


def wording_items(names: list[str], params_of=clip_params, clips_of=set_clips) -> list[dict]:
    """The eval entries of the named sets, audio paths relative to the dataset's folder
    (`params_of(name)`: the set's clip parameters; `clips_of(name)`: the folder its clips are in)."""
    items = []
    for question in wording_set_questions(names, params_of, pick=lambda index, cases: cases[index % len(cases)]):
        name, half = question["family"].split("/")
        clip_name = f"{name}-{question['clip']}"  # the three clip folders reuse ids
        items.append({"id": f"w{len(items) + 1:04d}-{name}", "audio_id": f"./audio/{clip_name}.wav",
                      "question": question["question"], "choices": question["choices"], "answer": question["answer"],
                      "task": name, "split": "build" if half in BUILD_HALVES else "check", "half": half,
                      "expert_tool": question["expert_tool"], "dataset": "wording_sets",
                      "form": "yesno" if is_yes_no(question["choices"]) else "choice",
                      "clip": question["clip"], "clips": clips_of(name)})
    return items


def write(items: list[dict], out: str) -> None:
    """items.json and the clips it names under `out`/audio."""
    os.makedirs(os.path.join(out, "audio"), exist_ok=True)
    for item in items:
        target = os.path.join(out, item["audio_id"])
        if not os.path.exists(target):
            shutil.copyfile(os.path.join(item["clips"], "audio", f"{item['clip']}.wav"), target)
    with open(os.path.join(out, "items.json"), "w") as f:
        json.dump([{k: v for k, v in item.items() if k not in ("clip", "clips")} for item in items], f, indent=1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="data/wording_items")
    p.add_argument("--sets", default="all", help="`all` or set names, comma-separated")
    args = p.parse_args()
    names = sorted(SETS) if args.sets == "all" else args.sets.split(",")
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise SystemExit(f"unknown sets {unknown}: {', '.join(sorted(SETS))} or all")
    items = wording_items(names)
    write(items, args.out)
    splits = collections.Counter(item["split"] for item in items)
    print(f"{len(items)} items ({', '.join(f'{s} {n}' for s, n in sorted(splits.items()))}) in {args.out}/items.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
