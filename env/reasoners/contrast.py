"""The contrast rule's pieces: alternative evidence from the tools' contrasts, and scoring
against it (env/reasoners/smollm2.py `contrast`; ToolResult.contrasts says where they come from).

A small reasoner copies words from the evidence next to its answer; it cannot turn "the second
tone is lower" into "no" to "is the second tone higher?". It can tell which of two statements a
question echoes. So: score the question (or each choice) after the measured tool lines and after
the same lines with one tool's line replaced by what that tool would have said for another
outcome; the measured lines should explain the right answer better than any alternative does.
"""
from __future__ import annotations

import difflib
import re
from typing import Sequence

from env.reasoners.types import ReasonRequest
from tools.mentions import (CARDINALS, MEASURES, PEOPLE_COUNTED, QUOTED, counts_people, equal_count, is_yes_no,
                            midi_notes, phrase_words, quoted_phrase, several_speak, threshold, unit_name, unnegated)

CONTRASTS = ("none", "yes_no", "choices", "meaning")
# meaning: nats of evidence-PMI score per unit of cosine contrast (below). Chosen on probe v2's
# train split of an independent draw (seed 1, 210 multiple-choice items, expert tool): weights
# 10/20/50/100/200 gave 88.1/88.6/91.9/91.9/92.4% (PMI alone 85.7%); docs/PROMPTS.md
MEANING_WEIGHT = 200.0
# meaning: a choice's contrast is shrunk towards 0 by this much (soft threshold, `shrunk`). The encoder's
# cosines put "The beat stays steady." nearer "rises" than "falls", so a line about something else
# moved the choices by 0.01-0.06 and, x MEANING_WEIGHT, answered at p 0.97-0.99 (a tempo line on
# "Which way does the melody go?"): on the demo's train split (200 items, every applicable tool's line
# alone) an unrelated tool matched the expert's answer at p >= 0.9 on 30 items, and PPO seeds chose
# between such tools by chance. 0.02 is the median contrast per choice of those unrelated lines, and
# the largest of 0.02 / 0.03 / 0.04 / 0.06 at which the expert tool loses no item on the train split
# (198 / 197 / 197 / 195 of 200) and the validation split (113 / 113 / 113 / 111 of 117); it leaves
# 9 such items of 200 (validation 21 -> 9 of 117; docs/PROMPTS.md "Contrast rule v29")
MEANING_NOISE = 0.02
# meaning, yes/no questions: where the 135M model's margin (question after the measured lines
# against after the alternatives) is under this many nats, it is a guess ("Heard first: the speech"
# against its swap moves "Is the voice heard first?" by 0.2 nats, inside bfloat16's batch noise),
# and the sentence encoder's meaning decides instead (`yes_no_meaning`). Chosen on the yes/no items
# of the demo's train and validation splits and of an independent draw's (seed 1), expert tool:
# bands 0 / 0.5 / 1 / 2 nats right on 321 / 326 / 329 / 328 of 349 (docs/PROMPTS.md "Contrast rule v14").
# Widened to 1.75 (rule v30): a line about something else moves a question by 1-1.75 nats too ("the
# speaker is likely male" makes "Do two people take turns speaking?" 1.3-1.6 nats likelier), and
# such a margin wins the relative reward over the tool that answers. 1.75 is the widest band at which
# the expert tool loses no yes/no item on the demo's train and validation splits (117/119, 24/26 for
# 1 to 1.75; 2 nats: 116); unrelated lines within 0.02 of the expert's p(correct): train 24 -> 13
# of 120 items, validation 5 -> 4 of 29 (docs/PROMPTS.md "Contrast rule v30")
YES_NO_DOUBT = 1.75
# ... scaled so that the encoder's usual cosine differences (0.01-0.1) stay inside that band: the
# answer's probability says it was a close call
YES_NO_MEANING_SCALE = 10.0
# part of the reasoner id: bump when the rule's scoring or its alternatives change. 15, 17 and 18 were rules tried and
# not taken (docs/PROMPTS.md "Contrast rule v15", "Contrast rules v17 and v18"): their ids name cached answers, so the
# next rule is 19 (each version: docs/PROMPTS.md "Contrast rule vN") 21-22: a question asked in the lines' words, its
# negation taken out, a comparison of two sounds asked as the lines make it; 24-25: a length as a moment, units on
# digits, order asked as the segmenter says it; 26-28: other verdicts, a set-aside alternative, a named note, a named
# phrase said; 29-30: meaning noise, doubt band 1.75 nats; 31: more comparison words, Y / N, "disagree"; 32: counts in
# words and asked exactly; 33: "more than one person" without a number; 34: comparisons typed as symbols, agree /
# disagree, "more than a single"; 35: a measure read off a line in its unit, a count of people off a people count
# alone, no other count off one; 37 (36 not taken): a count said to be a number without "exactly" ("Is the number of
# spoken phrases three?")
CONTRAST_VERSION = 37  # the questions' asking: env/reasoners/asking.py; thresholds and negations: tools/mentions.py
# the margin such a reading gets: as sure as the model's own clear readings (the median margin of its
# right yes/no answers outside the doubt band, expert tool, demo train split: 3.6 nats; docs/PROMPTS.md
# "Contrast rules v17 and v18"), not certainty: the measurement can be wrong
THRESHOLD_MARGIN = 3.5


