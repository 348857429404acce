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
- `tempo` (`tempo_wordings.json`, the tempo tool): templates comparing a steady beat's tempo with
  a number of BPM at least 20 BPM away (faster, slower, negated) and multiple-choice tempi,
  build and check halves (`NumberSet`).
- `note` (`note_wordings.json`, the pitch tool): templates on which note a steady tone holds,
  comparing it with a named note a semitone or more away ("Is it higher than {k_note}?"), asking
  whether it is one note ("Is this {k_note}?") and multiple-choice notes with or without the
  octave, build and check halves (`NumberSet` over MIDI notes).
- `gender` (`gender_wordings.json`, the voice tool): whether a man or a woman says a sentence;
  yes/no, negated, true/false and multiple-choice questions (some with choices right for no
  clip: "a child", "no one speaks"), build and check halves.
- `phrase` (`phrase_wordings.json`, the phrase spotter): templates on whether a sentence
  (`{phrase}`) is what a clip's one speaker says (yes/no, negated, true/false, quoted in several
  ways or not at all) and which of four sentences it is, build and check halves (`PhraseSet`).

- `speech_count` (`speech_count_wordings.json`, the speech segmenter): templates on how many
  separate times someone speaks, comparing the count with a number k or multiple choice, build and
  check halves (`NumberSet`), over the clips of `benchmarks/speech_count_clips.py` (3-6 sentences,
  one voice or two in turn): `--clips data/speech_count_clips`. Its check half was read to write
  rule v31's second part, so a third helper wrote a second check (`--half check2`, 40 templates)
  that no rule was written from.
