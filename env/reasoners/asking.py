"""How a question is asked of the tools' lines before the contrast rule scores it (contrast.py).

The 135M reasoner echoes words: it answers well a question worded as the line that answers it
("Is the second tone lower than the first?" under "... the second tone is lower.") and badly the
same question in other words ("Which tone is lower?" / "the earlier one", "Does the melody
descend?", "Is the second tone not higher?"). So a question is asked in the lines' words and from
the side they speak of, and the answer is mapped back to the choices as asked
(`asked_as_the_tools_say`; docs/PROMPTS.md "Contrast rule v21", "Contrast rule v22").
"""
from __future__ import annotations

import re

from env.reasoners.sound_order import ordered_as_the_lines_say
from env.reasoners.types import ReasonRequest
from tools.mentions import (VERDICTS, in_the_lines_words, is_yes_no, spelled_comparisons, threshold, unnegated, verdicts,
                            without_set_aside)
from tools.registry import BUILTIN

# how questions word what the built-in tools' lines say, and the lines' words for it
QUESTION_WORDS = tuple(w for tool in BUILTIN.values() for w in tool.question_words)
# a comparison between two sounds, as the tools' lines word it: of the second against the first
_COMPARATIVES = {"higher": "lower", "lower": "higher", "louder": "quieter", "quieter": "louder", "softer": "louder",
                 "longer": "shorter", "shorter": "longer", "faster": "slower", "slower": "faster"}
# which of two sounds comes last, asked of the end: "What do you hear last?", "What does the clip end with?"
_AT_THE_END = re.compile(r"\b(hear|heard|comes?|plays?|occurs?|is|are)\s+last\b|\b(ends?|finish(?:es)?)\s+with\b",
                         re.IGNORECASE)
_AT_THE_START = {"end": "start", "ends": "starts", "finish": "start", "finishes": "starts"}


# the two sounds of a comparison by place: "the earlier one", "#2", "at the end"; as a choice also
# "tone A" / "B", which a question uses as names too ("Call the first tone A")
_FIRST = r"\b(?:first|1st|earlier|earliest|former|opening|start|beginning|number one)\b|#1\b"
_SECOND = r"\b(?:second|2nd|later|latter|closing|end|number two|next|after)\b|#2\b"
_FIRST_CHOICE = re.compile(_FIRST + r"|(?<![\w'])A\b")
_SECOND_CHOICE = re.compile(_SECOND + r"|\blast\b|(?<![\w'])B\b")
# in a question "last" is also the verb ("Does the first sound last longer?")
_FIRST_SOUND, _SECOND_SOUND = re.compile(_FIRST, re.IGNORECASE), re.compile(_SECOND + r"|\bthe last\b", re.IGNORECASE)
# a line's comparison of the second of two sounds with the first: "the second tone is higher"
_LINE_COMPARES = re.compile(r"\bthe second (\w+) is (" + "|".join(_COMPARATIVES) + r")\b")
# a comparison as a question words it, and as a choice does ("the high one"), in the lines' words
_IN_LINE_WORDS = {**{w: w for w in _COMPARATIVES}, "above": "higher", "below": "lower"}
_ASKED_COMPARES = re.compile(r"\b(" + "|".join(_IN_LINE_WORDS) + r")\b", re.IGNORECASE)
_CHOICE_WORDS = {**_IN_LINE_WORDS, "high": "higher", "low": "lower"}
_CHOICE_COMPARES = re.compile(r"\b(" + "|".join(_CHOICE_WORDS) + r")\b", re.IGNORECASE)
# what a question compares its subject with, which names the other sound: "than the second", "relative to the first tone"
_COMPARED_WITH = re.compile(r"\b(?:than|relative to|compared (?:to|with)|in comparison (?:to|with)|versus)\s+"
                            r"(?:the\s+)?(?:one (?:after|before) it|one that follows|[\w#]+(?:\s+(?:one|tone|note|beep|sound|pitch))?)",
                            re.IGNORECASE)
# "from the first tone to the second": a movement the lines speak of as they are ("the pitch goes up")
_FROM_TO = re.compile(r"\bfrom\b.*\bto\b", re.IGNORECASE)


def _all_lines(request: ReasonRequest) -> str:
    """The request's tool lines and their alternatives, as one text: what a line or an alternative says."""
    return " ".join([*request.tool_texts, *(t for ts in request.contrasts for t in ts)])


def _in_line_word(text: str, pattern: re.Pattern) -> str | None:
    """The one comparison the text makes, in the lines' word; None for none or several."""
    words = {_CHOICE_WORDS[w.lower()] for w in pattern.findall(text)}
    return words.pop() if len(words) == 1 else None