def swapped_evidence(request: ReasonRequest) -> list[tuple[int, tuple[str, ...]]]:
    """(line, evidence) for every alternative of every tool line: that line replaced by one of
    its tool's contrasts, the others as measured."""
    texts = request.tool_texts
    return [(i, texts[:i] + (alt,) + texts[i + 1:])
            for i, alts in enumerate(request.contrasts[: len(texts)]) for alt in alts]


def kept_shifts(shifts: list[list[float]], keep: float) -> list[list[float]]:
    """The shifts (measured minus alternative, per candidate) of the alternatives that matter: those
    that move the scores at least `keep` as much as the one that moves them most. "Move" is, for one
    candidate (a yes/no question's own score), the change in its score; for several (the choices),
    the change in their scores relative to each other (an alternative that lowers every choice
    alike says nothing about which one is right)."""
    def effect(shift: list[float]) -> float:
        if len(shift) == 1:
            return abs(shift[0])
        centre = sum(shift) / len(shift)
        return max(abs(d - centre) for d in shift)

    strongest = max(effect(s) for s in shifts)
    return [s for s in shifts if effect(s) >= keep * strongest]


def contrast_scores(measured: list[float], alternatives: list[list[float]], mean: bool,
                    keep: float = 0.5) -> list[float]:
    """Each candidate's measured score minus its score under the alternatives that matter (their
    best, or with `mean` their mean).

    An alternative matters when it moves the scores at least `keep` (half) as much as the one that
    moves them most (`kept_shifts`): a tool line often says two things (a gap and a trend; a tempo
    and its change) and its alternatives change one of them, and with every tool called most lines
    are about something else; those alternatives leave the answer where it was and must not
    outvote the ones that change it."""
    kept = kept_shifts([[m - a for m, a in zip(measured, alt)] for alt in alternatives], keep)
    pick = (lambda v: sum(v) / len(v)) if mean else min  # min shift = measured - the best alternative
    return [pick([s[k] for s in kept]) for k in range(len(measured))]


def sentences(text: str) -> list[str]:
    """A tool text's sentences (a full stop before a space and a capital; "0.7 s" stays whole)."""
    return [t for t in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if t]


STOPWORDS = frozenset("a an the it is are of to from in on at and or s by than".split())
# a count worded in the question ("two times", "twice") meets the digit a tool writes ("2")
NUMBER_WORDS = {w: str(n) for n, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                                 "twelve".split())} | {"once": "1", "twice": "2", "thrice": "3"}


def word_sequence(text: str) -> list[str]:
    """A text's words and numbers in order ("a#4" one word), lower case, without the few function
    words every line has, each cut to its first five letters: a crude stem that lets "silence" meet
    "silent" and "increasing" meet "increases". Number words up to twelve read as digits."""
    found = (NUMBER_WORDS.get(w, w) for w in re.findall(r"[a-z0-9#]+(?:\.\d+)?", text.lower()))
    return [w[:5] if w.isalpha() else w for w in found if w not in STOPWORDS]


