"""The embedded reasoner's own coarse hearing (`reasoner.hearing: true`), as an audio LM has.

SmolLM2 is text only: without tools it is at chance on every question, so the best policy always
calls a tool and the question the router exists for, whether a tool is needed at all, never
arises. A real LALM hears coarse properties of a clip (is there speech, roughly how long, does
it get louder) and fails on fine ones (a pitch in Hz, a count of seven beeps, who said what).
This front end gives SmolLM2 the coarse part, rendered as its own perception in front of the
tools' evidence, in every request of that clip except those where a tool measured something the
contrast rules can weigh (a measurement outranks an impression). It costs no tool call and is the
same under every routing policy, so it moves the `none` baseline and the reward's no-tool side
alike; the router then has to learn where a tool adds nothing.

What it hears (one clip decode, one level track, one silero-vad pass, ~0.1 s a clip):
- how long, coarsely: the nearest whole second below FINE_SECONDS (7.5 s), the nearest 5 s above;
- whether there is speech (silero-vad);
- the level's trend, only when it is large (more than 6 dB between the first and last quarter
  of the sound): a coarse listener hears a fade, not a 3 dB drift.

Each property is its own line (hearing v4), with the lines it would have been for the other
outcomes (its contrasts), as a tool's line has them: the contrast rules swap one line at a time,
so a question about the length is weighed against other lengths only. The length line's
alternatives also hold the lengths the question names, heard at the same resolution, as the
duration tool's do (docs/PROMPTS.md "Hearing v4 and `paraphrase_line`").

Hearing v6: choices the ear hears alike are alike to the reasoner. "About 25 seconds" is what a 23,
a 25 and a 27 s clip all sound like, so where the choices name 23, 25 and 27 s the heard line
cannot rank them; the 135M model still copies the "25" it read and is sure (two long clips heard
wrong at margins 0.86-0.87, where the no-tool margin in the router's observation then says
nothing). The reasoner gives such choices their mean probability (`pool_alike`), so the heard
answer among them is the guess it is, and its margin says so (docs/PROMPTS.md "Hearing v6").

Hearing v8: a heard line is weighed only for a question about what it heard (`CoarseHearing.about`).
Before, a question no line's alternatives share a word with was weighed against the line nearest in
meaning, and an order question ("what comes first, the speech or the tone?") then met the level
trend at a MiniLM cosine of 0.13-0.28: the meaning contrast made "louder" against "quieter" a sure
answer either way, so the no-tool margin the router reads said "sure" where the reasoner guessed
(40 of the demo's 330 training items wrong at a margin above 0.5). Now the length and trend lines
keep their alternatives only for a question of the kind the tool that measures the same thing
answers (`QuestionKind`: duration, loudness), and the speech line, which no tool measures alone,
only for a yes/no question that names a word its alternatives change ("someone", "nobody") or
choices that fall on both sides of it. Elsewhere the heard lines stay as context and the answer is
the reasoner's plain reading of them (docs/PROMPTS.md "Hearing v8").
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from env.reasoners.contrast import changed_words, words
from env.reasoners.types import ReasonRequest
from tools.base import load_audio
from tools import mentions
from tools.signal import frame_db

HEARING_VERSION = 9  # part of the reasoner id: bump when what it hears or how it says it changes
# (v5 and v7 were tried and not landed: docs/RESULTS.md "A second CPU, hearing v5", "Hearing v8")
TREND_DB = 6.0  # the level change a coarse listener notices
FINE_SECONDS = 7.5  # below it a length is heard to the second, above it to 5 s
SHORTEST, LONGEST = 0.5, 3600.0  # the lengths a question names that are taken as clip lengths


def coarse_seconds(seconds: float) -> int:
    """The nearest whole second below FINE_SECONDS, the nearest 5 s above (at least 1)."""
    return max(1, int(round(seconds))) if seconds < FINE_SECONDS else int(5 * round(seconds / 5))


def heard_step(seconds: float) -> int:
    """How finely the ear hears a length of about `seconds`: 1 s below FINE_SECONDS, 5 s above."""
    return 1 if seconds < FINE_SECONDS else 5


def alike_lengths(choices: Sequence[str]) -> list[list[int]]:
    """The groups (two or more choice indices) of choices that each name one length and are heard as
    the same length (`coarse_seconds`): "23 s", "25 s" and "27 s" are all "about 25 seconds"."""
    groups: dict[int, list[int]] = {}
    for k, choice in enumerate(choices):
        named = mentions.lengths(choice)
        if len(named) == 1 and SHORTEST <= named[0] <= LONGEST:
            groups.setdefault(coarse_seconds(named[0]), []).append(k)
    return [g for g in groups.values() if len(g) > 1]


def pool_alike(scores: Sequence[float], choices: Sequence[str], temperature: float) -> list[float]:
    """The scores with each group of `alike_lengths` given one score: the one whose probability
    (softmax(scores / temperature)) is the group's mean, so the group keeps its share against the
    other choices and no member outranks another."""
    out = list(scores)
    for group in alike_lengths(choices):
        top = max(scores[k] for k in group)
        mean = sum(math.exp((scores[k] - top) / temperature) for k in group) / len(group)
        for k in group:
            out[k] = top + temperature * math.log(mean)
    return out


def length_line(seconds: int) -> str:
    return f"Heard directly: the clip lasts about {seconds} second{'s' if seconds != 1 else ''}."


def content_line(speech: bool) -> str:
    """"someone" against "nobody", the rest alike: the contrast rules see which words a line's
    alternative changes, and "it holds other sounds only" changed "sounds", so every question
    about "the sound" (does it fade out?) was read as a question about speech."""
    return f"Heard directly: {'someone' if speech else 'nobody'} speaks in it."


def trend_line(trend: str) -> str:
    """Worded as the loudness tool words a trend: the level's direction, then the sound's."""
    return {"louder": "Heard directly: the level rises, the sound gets louder.",
            "quieter": "Heard directly: the level falls, the sound gets quieter."}[trend]


class HeardLine(NamedTuple):
    """One property heard: its line, the lines it would have been for the other outcomes (its
    contrasts), and the built-in tool that measures the same thing ("": none does, alone)."""

    text: str
    alternatives: tuple[str, ...]
    measured_by: str


class HeardClip(NamedTuple):
    """What the coarse hearing took from one clip."""

    seconds: int  # at the hearing's resolution (coarse_seconds)
    speech: bool
    trend: str  # louder, quieter or steady (a change under TREND_DB)

    def lines(self, question: str = "", choices: Sequence[str] = ()) -> list[HeardLine]:
        """A HeardLine per property heard: length, speech, and a trend only when there
        is one (a steady level is not something a listener remarks on). The length's alternatives:
        one and two steps of its resolution either way, and the lengths the question names, heard
        at the same resolution (a coarse listener who heard "about 10 seconds" hears 9 s as that)."""
        step = heard_step(self.seconds)
        lengths = [self.seconds + k * step for k in (-2, -1, 1, 2)]
        lengths += [coarse_seconds(x) for x in mentions.lengths(question, choices) if SHORTEST <= x <= LONGEST]
        lengths = [s for s in dict.fromkeys(lengths) if s >= 1 and s != self.seconds]
        out = [HeardLine(length_line(self.seconds), tuple(length_line(s) for s in lengths), "duration"),
               HeardLine(content_line(self.speech), (content_line(not self.speech),), "")]
        if self.trend != "steady":
            # the other direction only: a steady level is never said, so it is no outcome of this line
            other = "quieter" if self.trend == "louder" else "louder"
            out.append(HeardLine(trend_line(self.trend), (trend_line(other),), "loudness"))
        return out


class QuestionKind:
    """Which built-in tool's questions a question is one of: the tool most relevant to it (the
    router's relevance, `env.features.ToolMatcher` with the tools' example questions) both as the
    question reads (quoted spans masked) and with its options after it; None where the two readings
    disagree. The built-in tools, not the configured ones: what kind a question is does not depend
    on which tools a run may call. `encoder` is a QuestionEncoder (all-MiniLM-L6-v2)."""

    READINGS = ("question_without_quotes", "question_without_quotes_and_choices")

    def __init__(self, encoder):
        from env.features import ToolMatcher, tool_texts
        from tools.registry import BUILTIN

        classes = list(BUILTIN.values())
        self.names = [cls.name for cls in classes]
        descriptions, examples = tool_texts(classes)
        self.encoder = encoder
        self.matcher = ToolMatcher(encoder, descriptions, "examples", examples, self.READINGS[0])
        self._kinds: dict[tuple, str | None] = {}

    def __call__(self, question: str, choices: Sequence[str]) -> str | None:
        from env.features import relevance_text

        key = (question, tuple(choices))
        if key not in self._kinds:
            tops = {self.names[int(np.argmax(self.matcher.relevance(self.encoder.encode(relevance_text(question, choices, of)))))]
                    for of in self.READINGS}
            self._kinds[key] = tops.pop() if len(tops) == 1 else None
        return self._kinds[key]


def separates(choices: Sequence[str], line: str, alternative: str) -> bool:
    """Whether a line and its alternative tell the choices apart by their words: some choice names a
    word only the line has and another a word only the alternative has (`contrast.word_sequence`
    stems: "someone speaks" / "nobody speaks" separates "someone is talking" from "nobody is")."""
    ours, theirs = words(line) - words(alternative), words(alternative) - words(line)
    named = [words(c) for c in choices]
    return any(a & ours and b & theirs for a in named for b in named if a is not b)


class CoarseHearing:
    """What a clip sounds like (HeardClip) for its path, memoized per path: a clip is heard once per process."""

    def __init__(self, encoder=None):
        """`encoder`: a zero-argument callable giving the QuestionEncoder `about` reads questions
        with (the reasoner's own sentence encoder); by default one is loaded on first use."""
        self._heard: dict[str, HeardClip] = {}
        self._encoder = encoder
        self._kind: QuestionKind | None = None

    def hear(self, path: str) -> HeardClip:
        if path not in self._heard:
            self._heard[path] = self._listen(path)
        return self._heard[path]

    @staticmethod
    def _listen(path: str) -> HeardClip:
        from tools.speech import speech_segments

        audio = load_audio(path)
        db = frame_db(audio.samples, audio.sample_rate)
        sound = db[db > np.max(db) - 30]  # the sound, not the silence around it
        quarter = max(1, len(sound) // 4)
        change = float(np.mean(sound[-quarter:]) - np.mean(sound[:quarter]))
        trend = "louder" if change > TREND_DB else "quieter" if change < -TREND_DB else "steady"
        return HeardClip(coarse_seconds(audio.duration), bool(speech_segments(audio)), trend)

    def kind(self, question: str, choices: Sequence[str]) -> str | None:
        """`QuestionKind` of a question, built on first use."""
        if self._kind is None:
            from env.features import QuestionEncoder

            self._kind = QuestionKind(self._encoder() if self._encoder else QuestionEncoder())
        return self._kind(question, choices)

    def about(self, line: HeardLine, question: str, choices: Sequence[str]) -> bool:
        """Whether a question is about what a heard line says, so its alternatives may be weighed:
        for a line a tool measures too (length, trend), the question is of that tool's kind
        (`QuestionKind`); for the speech line, a yes/no question names a word its alternatives
        change, or the choices fall on both sides of that change (`separates`: "someone talking" /
        "a beep" names one side only, and an order question asked so was answered "someone
        talking" from "someone speaks in it" at margins 0.37-0.52, wrong half the time). Not by
        words for a length: "about 3 seconds" against "about 5" changes a number, and a count's
        choices ("3", "5") name it (9 of 25 `count` training items were answered from the clip's
        length, wrong, at a sure margin). Nor by the speech line's kind: the speech segmenter's
        questions are also about order and counts, which the ear does not hear."""
        if line.measured_by:
            return self.kind(question, choices) == line.measured_by
        if mentions.is_yes_no(choices):
            return any(words(question) & changed_words(line.text, alt) for alt in line.alternatives)
        return any(separates(choices, line.text, alt) for alt in line.alternatives)

    def cannot_tell(self, request: ReasonRequest) -> bool:
        """Whether a yes/no question asks whether the clip has a length the ear hears as the length it
        heard, at a step coarser than a second (hearing v9): "Is this clip 25 s long?" over a clip
        heard as "about 25 seconds" is as likely a 23 or 27 s clip, so "yes" and "no" are a guess.
        Only for a question about the length line (`about`: "Is there a beep in the first 10
        seconds?" is not) that names one length."""
        if not (request.audio and mentions.is_yes_no(request.choices)):
            return False
        named = [x for x in mentions.lengths(request.question) if SHORTEST <= x <= LONGEST]
        clip = self.hear(request.audio)
        if len(named) != 1 or heard_step(clip.seconds) == 1 or coarse_seconds(named[0]) != clip.seconds:
            return False
        length = clip.lines(request.question, request.choices)[0]
        return self.about(length, request.question, request.choices)

    @staticmethod
    def hears_for(request: ReasonRequest) -> bool:
        """Whether the clip's heard lines join this request's evidence: it names a clip, and no tool
        line in it has alternatives (a measurement outranks an impression; `with_hearing`)."""
        return bool(request.audio) and not any(request.contrasts)

    def with_hearing(self, requests: Sequence[ReasonRequest]) -> list[ReasonRequest]:
        """Each request with the clip's heard lines first in its evidence, with their contrasts
        where the question is about them (`about`; elsewhere none: hearing v8); a request without a
        clip is unchanged. A measurement outranks an impression: a request where
        a tool's line has alternatives (a measurement the contrast rules can weigh) is left as it
        is. Hearing v2 kept the heard line there as context without its alternatives; it still
        moved the answers the tool settled ("It gets quieter." heard and measured, and "Does it
        die away over time?" went from yes to no), since a yes/no question about no word of either
        line is scored after every line (docs/PROMPTS.md "Hearing v3")."""
        out = []
        for r in requests:
            if not self.hears_for(r):
                out.append(r)
                continue
            heard = self.hear(r.audio).lines(r.question, r.choices)
            contrasts = tuple(r.contrasts) + ((),) * max(0, len(r.tool_texts) - len(r.contrasts))
            weighed = tuple(line.alternatives if self.about(line, r.question, r.choices) else () for line in heard)
            out.append(ReasonRequest(r.question, r.choices, tuple(line.text for line in heard) + tuple(r.tool_texts),
                                     r.audio, weighed + contrasts))
        return out
