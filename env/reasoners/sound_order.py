"""Which of two sounds a question asks to come first, asked as the speech segmenter's line says it.

The segmenter's line says the order of the speech and the one other sound as "Heard first: the
talking. The talking comes before the chirping." (tools/speech.py), and its alternative says the
other order. The 135M reasoner echoes words: asked "Does the chirping wrap up the recording?" or
"Which part comes second?" it answered the same whatever the clip (benchmarks/question_wordings.py
`--set order`, docs/PROMPTS.md "Contrast rule v25"). So an order question is read for what it asks
of the line, whether the speech comes first, and asked in the line's words: "Does the talking
come before the chirping?", its answer mapped back to the choices as asked.

What a question asks is read from its words for time ("first", "before", "opens", "kicks off";
"last", "after", "follows", "wraps up", "second") and where it names the speech and the other
sound:
- a yes/no question with "before" / "after" between the two ("Is the beep heard after the voice?")
  asks about the sound named before that word; otherwise about the one sound it names ("Does the
  clip start with speech?", "Is the whistle the last thing in the clip?").
- a question whose choices name the two sounds ("the talking" / "the beep") asks which is first
  or last, by its word for time; choices that say the order ("speech, then the beep", "the beep
  followed by a voice", "before" / "after", "after the talking") each say which came first;
  a choice that says neither ("they overlap", "silence") is never the answer.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from env.reasoners.types import ReasonRequest
from tools.mentions import SPEECH_WORDS, is_yes_no

# the speech, as questions and choices name it (the names the segmenter knows) or say it is made;
# not "non-speech", not "Would you say ..."
_SPEECH = re.compile(r"(?<!non-)(?<!non)(?:" + SPEECH_WORDS.pattern
                     + r"|\b(?:talk\w*|speak\w*|spoken|saying|says|sing\w*|dialogue|narrat\w*|announc\w*)\b)",
                     re.IGNORECASE)
# the other sound named without its name
_OTHER = r"\b(?:non-?speech(?:\s+sound)?|other sound)\b"
# words for time: the one named is first (True) or last (False)
_BEFORE = r"before|precede[sd]?|preceding|ahead of|prior to|earlier than"
_AFTER = r"after|follow(?:s|ed|ing)?|later than"
_FIRST = (_BEFORE + r"|first|1st|earlier|earliest|start\w*|open\w*|begin\w*|began|kick\w* off|lead\w* off|leads"
          r"|initial\w*")
_LAST = _AFTER + r"|last|later|latest|end|ends|ending|ended|clos\w*|finish\w*|wrap\w* up|second|final\w*|conclud\w*"
_TIME = re.compile(rf"\b(?:({_FIRST})|({_LAST}))\b", re.IGNORECASE)
_BETWEEN = re.compile(rf"\b(?:({_BEFORE})|({_AFTER}))\b", re.IGNORECASE)
# a choice that puts the two in order as written ("speech, then the beep", "talking first, the beep
# second") or the other way round ("the beep after the speech"); with neither it says no order
_IN_ORDER = re.compile(rf"\bthen\b|\bfollowed by\b|\b(?:{_FIRST})\b", re.IGNORECASE)
_REVERSED = re.compile(rf"\b(?:{_AFTER}|preceded by)\b", re.IGNORECASE)
# the segmenter's order sentence
_LINE_ORDER = re.compile(r"\bthe ([\w' -]+?) comes before the ([\w' -]+?)\.", re.IGNORECASE)


class LineNames(NamedTuple):
    speech: str  # the line's name for the speech ("talking")
    other: str   # and for the other sound ("chirping")


def line_names(request: ReasonRequest) -> LineNames | None:
    """The names the lines (or their alternatives) give the speech and the other sound in their
    order sentence; None where no line says an order or the names are not one speech, one not."""
    texts = [*request.tool_texts, *(t for ts in request.contrasts for t in ts)]
    pairs = {tuple(sorted(m)) for t in texts for m in _LINE_ORDER.findall(t)}
    if len(pairs) != 1:
        return None
    a, b = pairs.pop()
    if bool(_SPEECH.search(a)) == bool(_SPEECH.search(b)):
        return None
    return LineNames(a, b) if _SPEECH.search(a) else LineNames(b, a)


def _mentions(text: str, names: LineNames) -> list[tuple[int, bool]]:
    """Where the text names the speech (True) or the other sound (False), in order."""
    other = re.compile(rf"\b{re.escape(names.other)}\b|{_OTHER}", re.IGNORECASE)
    found = [(m.start(), True) for m in _SPEECH.finditer(text)]
    found += [(m.start(), False) for m in other.finditer(text) if not _SPEECH.search(m.group(0))]
    return sorted(found)


def _direction(text: str) -> bool | None:
    """The one direction the text's words for time say (first: True), None for none or both."""
    said = {bool(first) for first, _ in _TIME.findall(text)}
    return said.pop() if len(said) == 1 else None