def words(text: str) -> set[str]:
    """`word_sequence` as a set."""
    return set(word_sequence(text))


def changed_words(ours: str, theirs: str) -> set[str]:
    """The words one text changes against the other: those outside the longest in-order match of
    the two word sequences. Two statements with the same words in another order ("the speech comes
    before the tone" / "the tone comes before the speech") change the words that moved, where a
    set difference saw none."""
    return set(_outside_match(word_sequence(ours), word_sequence(theirs)))


def _outside_match(a: list[str], b: list[str]) -> list[str]:
    """The items of two sequences outside their longest in-order match, in order."""
    changed = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            changed += a[i1:i2] + b[j1:j2]
    return changed


def differing_sentences(measured: Sequence[str], alternative: Sequence[str]) -> tuple[str, str]:
    """What an alternative evidence changes: the measured sentences it lacks and its own sentences
    the measured lines lack (the whole texts where one side has none)."""
    ours, theirs = sentences(" ".join(measured)), sentences(" ".join(alternative))
    only_ours = [t for t in ours if t not in theirs]
    only_theirs = [t for t in theirs if t not in ours]
    return " ".join(only_ours) or " ".join(ours), " ".join(only_theirs) or " ".join(theirs)


def swaps_about(request: ReasonRequest, named: set[str],
                encode=None) -> list[tuple[tuple[int, tuple[str, ...]], tuple[str, str]]]:
    """The alternatives (`swapped_evidence`, each with its `differing_sentences`) that change the
    most words of `named` (the words of the choices, or of a yes/no question), when any changes
    one: those are about what is asked.
    With every tool called, most alternatives change a line about something else, and an
    alternative about something else can still move a score by chance (a sentence encoder puts
    "second" near a count of "2"). Where none changes a named word (a paraphrase: "does it swell?"
    against "gets louder"), all of them; or, given `encode` (text -> unit vector) and several lines
    with alternatives, those of the line whose alternatives change what is nearest in meaning to
    the question and its choices (`changed_text`): the paraphrase is still about one thing, and a
    length's alternatives must not answer "what happens to the loudness?" (the reasoner's
    `paraphrase_line`; docs/PROMPTS.md "Hearing v4 and `paraphrase_line`")."""
    swaps = swapped_evidence(request)
    # only the swapped line: where an alternative only adds a sentence ("It gets louder."), the
    # measured side stands as that line, not as every line (which named every word of the prompt)
    pairs = [differing_sentences((request.tool_texts[line],), (texts[line],)) for line, texts in swaps]
    shared = [len(named & changed_words(ours, theirs)) for ours, theirs in pairs]
    most = max(shared, default=0)
    lines = sorted({line for line, _ in swaps})
    if most == 0 and encode is not None and len(lines) > 1:
        asked = encode(asked_text(request))
        topics = {i: " ".join(dict.fromkeys(w for (line, _), pair in zip(swaps, pairs) if line == i
                                            for w in changed_text(*pair))) for i in lines}
        nearest = max(lines, key=lambda i: float(asked @ encode(topics[i])))
        return [(swap, pair) for swap, pair in zip(swaps, pairs) if swap[0] == nearest]
    return [(swap, pair) for swap, pair, n in zip(swaps, pairs, shared) if n == most]


def changed_text(ours: str, theirs: str) -> list[str]:
    """The words, as written, that one text changes against the other (`changed_words` without the
    stemming): what a line's alternatives are about ("falls quieter rises louder"), for the encoder.
    The whole line would not do: "the clip lasts about 3 seconds" is near "how does the volume
    change over the clip?" by its "clip", and what that line's alternatives change is a number."""
    a, b = ([w.strip(".,:;!?\"'") for w in text.lower().split()] for text in (ours, theirs))
    return [w for w in _outside_match(a, b) if w]