- `speakers` (`speaker_wordings.json`, the speaker counter): templates on how many different
  people speak (one to three), comparing with a number k, asking without one ("Is this a
  monologue?": `single`, `several`) and multiple choice over one to four, build and check halves
  by two helpers (`NumberSet`), over the clips of `benchmarks/speaker_clips.py`:
  `--clips data/speaker_clips`. Its check half's misses were read before rule v33 was written, so
  a third helper wrote `--half check2` (40 templates, 12 `single` and 12 `several`). check2's misses
  were read to write rule v34, so a fourth helper wrote `--half check3` (40 templates, the same mix).

A question about a fact is asked of the first three clips where the fact holds and the first three
where it does not (a count template: `NumberSet`), with the tool's line and its alternatives, so it
scores the reasoner's reading alone (expert routing). Run from the repository root after
`python benchmarks/unseen_clips.py`:

    python benchmarks/question_wordings.py --set level|pitch|count|duration|order|tempo|note|gender|phrase|speech_count|speakers [--half build|check] [--clips data/unseen_clips]
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
from eval.probe_v2 import NOTE_NAMES  # the probe's and the unseen clips' spelling: sharps, "F#4"
from tools.basic import DurationTool, LoudnessTool
from tools.events import EventCountTool, TempoTool
from tools.executor import ToolExecutor
from tools.pitch import PitchTool, VoicePitchTool
from tools.speakers import SpeakerCountTool
from tools.speech import PhraseSpotTool, SpeechSegmentsTool

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


def number_word(v: int) -> str:
    """A number as a word up to thirty (the sets' counts and lengths), in digits above (a tempo)."""
    return NUMBER_WORDS[v] if v < len(NUMBER_WORDS) else str(v)


def spelled(name: str, v: int, notes: bool) -> dict[str, str]:
    """A value's placeholders: `{k}` and `{k_word}` for a number; `{k_note}` ("F#4", scientific
    pitch notation) and `{k_class}` ("F#") for a MIDI note."""
    if notes:
        return {f"{name}_note": f"{NOTE_NAMES[v % 12]}{v // 12 - 1}", f"{name}_class": NOTE_NAMES[v % 12]}
    return {name: str(v), f"{name}_word": number_word(v)}


COMPARISONS = {"exactly": lambda n, k: n == k, "not_exactly": lambda n, k: n != k, "is_note": lambda n, k: n == k,
               "more_than": lambda n, k: n > k, "fewer_than": lambda n, k: n < k,
               "at_least": lambda n, k: n >= k, "at_most": lambda n, k: n <= k,
               "longer_than": lambda n, k: n > k, "shorter_than": lambda n, k: n < k,
               "faster_than": lambda n, k: n > k, "slower_than": lambda n, k: n < k,
               "higher_than": lambda n, k: n > k, "lower_than": lambda n, k: n < k,
               # asked without a number ("Is this a monologue?"): yes for one, for more than one
               "single": lambda n, k: n == 1, "several": lambda n, k: n > 1}
EQUALITIES = ("exactly", "is_note")  # asked of the value itself where "yes" is right, whatever the margin


@dataclass(frozen=True)
class NumberSet:
    """A file of question templates about a number a clip holds (how many sounds, how many seconds,
    which note).

    A yes/no template compares the clip's value N with a value k of `ks` (`{k}`, `{k_word}`; a
    note's `{k_note}`, `{k_class}` where `notes`: `spelled`); its `asks` (one of `kinds`, rules in
    COMPARISONS) says when "yes" is right. Each is asked of every clip of `clips`, once with the k
    nearest N where "yes" is right and once where "no" is: the boundary ("more than 6" of 7 sounds
    and of 6), k at least `margin` from N (1: a length measured as 9.02 s is not "longer than 9
    seconds" to the one who drew 9; 20 BPM: a tempo a listener tells apart) except N itself for an
    equality ("Is this note E4?"). A multiple-choice template (`asks` one of `choice_kinds`) gives
    `choice_format` ("{v_word} times", "{v_note}"); each clip gets the right value and three others
    `apart` from it, the right one at a different place per clip, or, where `choice_values` are
    given (one to four people), those in order. A template without a `{k}` ("single": "Is this a
    monologue?") is asked once per clip; where no k of `ks` makes a template's answer "yes" (or
    "no") for a clip ("more than k people" of one person), that case is left out. `{sound}` /
    `{sounds}` name the clip's sound (its `kind`, through `singular` where the kind is a plural)."""

    file: str
    tool: type
    task: str
    value: str  # the clip's parameter the questions ask about
    kinds: frozenset
    choice_kinds: tuple[str, ...]
    one_per: str  # clips: the first of each `one_per` with a value of at least `least`
    margin: int
    apart: tuple[tuple[int, ...], tuple[int, ...]]  # the other choices' offsets, for even and odd clips
    ks: range = range(2, 23)
    singular: dict[str, str] = field(default_factory=dict)
    notes: bool = False
    least: int = 3
    choice_values: tuple[int, ...] = ()

    def clips(self, params: list[dict]) -> list[dict]:
        firsts = {}
        for p in params:
            if p["task"] == self.task and p[self.value] >= self.least:
                firsts.setdefault(p[self.one_per], p)
        return list(firsts.values())

    def cases(self, wording: dict, params: list[dict]) -> list[Case]:
        out = []
        for place, clip in enumerate(self.clips(params)):
            sound = self.singular.get(clip.get("kind"), clip.get("kind"))
            n, names = clip[self.value], {"sound": sound, "sounds": f"{sound}s"} if sound else {}
            if wording["asks"] in self.choice_kinds and self.choice_values:
                choices = tuple(wording["choice_format"].format(**spelled("v", v, self.notes), **names)
                                for v in self.choice_values)
                out.append(Case(clip["id"], wording["question"].format(**names), choices,
                                choices[self.choice_values.index(n)]))
                continue
            if wording["asks"] in self.choice_kinds:
                others = [n + d for d in self.apart[place % 2]]
                if min(others) < 1:
                    raise ValueError(f"{clip['id']}: {self.value} {n} leaves a choice under 1 with offsets {self.apart}")
                values = others[:place % 4] + [n] + others[place % 4:]
                choices = tuple(wording["choice_format"].format(**spelled("v", v, self.notes), **names) for v in values)
                out.append(Case(clip["id"], wording["question"].format(**names), choices, choices[place % 4]))
                continue
            rule = COMPARISONS[wording["asks"]]
            yes, no = yes_no(wording)
            if "{k" not in wording["question"]:
                holds = rule(n, None)
                out.append(Case(clip["id"], wording["question"].format(**names), tuple(wording["choices"]),
                                yes if holds else no))
                continue
            ks = sorted((k for k in self.ks if abs(k - n) >= self.margin or k == n and wording["asks"] in EQUALITIES),
                        key=lambda k: (abs(k - n), (k - n) * (-1) ** place))
            for holds in (True, False):
                k = next((k for k in ks if rule(n, k) == holds), None)
                if k is None:
                    continue
                question = wording["question"].format(**spelled("k", k, self.notes), **names)
                out.append(Case(clip["id"], question, tuple(wording["choices"]), yes if holds else no))
        return out


@dataclass(frozen=True)
class PhraseSet:
    """A file of question templates on the words a clip's one speaker says (`phrase` clips).

    A yes/no template (`asks` "said": "yes" is right when `{phrase}` is spoken; "not_said": when it
    is not) is asked of each of the first `clips_used` clips twice: with the clip's own sentence and
    with the next phrase clip's. A multiple-choice template (`asks` "which") gives four sentences
    through `choice_format` (`{v}`, `{v_lower}`): the clip's own and the next three clips', the
    clip's own at a different place per clip. `{phrase}` is a sentence as drawn ("The soup is too
    salty"), `{phrase_lower}` in lower case."""

    file: str
    tool: type
    task: str = "phrase"
    kinds: frozenset = frozenset({"said", "not_said", "which"})
    clips_used: int = 6

    def cases(self, wording: dict, params: list[dict]) -> list[Case]:
        clips = [p for p in params if p["task"] == self.task]
        if len(clips) < 4:
            raise ValueError(f"{len(clips)} {self.task} clips: a multiple-choice question needs four sentences")
        out = []
        for place, clip in enumerate(clips[:self.clips_used]):
            sentences = [clips[(place + d) % len(clips)]["sentence"] for d in range(4)]  # its own first
            if wording["asks"] == "which":
                values = sentences[1:1 + place % 4] + sentences[:1] + sentences[1 + place % 4:]
                choices = tuple(wording["choice_format"].format(v=v, v_lower=v.lower()) for v in values)
                out.append(Case(clip["id"], wording["question"], choices, choices[place % 4]))
                continue
            yes, no = yes_no(wording)
            for sentence, spoken in ((sentences[0], True), (sentences[1], False)):
                question = wording["question"].format(phrase=sentence, phrase_lower=sentence.lower())
                out.append(Case(clip["id"], question, tuple(wording["choices"]),
                                yes if spoken == (wording["asks"] == "said") else no))
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
    "count": NumberSet("count_wordings.json", EventCountTool, task="count", value="n", one_per="kind", margin=0,
                       kinds=frozenset({"exactly", "not_exactly", "more_than", "fewer_than", "at_least", "at_most",
                                        "how_many"}), choice_kinds=("how_many",), apart=((-2, -1, 1), (-1, 1, 2))),
    "duration": NumberSet("duration_wordings.json", DurationTool, task="duration", value="seconds", one_per="seconds",
                          margin=1, kinds=frozenset({"longer_than", "shorter_than", "how_long"}),
                          choice_kinds=("how_long",), apart=((-6, -3, 4), (-3, 4, 8))),
    "tempo": NumberSet("tempo_wordings.json", TempoTool, task="tempo", value="bpm", one_per="id", margin=20,
                       kinds=frozenset({"faster_than", "slower_than", "how_fast"}), choice_kinds=("how_fast",),
                       # within 27 BPM below and 55 above, no choice is half or twice a tempo of 60-180 BPM
                       apart=((-25, 25, 50), (-20, 25, 45)), ks=range(40, 245, 5),
                       singular={"knocks": "knock", "clicks": "click"}),
    "note": NumberSet("note_wordings.json", PitchTool, task="note", value="midi", one_per="id", margin=1,
                      kinds=frozenset({"higher_than", "lower_than", "is_note", "which_note", "which_class"}),
                      choice_kinds=("which_note", "which_class"), notes=True, ks=range(36, 97),
                      # no two choices an octave apart or of one pitch class
                      apart=((-5, -2, 3), (-3, 2, 5))),
    "gender": WordingSet("gender_wordings.json", VoicePitchTool, facts={"female": ("gender", "female")},
                         kinds={"female": ("female", True), "male": ("female", False), "choice": ("female", None)}),
    "phrase": PhraseSet("phrase_wordings.json", PhraseSpotTool),
    # clips of benchmarks/speech_count_clips.py (`--clips data/speech_count_clips`), not the unseen clips
    "speech_count": NumberSet("speech_count_wordings.json", SpeechSegmentsTool, task="speech_count", value="n",
                              one_per="id", margin=0, kinds=frozenset({"exactly", "not_exactly", "more_than",
                                                                       "fewer_than", "at_least", "at_most", "how_many"}),
                              choice_kinds=("how_many",), apart=((-2, -1, 1), (-1, 1, 2))),
    # clips of benchmarks/speaker_clips.py (`--clips data/speaker_clips`): one to three people
    "speakers": NumberSet("speaker_wordings.json", SpeakerCountTool, task="speakers", value="n", one_per="id",
                          margin=0, kinds=frozenset({"exactly", "not_exactly", "more_than", "fewer_than", "at_least",
                                                     "at_most", "single", "several", "how_many"}),
                          choice_kinds=("how_many",), apart=(), ks=range(1, 5), least=1, choice_values=(1, 2, 3, 4)),
}