def speech_first_if_yes(question: str, names: LineNames) -> bool | None:
    """For a yes/no question: whether "yes" says the speech comes first (False: the other sound
    does); None where the question is not read as asking that."""
    named = _mentions(question, names)
    between = _BETWEEN.search(question)
    if between and any(at < between.start() for at, _ in named) and any(at > between.start() for at, _ in named):
        subject = [speech for at, speech in named if at < between.start()][-1]
        return subject == bool(between.group(1))
    kinds = {speech for _, speech in named}
    first = _direction(question)
    if len(kinds) != 1 or first is None:
        return None
    return kinds.pop() == first


def speech_first_per_choice(question: str, choices, names: LineNames) -> list[bool | None] | None:
    """For choices: per choice, whether it says the speech comes first (False: the other sound;
    None: neither); None where the choices are not read so, or do not say both orders."""
    said = []
    subject = next((speech for _, speech in _mentions(question, names)), None)
    first = _direction(question)
    for choice in choices:
        named = _mentions(choice, names)
        kinds = [speech for _, speech in named]
        if len(set(kinds)) == 2:  # both in order: "speech, then the beep"
            in_order, reversed_ = bool(_IN_ORDER.search(choice)), bool(_REVERSED.search(choice))
            said.append(kinds[0] if in_order else (not kinds[0]) if reversed_ else None)
        elif kinds and _direction(choice) is not None:  # "after the talking": the question's other sound is after it
            said.append(kinds[0] != _direction(choice))
        elif kinds and first is not None:  # "the talking" of "Which comes first?"
            said.append(kinds[0] == first)
        elif not kinds and _direction(choice) is not None and subject is not None:  # "before" of "Is the speech before or after?"
            said.append(subject == _direction(choice))
        else:
            said.append(None)
    return said if True in said and False in said else None


def ordered_as_the_lines_say(request: ReasonRequest) -> tuple[ReasonRequest, tuple[int | None, ...]] | None:
    """An order question asked as the line says it: "Does the {speech} come before the {other}?",
    in the line's names; per original choice, the asked choice whose score is its own ("yes" 0,
    "no" 1; None for a choice that says no order, never the answer). None where no line says the
    order or the question is not read as asking it."""
    names = line_names(request)
    if names is None:
        return None
    asked = ReasonRequest(f"Does the {names.speech} come before the {names.other}?", ("yes", "no"),
                          request.tool_texts, request.audio, request.contrasts)
    if is_yes_no(request.choices):
        speech_first = speech_first_if_yes(request.question, names)
        if speech_first is None:
            return None
        yes = [c.strip().lower() for c in request.choices].index("yes")
        order = (0, 1) if (yes == 0) == speech_first else (1, 0)
        return asked, order
    said = speech_first_per_choice(request.question, request.choices, names)
    if said is None:
        return None
    return asked, tuple(None if s is None else 0 if s else 1 for s in said)
