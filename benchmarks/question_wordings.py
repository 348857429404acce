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
- `count` (`count_wordings.json`, the event counter): templates on how many knocks, claps, chirps
  or drips a clip holds, comparing the count with a number k or multiple choice, in a build and
  a check half the same way (`NumberSet`). docs/PROMPTS.md "Contrast rule v23".
- `duration` (`duration_wordings.json`, the duration tool): templates comparing a clip's length
  with a number of seconds (longer, shorter; a moment: "past the 9-second mark") and multiple-
  choice lengths, build and check halves. docs/PROMPTS.md "Contrast rule v24".
- `order` (`order_wordings.json`, the speech segmenter): a phrase spoken before or after one
  other sound (`{sound}`: knocking, whistle, beep, chirping); yes/no, negated, true/false and
  multiple-choice questions on which comes first or last, build and check halves.

A question about a fact is asked of the first three clips where the fact holds and the first three
where it does not (a count template: `NumberSet`), with the tool's line and its alternatives, so it
scores the reasoner's reading alone (expert routing). Run from the repository root after
`python benchmarks/unseen_clips.py`:

    python benchmarks/question_wordings.py --set level|pitch|count|duration|order [--half build|check] [--clips data/unseen_clips]
        [--config configs/demo.yaml] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
from dataclasses import dataclass, field
from typing import NamedTuple

from cluster.config import load_config
from env.reasoners import ReasonRequest
from env.reasoners.registry import build_reasoner
from tools.basic import DurationTool, LoudnessTool
from tools.events import EventCountTool
from tools.executor import ToolExecutor
from tools.pitch import PitchTool
from tools.speech import SpeechSegmentsTool

HERE = os.path.dirname(os.path.abspath(__file__))


class Case(NamedTuple):
    """One question asked of one clip: the words as asked, the choices and the right one."""

    clip: str
    question: str
    choices: tuple[str, ...]
    expected: str


@dataclass(frozen=True)
class WordingSet:
    """A file of questions about a fact a clip holds or not, and the tool whose line they are asked with.

    `facts` names each fact a clip holds or not: (unseen_clips task, its boolean parameter).
    `kinds` maps a question's `asks` to (fact, the answer "yes" is right when the fact holds);
    None for a multiple-choice question, whose `answer_if_true` is right when the fact holds and
    `answer_if_false` (or, without it, the other of two choices) when it does not. Where the
    questions name the clip's sound (`{sound}`), `sound_of` is the clip's parameter that says which
    and `sound_words` the question's word for each."""

    file: str
    tool: type
    facts: dict[str, tuple[str, str]]
    kinds: dict[str, tuple[str, bool | None]]
    sound_of: str | None = None
    sound_words: dict[str, str] = field(default_factory=dict)

    def cases(self, wording: dict, params: list[dict]) -> list[Case]:
        by_id = {p["id"]: p for p in params}
        out = []
        for clip, holds in clips_for(self, params)[self.kinds[wording["asks"]][0]]:
            names = {"sound": self.sound_words[by_id[clip][self.sound_of]]} if self.sound_of else {}
            fill = lambda text: text.format(**names) if names else text  # noqa: E731
            out.append(Case(clip, fill(wording["question"]), tuple(map(fill, wording["choices"])),
                            fill(expected(self, wording, holds))))
        return out


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
    yes, no = yes_no(wording)
    return yes if holds == yes_when else no


def yes_no(wording: dict) -> tuple[str, str]:
    """The choice of a yes/no question that means yes ("yes", or its `yes_choice`: "True") and the other."""
    yes = wording.get("yes_choice") or next(c for c in wording["choices"] if c.lower() == "yes")
    return yes, next(c for c in wording["choices"] if c != yes)


NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four "
                "twenty-five twenty-six twenty-seven twenty-eight twenty-nine thirty").split()
COMPARISONS = {"exactly": lambda n, k: n == k, "not_exactly": lambda n, k: n != k,
               "more_than": lambda n, k: n > k, "fewer_than": lambda n, k: n < k,
               "at_least": lambda n, k: n >= k, "at_most": lambda n, k: n <= k,
               "longer_than": lambda n, k: n > k, "shorter_than": lambda n, k: n < k}


