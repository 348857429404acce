"""Whether a change to the rules reads any probe or unseen-clip question differently.

A contrast rule change (env/reasoners/asking.py, contrast.py, tools/mentions.py) that reads no
question of the data the routers were trained and tested on differently leaves every reward and
every answer there as it was, and the trained routers stand; one that reads some differently needs
`make demo` (and the hearing config) retrained. This script answers which, without the model and
without the tools: it computes every reading of each question that needs no tool line (the
question as the rules ask it and its choices' order, its negation, a comparison with a number, a
count asked exactly, "more than one person", the verdict pair, the sounds an order question names,
the numbers, lengths, counts, notes and quoted phrase the tools turn into alternatives, and which
built-in tools apply) under the working tree and under a git revision (a temporary worktree), and
prints the questions whose readings differ. How a rule reads the tools' lines is not covered: such
a change needs the demo's evaluation replayed.

    python benchmarks/rule_readings.py --against HEAD            # exit 1 where any reading differs
    python benchmarks/rule_readings.py --dump readings.json      # this tree's readings only

Items: `--items` (default: data/probe2/items.json and data/unseen_clips/items.json; `audiorouter
data probe --out data/probe2` and `python benchmarks/unseen_clips.py` write them, about 25 s).
docs/PROMPTS.md "Contrast rule v34" used it.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ITEMS = ("data/probe2/items.json", "data/unseen_clips/items.json")


def load_questions(paths) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{"file:id": (question, choices)} from items.json files (a list, or {"items": [...]})."""
    questions = {}
    for path in paths:
        with open(path) as fh:
            items = json.load(fh)
        for item in items["items"] if isinstance(items, dict) else items:
            questions[f"{os.path.basename(os.path.dirname(path))}:{item['id']}"] = (
                item["question"], tuple(str(c) for c in item["choices"]))
    return questions


# measured results of the tools that measure a number, one each: the lines a number is read off
SAMPLE_RESULTS = (("duration", {"seconds": 7.0}), ("events", {"count": 3, "durations": [], "segments": []}),
                  ("tempo", {"bpm": 100.0, "start_bpm": 100.0, "end_bpm": 100.0, "change": "steady"}),
                  ("pitch", {"tones": [{"hz": 329.6, "note": "E4"}]}), ("speakers", {"count": 2}))


def line_readings(question: str, choices: tuple[str, ...]) -> list:
    """The question asked and a number read off each sample line alone and off all of them together
    (`compared_number`): where a rule reads the tools' lines, the lines of the measuring tools."""
    from env.reasoners.asking import asked_as_the_tools_say
    from env.reasoners.contrast import compared_number
    from env.reasoners.types import ReasonRequest
    from tools.base import ToolResult
    from tools.executor import ToolExecutor
    from tools.registry import BUILTIN

    results = []
    for name, data in SAMPLE_RESULTS:
        tool = BUILTIN[name]()
        text = tool.describe(data["count"] if name == "speakers" else data)
        results.append((tool, ToolResult(name, True, data, text, contrasts=tool.contrast_texts(data))))
    out = []
    for chosen in [[r] for r in results] + [results]:
        executor = ToolExecutor([tool for tool, _ in chosen])
        shown = [result for _, result in chosen]
        request = ReasonRequest(question, choices, tuple(r.text for r in shown), "",
                                executor.contrasts(shown, question, choices))
        asked, order = asked_as_the_tools_say(request)
        out.append([asked.question, list(order), repr(compared_number(asked))])
    return out


def readings(question: str, choices: tuple[str, ...]) -> dict:
    """Every reading of one question that the rules make, as JSON-able values."""
    from env.reasoners.asking import asked_as_the_tools_say
    from env.reasoners.types import ReasonRequest
    from tools import mentions
    from tools.registry import BUILTIN

    asked, order = asked_as_the_tools_say(ReasonRequest(question, choices))
    plain, negated = mentions.unnegated(mentions.without_set_aside(asked.question))
    several = getattr(mentions, "several_speak", lambda q: None)  # older trees lack it
    if "choices" in inspect.signature(mentions.asks_what_is_said).parameters:
        said = mentions.asks_what_is_said(question, choices)
    else:  # older trees read the question alone
        said = mentions.asks_what_is_said(question)
    return {
        "asked": [asked.question, list(asked.choices), list(order)],
        "unnegated": [plain, negated],
        "threshold": repr(mentions.threshold(plain)),
        "equal_count": repr(mentions.equal_count(plain)) if hasattr(mentions, "equal_count") else "None",
        "several_speak": [repr(several(plain)), repr(several(asked.question))],
        "verdicts": repr(mentions.verdicts(choices)),
        "answers_whether": mentions.answers_whether(choices),
        "sound_names": repr(mentions.sound_names(question, choices)),
        "values": repr([mentions.numbers(question, choices), mentions.lengths(question, choices),
                        mentions.counts(question, choices), mentions.frequencies(question, choices),
                        mentions.notes(question, choices), mentions.quoted_phrase(question),
                        said]),
        "applicable": {name: bool(cls().applicable(question, choices)) for name, cls in sorted(BUILTIN.items())},
        "with_lines": line_readings(question, choices),
    }


def dump(paths, out: str) -> None:
    with open(out, "w") as fh:
        json.dump({key: readings(q, c) for key, (q, c) in load_questions(paths).items()}, fh, sort_keys=True)


def differences(ours: dict, theirs: dict) -> dict[str, list[str]]:
    """{question key: the readings that differ}; a question in one dump only differs in all."""
    return {key: sorted(k for k in set(ours.get(key, {})) | set(theirs.get(key, {}))
                        if ours.get(key, {}).get(k) != theirs.get(key, {}).get(k))
            for key in sorted(set(ours) | set(theirs)) if ours.get(key) != theirs.get(key)}


def readings_at(revision: str, paths) -> dict:
    """The readings under `revision`, computed in a temporary git worktree of it by this script."""
    with tempfile.TemporaryDirectory(prefix="rule-readings-") as tmp:
        tree, out = os.path.join(tmp, "tree"), os.path.join(tmp, "readings.json")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", tree, revision], check=True)
        try:
            env = {**os.environ, "PYTHONPATH": tree}
            # this tree's script (the revision may predate it), that tree's rules
            subprocess.run([sys.executable, os.path.abspath(__file__), "--dump", out, "--items",
                            *[os.path.abspath(p) for p in paths]], check=True, env=env, cwd=tree)
            with open(out) as fh:
                return json.load(fh)
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", help="a git revision to compare this tree's readings with")
    ap.add_argument("--dump", help="write this tree's readings here (JSON) and stop")
    ap.add_argument("--items", nargs="+", default=list(DEFAULT_ITEMS), help="items.json files")
    args = ap.parse_args()
    missing = [p for p in args.items if not os.path.exists(p)]
    if missing:
        raise SystemExit(f"no items at {', '.join(missing)}: `audiorouter data probe --out data/probe2` and "
                         "`python benchmarks/unseen_clips.py` write the default ones")
    if args.dump:
        dump(args.items, args.dump)
        return 0
    if not args.against:
        ap.error("give --against REV or --dump FILE")
    sys.path.insert(0, ROOT)
    ours = {key: readings(q, c) for key, (q, c) in load_questions(args.items).items()}
    differ = differences(ours, readings_at(args.against, args.items))
    for key, what in differ.items():
        print(f"{key}: {', '.join(what)}")
    print(f"{len(differ)} of {len(ours)} questions read differently than at {args.against}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
