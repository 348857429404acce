"""Where a trained router sends questions worded unlike anything in the probe benchmark.

`benchmarks/unseen_wordings.json` holds 168 questions, 12 for each of the probe's 14 families,
written for this check by someone who had read neither the probe's templates nor the tools'
descriptions (a third yes/no; varied vocabulary, structure and choice wording). There is no
audio: the check scores routing only, the tool a question goes to against its family's expert
tool. A question unlike the router's training questions (`Router.familiar` false) is routed by
the fallback, which needs no clip (`Router.pick_by_relevance`): that is what is scored, with and
without the training questions' support (`train.novelty_neighbour_weight`), and with the runner-up
added within `train.novelty_second_tool_margin` (right tool among those called). A familiar one is
routed by the policy, which reads the clip: it is counted, not scored.

With `--sets`, the questions are instead those of benchmarks/question_wordings.py's sets (1,301
questions on eleven facts, each set written by helpers who had read neither the probe nor the
tools, most in a build and a check half): each question once, its placeholders filled as for the
first clip it is asked of (the set's clips must exist: benchmarks/unseen_clips.py,
speaker_clips.py, speech_count_clips.py), against the tool that set asks it with; rows per set
and half.

Run from the repository root after `make demo` (a few seconds; `--sets all` about 25 s):

    python benchmarks/wording_check.py [--router runs/demo/router.pt] [--sets all|level,phrase,...] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.question_wordings import CLIPS, SETS, UNSEEN_CLIPS, load  # noqa: E402
from cluster.config import load_config  # noqa: E402
from env.features import QuestionEncoder, ToolMatcher, relevance_text, tool_texts  # noqa: E402
from policy.export import Router  # noqa: E402
from tools.registry import build_tools  # noqa: E402

QUESTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unseen_wordings.json")


def wording_set_questions(names: list[str], params_of, pick=lambda index, cases: cases[0]) -> list[dict]:
    """Each question of the named sets of benchmarks/question_wordings.py once, as asked of one clip
    it is asked of (`pick(index of the question in its set, its cases)`, default the first;
    `params_of(name)`: that set's clip parameters), with the set's tool as the expert, "set/half" as
    its family, and the clip and the right answer (`benchmarks/wording_items.py` scores answers)."""
    questions = []
    for name in names:
        wording_set, params = SETS[name], params_of(name)
        for index, wording in enumerate(load(name)):
            cases = wording_set.cases(wording, params)
            if cases:
                case = pick(index, cases)
                questions.append({"family": f"{name}/{wording.get('half', 'all')}", "question": case.question,
                                  "choices": list(case.choices), "expert_tool": wording_set.tool.name,
                                  "clip": case.clip, "answer": case.expected})
    return questions


def clip_params(name: str) -> list[dict]:
    """A wording set's clip parameters, from its clips' folder (question_wordings.CLIPS)."""
    path = os.path.join(CLIPS.get(name, UNSEEN_CLIPS), "params.json")
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: generate the clips first (README: benchmarks/unseen_clips.py, "
                         f"speaker_clips.py, speech_count_clips.py)")
    return json.load(open(path))


def route_counts(router: Router, tools, encoder: QuestionEncoder, questions: list[dict]) -> dict[str, collections.Counter]:
    """Per family: questions, familiar ones (the policy's, not scored), and of the rest whether the
    fallback's pick is the expert tool by relevance alone and with the neighbours' support, whether
    the expert is among the tools the fallback calls, and how many second tools it adds."""
    descriptions, examples = tool_texts(tools)
    matcher = ToolMatcher(encoder, descriptions, router.relevance_match, examples, router.relevance_of)
    weight = float(router.spec.get("neighbour_weight", 0.0))
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for q in questions:
        vector = router.question_vector(encoder, q["question"])
        row = counts[q["family"]]
        row["questions"] += 1
        if router.familiar(vector):
            row["familiar"] += 1
            continue
        asked = relevance_text(q["question"], q["choices"], router.novelty_relevance_of)
        relevance = matcher.relevance(encoder.encode(asked), router.novelty_relevance_match)
        allowed = np.array([t.applicable(q["question"], q["choices"]) for t in tools])
        for label, w in (("relevance", 0.0), ("with neighbours", weight)):
            row[label] += router.tool_names[router.pick_by_relevance(relevance, allowed, vector, w)] == q["expert_tool"]
        called = [router.tool_names[k] for k in router.fallback_tools(relevance, allowed, vector)]
        row["among the called"] += q["expert_tool"] in called
        row["second tools"] += len(called) - 1
    return counts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/demo.yaml", help="its tools (the router's, in the same order)")
    p.add_argument("--router", default="runs/demo/router.pt")
    p.add_argument("--questions", default=QUESTIONS)
    p.add_argument("--sets", help="instead, benchmarks/question_wordings.py's sets: `all` or names, comma-separated")
    p.add_argument("--json", help="also write the per-family counts here")
    args = p.parse_args()
    router = Router(args.router)
    tools = build_tools(load_config(args.config, []).get("tools"))
    if [t.name for t in tools] != router.tool_names:
        raise SystemExit(f"{args.config}'s tools {[t.name for t in tools]} are not the router's {router.tool_names}")
    descriptions, examples = tool_texts(tools)
    try:
        router.check_tool_texts(descriptions, examples)
    except ValueError as exc:
        raise SystemExit(f"{args.config}: {exc}") from exc
    if args.sets:
        names = sorted(SETS) if args.sets == "all" else args.sets.split(",")
        unknown = [n for n in names if n not in SETS]
        if unknown:
            raise SystemExit(f"unknown sets {unknown}: {', '.join(sorted(SETS))} or all")
        questions = wording_set_questions(names, clip_params)
    else:
        questions = json.load(open(args.questions))
    counts = route_counts(router, tools, QuestionEncoder(), questions)
    weight = float(router.spec.get("neighbour_weight", 0.0))
    columns = ["questions", "familiar", "relevance", "with neighbours", "among the called", "second tools"]
    total = sum(counts.values(), collections.Counter())
    print(f"router {args.router} (novelty_threshold {router.novelty_threshold}, neighbour_weight {weight}, "
          f"floor {router.spec.get('neighbour_floor', 0.6)}, second_tool_margin {router.second_tool_margin}): "
          f"right tool among the unfamiliar questions; 'among the called': the fallback as the router runs it, "
          f"which adds the runner-up within the margin ('second tools' counts those)")
    print("| family | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 1))
    for family, row in sorted(counts.items()) + [("all", total)]:
        print(f"| {family} | " + " | ".join(str(row[c]) for c in columns) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"router": args.router, "neighbour_weight": weight,
                       "second_tool_margin": router.second_tool_margin, "families": counts}, f, indent=1)


if __name__ == "__main__":
    main()