def asked_text(request: ReasonRequest) -> str:
    """What a request asks, for the sentence encoder: the question, then its choices unless yes/no."""
    if is_yes_no(request.choices):
        return request.question
    return f"{request.question} {' / '.join(request.choices)}"


def yes_no_evidence(request: ReasonRequest, encode=None) -> tuple[list[tuple[str, ...]], list[int]]:
    """The evidence the yes/no rule scores the question after: the measured lines, then each
    alternative about the question's words (`swaps_about`), and the line each alternative swaps.
    When the alternatives change a word of the question, only the lines they swap are kept, on
    both sides: a line about something else is the same on both sides, so it cannot tell them
    apart, but as context it moves two long log-likelihoods by more than their difference (with
    "Number of different speakers: 1." before it, "The speaker says 'the cat is sleeping'." lost
    to its "does not say" alternative on a question about that phrase)."""
    named = words(request.question)
    kept = swaps_about(request, named, encode)
    # every kept alternative changes the same number of the question's words (`swaps_about`): one says it
    about = bool(kept) and bool(named & changed_words(*kept[0][1]))
    lines = sorted({line for (line, _), _ in kept}) if about else list(range(len(request.tool_texts)))
    pick = lambda texts: tuple(texts[i] for i in lines)  # noqa: E731
    evidence = [pick(request.tool_texts)] + [pick(texts) for (_, texts), _ in kept]
    return evidence, [line for (line, _), _ in kept]


def yes_no_meaning_evidence(request: ReasonRequest, encode=None) -> list[tuple[str, str]]:
    """The text pairs `yes_no_meaning` encodes besides the question: per alternative about the
    question's words (`swaps_about`), (the measured sentences it changes, what it says instead)."""
    return [pair for _, pair in swaps_about(request, words(request.question), encode)]


def yes_no_meaning(encode, request: ReasonRequest) -> float:
    """A yes/no question's cosine with what the measured lines say minus its cosine with what an
    alternative says instead, the least over the alternatives that matter (as the yes/no rule
    takes its margin): positive reads "yes". Used only where the 135M model's own margin is a
    guess (YES_NO_DOUBT): over every margin it lost to alternatives about something else under
    all ten tools (docs/PROMPTS.md "Tried and not taken")."""
    pairs = yes_no_meaning_evidence(request, encode)
    if not pairs:
        return 0.0
    question = encode(request.question)
    shifts = [[float(question @ (encode(ours) - encode(theirs)))] for ours, theirs in pairs]
    return min(s[0] for s in kept_shifts(shifts, 0.5))


def meaning_evidence(request: ReasonRequest, encode=None) -> list[tuple[str, str]]:
    """The text pairs `meaning_contrast` encodes besides the choices: per alternative evidence about
    the choices (`swaps_about`), (the measured sentences it changes, what it says instead)."""
    named = set().union(*(words(c) for c in request.choices))
    return [pair for _, pair in swaps_about(request, named, encode)]


def meaning_contrast(encode, choices: Sequence[str], request: ReasonRequest) -> list[float]:
    """Per choice, how much better the measured lines' meaning fits it than the alternatives' does
    (`encode`: text -> unit vector, a sentence encoder). Under one alternative: the choice's cosine
    with what the measured lines say minus its cosine with what the alternative says instead (the
    choice's shift), less the choices' mean shift. Under several, each pair of choices is told apart
    by the alternative that separates them most (`pairwise_contrast`). Each is then shrunk by the
    encoder's noise (MEANING_NOISE, `shrunk`).

    Only the sentences an alternative changes are compared: the rest is the same on both sides,
    and inside a whole text it dilutes the difference ("gets quieter" against "gets louder" under a
    shared "The sound runs without a break.") and adds its own cosine noise, which let an
    alternative about something else (a gap, when the question is about the trend) move the
    choices as much as the one that matters. The alternatives are those about the choices
    (`swaps_about`: under a question about which sound is longer, the count alternatives change no
    word of "first" / "second").

    A sentence encoder places "falls" nearer "the pitch goes down" than "the pitch goes up", and
    "accelerates" nearer "it gets faster", where the 135M reasoner's choice scores do not; its weak
    spot is the reverse: two statements with the same words in another order ("the first sound is
    longer than the second"), which the reasoner's own score, added to this one, still tells apart."""
    import numpy as np

    pairs = meaning_evidence(request, encode)
    if not pairs:
        return [0.0] * len(choices)
    vectors = np.stack([encode(c) for c in choices])
    shifts = [[float(v) for v in vectors @ (encode(ours) - encode(theirs))] for ours, theirs in pairs]
    return shrunk(pairwise_contrast(shifts), MEANING_NOISE)