def _subject_is_first(question: str) -> bool | None:
    """Whether a comparison's subject is the first of two sounds ("Is the opening note higher than
    the closing note?"), the second, or None where the question does not say which or compares a
    sound with a number ("Is the first sound longer than 2 seconds?")."""
    if _FROM_TO.search(question) or threshold(question) is not None:
        return None
    rest = _COMPARED_WITH.sub(" ", question)
    first, second = bool(_FIRST_SOUND.search(rest)), bool(_SECOND_SOUND.search(rest))
    return first if first != second else None


def compared_as_the_lines_say(request: ReasonRequest) -> tuple[ReasonRequest, tuple[int, ...]] | None:
    """A comparison of two sounds asked as the lines speak of it: "Is the second tone lower than the
    first?" where a line (or an alternative) says "the second tone is higher", in that line's word
    for the sounds. Returns the yes/no request and, per original choice, the index of its answer
    there; None where the question is not such a comparison or no line compares the two sounds.

    Three forms: which of two sounds is higher, its choices naming them by place ("Which tone is
    lower?" / "the earlier one", "tone B"): the second is "yes"; a yes/no comparison ("Is the
    opening note higher than the closing note?"); two choices that are the comparison ("Is the
    first beep higher or lower than the second?" / "higher", "lower"; "the high one", "the low
    one"). Of the last two, one about the first sound is asked of the second, its answer the other.

    The yes/no request holds only the lines that make that comparison (and their alternatives).

    Why: the 135M model echoes words. "The first" and "the second" are in every outcome's line:
    asked "Which tone is lower?" under "the second tone is higher", it picks the first choice
    whatever the clip; asked about the first tone, it echoes "higher". Asked whether the second
    tone is lower than the first, it reads the line (docs/PROMPTS.md "Contrast rule v22")."""
    lines = _all_lines(request).lower()
    said = sorted(set(_LINE_COMPARES.findall(lines)))
    if not said or len(request.choices) != 2:
        return None
    question = request.question
    sides = [(bool(_FIRST_CHOICE.search(c)), bool(_SECOND_CHOICE.search(c))) for c in request.choices]
    if sorted(sides) == [(False, True), (True, False)]:  # which of the two: the second is "yes"
        word, order = _in_line_word(question, _ASKED_COMPARES), tuple(1 - int(second) for _, second in sides)
    else:
        first = _subject_is_first(question)
        if first is None:
            return None
        if is_yes_no(request.choices):
            word = _in_line_word(question, _ASKED_COMPARES)
            yes = [c.strip().lower() for c in request.choices].index("yes")
            order = (0, 1) if yes == 0 else (1, 0)
        else:
            words = [_in_line_word(c, _CHOICE_COMPARES) for c in request.choices]
            if None in words or words[1] != _COMPARATIVES.get(words[0]):
                return None
            word, order = words[0], (0, 1)  # the first choice's word is asked: "yes" is the first choice
        if first:
            order = order[::-1]
    noun = next((noun for noun, said_word in said if word in (said_word, _COMPARATIVES[said_word])), None)
    if word is None or noun is None:
        return None
    # asked of the lines that make this comparison: another tool's "the second sound is longer"
    # and its alternative "the first sound is longer" change the question's "second" and "first",
    # and the yes/no rule would read that line instead (the event counter beside the pitch tool)
    alternatives = [request.contrasts[i] if i < len(request.contrasts) else () for i in range(len(request.tool_texts))]
    makes = [i for i, text in enumerate(request.tool_texts)
             if any((noun, w) in _LINE_COMPARES.findall(t.lower()) for t in (text, *alternatives[i])
                    for w in (word, _COMPARATIVES[word]))]
    asked = ReasonRequest(f"Is the second {noun} {word} than the first?", ("yes", "no"),
                          tuple(request.tool_texts[i] for i in makes), request.audio, tuple(alternatives[i] for i in makes))
    return asked, order