# where each set's clips are (`--clips`' default): its own generator's output, else the unseen clips
CLIPS = {"speech_count": "data/speech_count_clips", "speakers": "data/speaker_clips"}
UNSEEN_CLIPS = "data/unseen_clips"


def load(name: str, half: str | None = None) -> list[dict]:
    """The set's questions; a set written in two halves gives one of them where `half` is named."""
    wordings = json.load(open(os.path.join(HERE, SETS[name].file)))
    return [w for w in wordings if half is None or w.get("half") == half]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=sorted(SETS), required=True, help="which questions, asked with which tool")
    ap.add_argument("--half", choices=["build", "check", "check2", "check3"],
                    help="only one helper's half of a set written in two (check2: a third helper's part of "
                         "the speech-count and speaker-count sets; check3: a fourth helper's of the speaker-count set)")
    ap.add_argument("--clips", help="the clips' folder (default: the set's own, `CLIPS`, else data/unseen_clips)")
    ap.add_argument("--config", default="configs/demo.yaml", help="the reasoner's settings")
    ap.add_argument("--json", help="also write the per-kind counts and every miss here")
    args = ap.parse_args()
    args.clips = args.clips or CLIPS.get(args.set, UNSEEN_CLIPS)
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
    right, total, masked, misses = collections.Counter(), collections.Counter(), collections.Counter(), []
    for (wording, case), answer in zip(cases, answers):
        total[wording["asks"]] += 1
        right[wording["asks"]] += answer.choice == case.expected
        # the tool is run here whatever it says of the question; a router could not call it there
        masked[wording["asks"]] += not tool.applicable(case.question, case.choices)
        if answer.choice != case.expected:
            misses.append({"question": case.question, "choices": case.choices, "clip": case.clip,
                           "answer": answer.choice, "expected": case.expected})
    for asks in [*total, "all"]:
        n_right, n_total, n_masked = (sum(c.values()) if asks == "all" else c[asks] for c in (right, total, masked))
        print(f"{asks:12s} {n_right:4d} of {n_total}" + (f"   (tool not applicable: {n_masked})" if n_masked else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"right": right, "total": total, "not_applicable": masked, "misses": misses}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