def shrunk(values: list[float], noise: float) -> list[float]:
    """Each value moved `noise` towards 0, and 0 where it is smaller (a soft threshold): a contrast
    as small as what lines about something else produce says nothing, and a larger one says only
    what it has beyond that."""
    return [max(abs(v) - noise, 0.0) * (1.0 if v > 0 else -1.0) for v in values]


def pairwise_contrast(shifts: list[list[float]]) -> list[float]:
    """Per choice, the mean over the choices of its shift minus theirs, each pair's difference taken
    under the alternative that separates that pair most (the one with the largest difference either
    way). With one alternative this is each shift less the mean shift.

    Why not one average over the alternatives: each alternative tells apart the choices it is about.
    Under "The beat slows down ...: it gets slower.", "The beat stays steady." moves the steady
    choice far down and "speeds up" and "slows down" alike, so it says nothing between those two,
    and "The beat speeds up ..." tells them apart by a smaller amount. Their mean (or the strongest
    alone, the rule before) let the steady alternative's noise decide between speeding and slowing:
    "speeds up" at p 0.86-0.95 over a measured slowing (docs/PROMPTS.md "Contrast rule v16")."""
    n = len(shifts[0])

    def apart(i: int, j: int) -> float:
        return max((s[i] - s[j] for s in shifts), key=abs)

    return [sum(apart(i, j) for j in range(n) if j != i) / n for i in range(n)]


# a number in a tool's text and the word after it: "-9 dB", "0.83 s", "72 BPM", a count in words
# ("Two people speak": the speaker counter's line); not the octave of a note name ("A#5", "E5")
_TEXT_NUMBER = re.compile(r"((?<![\w.#])-?\d+(?:\.\d+)?|(?<![\w.#-])(?:" + "|".join(CARDINALS) + r")(?![\w-]))"
                          r"(?:\s*([A-Za-z]+))?", re.IGNORECASE)


def _text_numbers(text: str) -> list[tuple[float, str]]:
    """Each number of a tool's text, in order, with the word after it."""
    return [(float(CARDINALS.get(x.lower(), x)), u) for x, u in _TEXT_NUMBER.findall(text)]