def asked_as_the_tools_say(request: ReasonRequest) -> tuple[ReasonRequest, tuple[int | None, ...]]:
    """The request with its question asked from the side the tools' lines speak of, and per choice
    the index of the asked request's choice whose score is its own (the identity where nothing is
    turned; (1, 0) where the answer is the other of two choices).

    The lines speak of the second of two sounds against the first ("the second tone is higher") and
    of the one heard first ("Heard first: the speech"). A question asked from the other side shares
    the line's words with the opposite answer, and the 135M model echoes words: "Is the first tone
    lower than the second?" under "... the second tone is higher." -> no; "What do you hear last?"
    under "Heard first: the speech." -> speech (docs/RESULTS.md "Unfamiliar clips and wordings").
    So a yes/no comparison from the first sound is asked of the second with the opposite word (the
    same question: "the first lower than the second" is "the second higher than the first"), and a
    question of two choices about the last sound is asked of the first, its answer the other choice.
    A yes/no question about the end is left as asked: "Does it end with speech?" is "does it not
    start with speech?" only for a clip of exactly two sounds, which a yes/no question need not be.

    First, what a tool's line says is asked in the line's words, where that line (or one of its
    alternatives) is in the request: "Does it die away toward the end?" under "... the sound gets
    quieter." as "Does it get quieter toward the end?", "Is there a break partway through?" under
    "... a silent gap ..." as "Is there a silent gap partway through?" (the tools' `question_words`).
    The model read those four questions of benchmarks/unseen_clips.py the wrong way with the right
    line, and all four right in the line's words (docs/PROMPTS.md "Contrast rule v21").

    Then a yes/no question's one negation is taken out and its answer is the other: "Does the hum
    fail to grow louder?" is "Does the hum get louder?" turned round. The model echoes the line's
    words and passes over a "not" (docs/PROMPTS.md "Contrast rule v22").

    A statement with the choices "true" and "false" ("True or false: there are not five claps.")
    is all of that asked with "yes" and "no" (docs/PROMPTS.md "Contrast rule v23").

    Before all of it, a comparison typed as a symbol ("Speaker count = 2?", "length > 5 s") is
    spelled in words, which every reading of a comparison knows (docs/PROMPTS.md "Contrast rule v34")."""
    spelled = spelled_comparisons(request.question)
    if spelled != request.question:
        request = _with_question(request, spelled)
    as_yes_no = _true_false_as_yes_no(request)
    if as_yes_no is not None:
        asked, order = as_yes_no
        asked, inner = asked_as_the_tools_say(asked)
        return asked, tuple(inner[k] for k in order)
    question = in_the_lines_words(request.question, QUESTION_WORDS,
                                  _all_lines(request))
    if question != request.question:
        request = _with_question(request, question)
    as_they_are = tuple(range(len(request.choices)))
    if is_yes_no(request.choices):
        question, negated = unnegated(without_set_aside(question))
        if question != request.question:
            request = _with_question(request, question)
        compared = compared_as_the_lines_say(request) or ordered_as_the_lines_say(request)
        request, order = compared if compared is not None else (request, as_they_are)
        return request, (order[::-1] if negated else order)
    compared = compared_as_the_lines_say(request) or ordered_as_the_lines_say(request)
    if compared is not None:
        return compared
    if len(request.choices) != 2 or not _AT_THE_END.search(question):
        return request, as_they_are
    turned = _AT_THE_END.sub(lambda m: f"{m.group(1)} first" if m.group(1) else
                                       f"{_AT_THE_START[m.group(2).lower()]} with", question)
    return _with_question(request, turned), (1, 0)


_HOLDS, _FAILS = (r"(?:" + "|".join(pair[k] for pair in VERDICTS) + ")" for k in (0, 1))
# "True or false: the clip holds five claps." asks whether the statement holds
_TRUE_FALSE_LEAD = re.compile(rf"^\s*(?:{_HOLDS}\s+or\s+{_FAILS}|is\s+(?:this|the following)\s+(?:statement\s+)?"
                              rf"{_HOLDS})\s*[:?,.-]*\s*", re.IGNORECASE)


def _true_false_as_yes_no(request: ReasonRequest) -> tuple[ReasonRequest, tuple[int, ...]] | None:
    """A statement with the choices "true" and "false" (or "correct" and "incorrect", "right" and
    "wrong", "accurate" and "inaccurate"), asked with "yes" and "no" and the order from its choices
    to those; None for other choices. The yes/no rules (a negation taken out, a number compared,
    the contrast of a question with its lines) are written for "yes" and "no"."""
    verdict = verdicts(request.choices)
    if verdict is None:
        return None
    said = [str(c).strip().lower() for c in request.choices]
    statement = _TRUE_FALSE_LEAD.sub("", request.question).strip() or request.question
    return _with_question(ReasonRequest(request.question, ("yes", "no"), request.tool_texts, request.audio,
                                        request.contrasts), statement), tuple(0 if c == verdict[0] else 1 for c in said)


def _with_question(request: ReasonRequest, question: str) -> ReasonRequest:
    return ReasonRequest(question, request.choices, request.tool_texts, request.audio, request.contrasts)