@dataclass(frozen=True)
class NumberSet:
    """A file of question templates about a number a clip holds (how many sounds, how many seconds).

    A yes/no template compares the clip's value N with a number k (`{k}`, `{k_word}`); its `asks`
    (one of `kinds`, rules in COMPARISONS) says when "yes" is right. Each is asked of every clip of
    `clips`, once with the k nearest N where "yes" is right and once where "no" is: the boundary
    ("more than 6" of 7 sounds and of 6), k never equal to N where `equal_k` is False (a length
    measured as 9.02 s is not "longer than 9 seconds" to the one who drew 9). A multiple-choice
    template (`asks` the `choice_kind`) gives `choice_format` ("{v_word} times"); each clip gets the
    right value and three others `apart` from it, the right one at a different place per clip.
    `{sound}` / `{sounds}` name the clip's sound."""

    file: str
    tool: type
    task: str
    value: str  # the clip's parameter the questions ask about
    kinds: frozenset
    choice_kind: str
    one_per: str  # clips: the first of each `one_per` with a value of at least 3
    equal_k: bool
    apart: tuple[tuple[int, ...], tuple[int, ...]]  # the other choices' offsets, for even and odd clips

    def clips(self, params: list[dict]) -> list[dict]:
        firsts = {}
        for p in params:
            if p["task"] == self.task and p[self.value] >= 3:
                firsts.setdefault(p[self.one_per], p)
        return list(firsts.values())

    def cases(self, wording: dict, params: list[dict]) -> list[Case]:
        out = []
        for place, clip in enumerate(self.clips(params)):
            n, names = clip[self.value], {"sound": clip["kind"], "sounds": clip["kind"] + "s"}
            if wording["asks"] == self.choice_kind:
                others = [n + d for d in self.apart[place % 2]]
                if min(others) < 1:
                    raise ValueError(f"{clip['id']}: {self.value} {n} leaves a choice under 1 with offsets {self.apart}")
                values = others[:place % 4] + [n] + others[place % 4:]
                choices = tuple(wording["choice_format"].format(v=v, v_word=NUMBER_WORDS[v], **names) for v in values)
                out.append(Case(clip["id"], wording["question"].format(**names), choices, choices[place % 4]))
                continue
            rule = COMPARISONS[wording["asks"]]
            yes, no = yes_no(wording)
            ks = sorted((k for k in range(2, 23) if self.equal_k or k != n), key=lambda k: (abs(k - n), (k - n) * (-1) ** place))
            for holds in (True, False):
                k = next(k for k in ks if rule(n, k) == holds)
                question = wording["question"].format(k=k, k_word=NUMBER_WORDS[k], **names)
                out.append(Case(clip["id"], question, tuple(wording["choices"]), yes if holds else no))
        return out


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
    "order": WordingSet("order_wordings.json", SpeechSegmentsTool,
                        facts={"speech_first": ("order", "speech_first")},
                        kinds={"speech_first": ("speech_first", True), "sound_first": ("speech_first", False),
                               "choice": ("speech_first", None)},
                        sound_of="other", sound_words={"knocks": "knocking", "whistle": "whistle", "tone": "beep",
                                                       "chirp": "chirping"}),
    "count": NumberSet("count_wordings.json", EventCountTool, task="count", value="n", one_per="kind", equal_k=True,
                       kinds=frozenset({"exactly", "not_exactly", "more_than", "fewer_than", "at_least", "at_most",
                                        "how_many"}), choice_kind="how_many", apart=((-2, -1, 1), (-1, 1, 2))),
    "duration": NumberSet("duration_wordings.json", DurationTool, task="duration", value="seconds", one_per="seconds",
                          equal_k=False, kinds=frozenset({"longer_than", "shorter_than", "how_long"}),
                          choice_kind="how_long", apart=((-6, -3, 4), (-3, 4, 8))),
}


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
    params = json.load(open(params_path))
    wordings = load(args.set, args.half)
    if not wordings:
        raise SystemExit(f"no questions in {wording_set.file} for --half {args.half}")
    tool = wording_set.tool()
    executor = ToolExecutor([tool])
    reasoner = build_reasoner(load_config(args.config).get("reasoner"))
    cases, requests = [], []
    for wording in wordings:
        for case in wording_set.cases(wording, params):
            audio = os.path.join(args.clips, "audio", f"{case.clip}.wav")
            results = executor.run(audio, case.question, case.choices, [tool.name])
            requests.append(ReasonRequest.from_results(case.question, case.choices, results, executor))
            cases.append((wording, case))
    answers = reasoner.answer_batch(requests)
    right, total, misses = collections.Counter(), collections.Counter(), []
    for (wording, case), answer in zip(cases, answers):
        total[wording["asks"]] += 1
        right[wording["asks"]] += answer.choice == case.expected
        if answer.choice != case.expected:
            misses.append({"question": case.question, "choices": case.choices, "clip": case.clip,
                           "answer": answer.choice, "expected": case.expected})
    for asks in total:
        print(f"{asks:12s} {right[asks]:4d} of {total[asks]}")
    print(f"{'all':12s} {sum(right.values()):4d} of {sum(total.values())}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"right": right, "total": total, "misses": misses}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