def compared_number(request: ReasonRequest) -> bool | None:
    """The answer ("yes": True) to a yes/no question that compares the measured value with a number
    it names ("Is it longer than 9 seconds?", "Are there more than two claps?"), read off the
    measured number; None where the question makes no such comparison or the evidence does not say
    which number is the measured value.

    Why not the contrast rule: it scores the question after the measured line and after the line the
    tool would have said at the value the question names (`question_contrasts`). That suits "is it
    9 s long?"; for "longer than 9 seconds?" the 9 s line echoes the question's "9" whatever the
    length (6 of the 9 such questions of benchmarks/unseen_clips.py answered wrong with the right
    tool's line; docs/PROMPTS.md "Contrast rule v19").

    The measured value is the number at the place in a tool line where one of its alternatives names
    the question's number instead (the tool's reading at that value), or, where none does, a number
    of the measured line equal to it that an alternative changes. Where the lines give values on
    both sides of the comparison (every tool called: "longer than 9 seconds?" meets the event
    counter's alternative at 9 events), the values in the question's unit decide ("seconds"), and
    without one, None.

    A count asked for exactly ("Is the number of speakers exactly 2?", "a single speaker":
    `equal_count`) is read the same way, off a count and never off a length, tempo or level. The
    speaker counter's line is in words ("Two people speak in the clip.": `describe`), and the
    model's contrast of it against "One person speaks" read such questions the wrong way round
    (benchmarks/question_wordings.py --set speakers, build half: exactly 62 of 90 right with the
    right line, 90 of 90 so; docs/PROMPTS.md "Contrast rule v32"). More than one person asked without
    a number ("Can you hear multiple distinct speakers?": `several_speak`) is read off a count of
    people alone (docs/PROMPTS.md "Contrast rule v33")."""
    asked, several = threshold(request.question), None
    if asked is None and (counted := equal_count(request.question)) is not None:
        asked = counted, False  # a negation is taken out before (env/reasoners/asking.py)
    elif asked is None and (several := several_speak(request.question)) is not None:
        asked = several, False
    if asked is None or not is_yes_no(request.choices):
        return None
    limit, negated = asked
    if limit.unit == "note":  # the measured note, as the pitch line names it ("the note E4")
        measured = {note for text in request.tool_texts for note in midi_notes(text)}
        return limit.holds(measured.pop()) != negated if len(measured) == 1 else None
    named, equal = set(), set()  # (measured value, its unit)
    for text, alternatives in zip(request.tool_texts, request.contrasts):
        ours = [(x, unit_name(u)) for x, u in _text_numbers(text)]
        for alternative in alternatives:
            theirs = [x for x, _ in _text_numbers(alternative)]
            if len(theirs) != len(ours):
                continue
            named.update(m for m, a in zip(ours, theirs) if m[0] != a and a == limit.value)
            equal.update(m for m, a in zip(ours, theirs) if m[0] != a and m[0] == limit.value)
    # a count asked for exactly: the line's count equal to it is as much the reading as one an
    # alternative changes to it; never a length, a tempo or a level
    values = {(v, unit) for v, unit in named | equal if unit not in MEASURES} if limit.above is None else named or equal
    # a measure is read off a line in its unit, and people are counted by a line that counts people
    # and never answer a count of anything else: "longer than 9 seconds?" is not read off "Two people
    # speak", "Is there only one speaker?" not off "3 sound events", "exactly 3 beeps?" not off "One
    # person speaks" (rule v35); a count with no noun ("exactly 3?") is left as it is
    people = True if several is not None else counts_people(limit.unit)
    if limit.unit in MEASURES:
        values = {(v, unit) for v, unit in values if unit == limit.unit}
    elif people is not None:
        values = {(v, unit) for v, unit in values if (unit in PEOPLE_COUNTED) == people}
    if len({limit.holds(v) for v, _ in values}) > 1 and limit.unit:
        values = {(v, unit) for v, unit in values if unit == limit.unit}
    verdicts = {limit.holds(v) for v, _ in values}
    if len(verdicts) != 1:
        return None
    return verdicts.pop() != negated


def said_phrase(request: ReasonRequest) -> bool | None:
    """The answer ("yes": True) to a yes/no question whether a phrase it names is spoken ('Is the
    sentence "we are late" heard here?'), read off the tool line that names the same phrase, said
    or not ('The speaker does not say "we are late".', against its alternative without the "not");
    None where no line and alternative name it.

    Why not the contrast rule: the line and its alternative differ by one "not", and the 135M
    model's score of a question that does not echo the line's "says" barely moves between them
    (benchmarks/question_wordings.py, phrase build half: 'Is the sentence "X" spoken in this clip?'
    7 of 12 right with the right line; docs/PROMPTS.md "Contrast rule v28")."""
    phrase = quoted_phrase(request.question)
    if phrase is None or not is_yes_no(request.choices):
        return None
    words = phrase_words(phrase)
    names = lambda text: (p := quoted_phrase(text)) is not None and phrase_words(p) == words  # noqa: E731
    said = {not unnegated(QUOTED.sub('"..."', text))[1]  # the line's own "not", not the phrase's
            for text, alternatives in zip(request.tool_texts, request.contrasts)
            if names(text) and any(names(a) for a in alternatives)}
    return said.pop() if len(said) == 1 else None

