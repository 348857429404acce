"""Values a question or its choices name: numbers (digits or words), frequencies, musical notes;
the phrase a question quotes, and whether a question asks what is said.

The contrast rule (env/reasoners/contrast.py) asks whether the measured tool line explains a
question better than what the tool would have said for another outcome. Its alternatives must
include the outcome the question asks about: "Does the beat play at 60 bpm?" over a 120 BPM
measurement is told apart only from "the tempo is 60 BPM", not from 108 or 132 BPM (measured on
probe v2's train split: yes/no tempo, note and duration items were answered "yes" when the value
asked about was none of the neighbours the tool offered). Tools turn these values into their
`question_contrasts` (tools/base.py).

It is over 400 lines because every reading of a question's words that a tool and the reasoner
must share lives here (numbers, comparisons with them, negations, the names of the sounds of an
order question), so the two never read one question two ways.
"""
from __future__ import annotations

import re
from typing import Iterable, NamedTuple, Sequence

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
CARDINALS = dict(NUMBER_WORDS)  # how a count is written out; the words below also name one
NUMBER_WORDS.update({"single": 1, "once": 1, "twice": 2, "pair": 2, "couple": 2})
# a unit written on to a number's digits: "18s", "440Hz", "-6dB"
_UNIT_ON_DIGITS = r"(?<=\d)(?=(?:s|secs?|ms|mins?|hz|bpm|db)\b)"
_NUMBER = re.compile(r"(?<![\w.#])(\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")(?:(?![\w#])|" + _UNIT_ON_DIGITS + ")",
                     re.IGNORECASE)
# a number as a comparison names it ("more than 6", "other than six"), the number its one group; a
# statement's full stop may follow it ("True or false: there are more than 6 claps."), and a unit may
# be written on to its digits ("exceed 18s")
_A_NUMBER = (r"(?<![\w.])(\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")"
             r"(?:(?![\w#]|\.\d)|" + _UNIT_ON_DIGITS + ")")
_HZ = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:hz|hertz)\b", re.IGNORECASE)
# a note: a capital A-G with an octave digit or an accidental, or alone after the word "note";
# the article "A" alone is not a note
_NOTE = re.compile(r"(?<![\w#])([A-G])(#|♯|b|♭)?(\d)?(?![\w#♯♭])")
_NOTE_INDEX = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


# a comparison typed as a symbol before a number ("Speaker count = 2?", "length > 5 s", "tempo >= 120
# BPM", "claps ≠ 4"), spelled as the words every reading here knows; longest symbols first
_SYMBOL_WORDS = {"≥": "at least", ">=": "at least", "=>": "at least", "≤": "at most", "<=": "at most",
                 "=<": "at most", "≠": "other than", "!=": "other than", "==": "exactly", "=": "exactly",
                 ">": "more than", "<": "less than"}
_COMPARISON_SYMBOL = re.compile(r"\s*(" + "|".join(re.escape(s) for s in sorted(_SYMBOL_WORDS, key=len, reverse=True))
                                + r")\s*(?=" + _A_NUMBER + ")", re.IGNORECASE)


def spelled_comparisons(question: str) -> str:
    """`question` with a comparison symbol before a number written as words: "Speaker count = 2?"
    -> "Speaker count exactly 2?", "Is it > 5 s long?" -> "Is it more than 5 s long?". Not after a
    value ending in a digit: "(A4 = 440 Hz)" states a fact, "3 > 2" compares two given numbers."""
    def spelled(m: re.Match) -> str:
        if question[:m.start()].rstrip()[-1:].isdigit():
            return m.group(0)
        return " " + _SYMBOL_WORDS[m.group(1)] + " "
    return _COMPARISON_SYMBOL.sub(spelled, question)


# a quoted span: "...", “...”, ‘...’, or '...' not inside a word (so "What's" and "it's" stay);
# the group that matched holds what is quoted. One pattern for what a question quotes
# (`quoted_phrase`) and for masking it (env/features.py `without_quotes`)
QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d|(?<!\w)\'([^\']+)\'(?!\w)|\u2018([^\u2019]+)\u2019')
_A_QUOTE = "[\"'\u201c\u2018]"  # where a quoted span opens
# a phrase named unquoted after a colon that ends the question: "Does it contain the sentence: We are late?"
_PHRASE_AFTER_COLON = re.compile(r"\b(?:sentences?|phrases?|words?|lines?|text|transcript)\s*:\s*([^:\"\u201c\u2018]+?)"
                                 r"\s*[?.!]*\s*$", re.IGNORECASE)


def without_numbers(text: str) -> str:
    """`text` with every number it names (digits or words) replaced by "#": "Is this clip 6 s long?"
    and "Is this clip seven seconds long?" are one wording asking about different values."""
    return _NUMBER.sub("#", text)


def is_yes_no(choices: Sequence[str]) -> bool:
    """Whether the choices are "yes" and "no" (any case and order)."""
    return sorted(str(c).strip().lower() for c in choices) == ["no", "yes"]


# a statement's two verdicts, the one that means it holds first
# ("y", "n"): yes and no in one letter ("Is it longer than 3? Y / N"), asked as "yes" and "no" the same way;
# ("agree", "disagree"): "Agree or disagree: over two people speak." is a statement to judge (rule v34)
VERDICTS = (("true", "false"), ("correct", "incorrect"), ("right", "wrong"), ("accurate", "inaccurate"), ("y", "n"),
            ("agree", "disagree"))


def verdicts(choices: Sequence[str]) -> tuple[str, str] | None:
    """The pair of VERDICTS the choices are (any case and order: "True" / "False"), or None."""
    said = sorted(str(c).strip().lower() for c in choices)
    return next((pair for pair in VERDICTS if said == sorted(pair)), None)


# a question opened by a negated auxiliary asks for agreement ("Isn't the second tone lower?" is
# answered "yes" when it is lower): read without the "n't"
_OPENING_NOT = re.compile(r"^(\s*)(is|are|was|were|does|do|did|has|have|ca|could|would|should|wo)n't\b", re.IGNORECASE)
_OPENING_SAID = {"ca": "can", "wo": "will"}  # "can't", "won't"
# a negation of what a question asks, and the words that ask it without: "is not higher" -> "is
# higher", "doesn't go up" -> "does go up", "never gets louder" -> "ever gets louder", "fail to rise"
# -> "rise", "Is it false that" -> "Is it true that", "Is there no gap" -> "Is there any gap"
_NEGATIONS = (
    (re.compile(r"\b(is|are|was|were|does|do|did|has|have|could|would|should)n't\b", re.IGNORECASE), r"\1"),
    (re.compile(r"\bcan't\b", re.IGNORECASE), "can"), (re.compile(r"\bwon't\b", re.IGNORECASE), "will"),
    # "not counting the noise" sets something aside, it does not negate what is asked
    (re.compile(r"\bnot\s+(?!only\b|sure\b|counting\b|including\b|considering\b|to\s+mention\b)", re.IGNORECASE), ""),
    (re.compile(r"\bnever\b", re.IGNORECASE), "ever"),
    (re.compile(r"\bfail(?:s|ed|ing)?\s+to\s+", re.IGNORECASE), ""),
    (re.compile(r"\bfalse\s+that\b", re.IGNORECASE), "true that"),
    (re.compile(r"\b((?:is|are|was|were)\s+there|there\s+(?:is|are|was|were))\s+no\b", re.IGNORECASE), r"\1 any"),
    (re.compile(r"\bcannot\b", re.IGNORECASE), "can"),
    # not there: "Is the sentence 'we are late' absent from the clip?", "Does the clip lack ...?"
    (re.compile(r"\b(?:absent|missing)\s+(?:from|in)\b", re.IGNORECASE), "in"),
    (re.compile(r"\black(s|ed|ing)?\b", re.IGNORECASE),
     lambda m: {"": "have", "s": "has", "ed": "had", "ing": "having"}[(m.group(1) or "").lower()]),
    (re.compile(r"\bmismatch(es|ed)?\b", re.IGNORECASE), lambda m: "match" + (m.group(1) or "")),
    # "My notes say 4. Does the audio disagree with that number?"
    (re.compile(r"\bdisagree(s|d|ing)?\b", re.IGNORECASE), lambda m: "agree" + (m.group(1) or "")),
    (re.compile(r"\b(?:incorrect|wrong|inaccurate)\s+for\b", re.IGNORECASE), "right for"),
    # a question about a statement: "Would it be wrong to say there are 5?", "Is it untrue that ...",
    # "Is 5 the wrong count?"
    # "Am I mistaken if I count 3 sentences?": the asker's own claim, after "if" or "when"
    (re.compile(r"\b(?:wrong|incorrect|untrue|inaccurate|false|a\s+mistake|mistaken)\s+(to|in|(?:if|when)\s+(?:i|we|you)(?:'d)?)"
                r"\s+(say|claim|state|conclude|describe|think|thinking|believe|believing|call|label|classify|consider|"
                r"identify|assume|count|counting|hear|hearing|guess|answer|said|claimed|stated|called|labell?ed|counted|heard|guessed"
                r"|answered)\b", re.IGNORECASE), r"right \1 \2"),
    (re.compile(r"\b(?:untrue|incorrect|wrong|inaccurate)\s+that\b", re.IGNORECASE), "true that"),
    # someone else's claim, then "Is that listener mistaken?", "Is he wrong?", "Is that wrong?"
    (re.compile(r"\b((?:is|are|was|were)\s+(?:that|this|the|these|those|he|she|they|my|our|your|his|her)"
                r"(?:\s+[a-z]+){0,2}?)\s+(?:wrong|mistaken|incorrect|inaccurate|in\s+error)(?=\s*[?.!]?\s*$)",
                re.IGNORECASE), r"\1 right"),
    (re.compile(r"\bthe\s+(?:wrong|incorrect)\b", re.IGNORECASE), "the right"),
    # "Can we rule out the hum lasting beyond 5 seconds?" asks whether it does not
    (re.compile(r"\brul(?:e|es|ed|ing)\s+out\b", re.IGNORECASE), "confirm"),
    # a value other than a number: "something other than 5", "differ from six"
    (re.compile(r"\b(?:something\s+|anything\s+)?other\s+than(?=\s+" + _A_NUMBER + ")", re.IGNORECASE),
     "equal to"),
    (re.compile(r"\b(differ|differs|different)\s+(?:from|than)(?=\s+" + _A_NUMBER + ")", re.IGNORECASE),
     lambda m: {"differ": "equal", "differs": "equals"}.get(m.group(1).lower(), "equal to")),
    # ... or than a quoted phrase: "Does she say something other than 'we are late'?"
    (re.compile(r"\b(?:something\s+|anything\s+)?other\s+than(?=\s+" + _A_QUOTE + ")", re.IGNORECASE), "exactly"),
    (re.compile(r"\b(differ|differs|different)\s+(?:from|than)(?=\s+" + _A_QUOTE + ")", re.IGNORECASE),
     lambda m: {"differ": "match", "differs": "matches"}.get(m.group(1).lower(), "exactly")),
)
# "or not" asks both ways; "not only" and "not sure" negate nothing asked
_NOT_A_NEGATION = re.compile(r"\bor\s+not\b|\bwhether\s+or\s+not\b", re.IGNORECASE)


def unnegated(question: str) -> tuple[str, bool]:
    """A yes/no question asked without its one negation, and whether the answer is then the other:
    "Is the second tone not higher than the first?" -> ("Is the second tone higher than the first?",
    True). A question opened by a negated auxiliary ("Isn't it rising?") asks for agreement and is
    read without the "n't", its answer the same. A question with no negation, with "or not", or
    with two negations (which the words alone do not settle: "Is it false that it never stops?")
    is returned as it is."""
    opened = _OPENING_NOT.match(question)
    if opened:
        said = _OPENING_SAID.get(opened.group(2).lower(), opened.group(2))
        if opened.group(2)[0].isupper():
            said = said[0].upper() + said[1:]
        return f"{opened.group(1)}{said}{question[opened.end():]}", False
    if _NOT_A_NEGATION.search(question):
        return question, False
    # a quoted phrase's own "not" is what is said, not the question's ("Does she say 'I am not ready'?")
    quoted = [m.span() for m in QUOTED.finditer(question)]
    found = [(pattern, words, m.start()) for pattern, words in _NEGATIONS for m in pattern.finditer(question)
             if not any(a <= m.start() < b for a, b in quoted)]
    if len(found) != 1:
        return question, False
    pattern, words, at = found[0]
    return " ".join((question[:at] + pattern.sub(words, question[at:], count=1)).split()), True


# an alternative a question sets aside: "Is it a woman speaking rather than a man?" asks whether a
# woman speaks; the model echoes the set-aside words (docs/PROMPTS.md "Contrast rule v26")
_SET_ASIDE = re.compile(r",?\s+(?:rather\s+than|instead\s+of|as\s+opposed\s+to)\s+[^,?.;:!]*", re.IGNORECASE)


def without_set_aside(question: str) -> str:
    """A yes/no question without the alternative it sets aside: "Does it feature a female speaker
    rather than a male one?" -> "Does it feature a female speaker?"."""
    return _SET_ASIDE.sub("", question)


def quoted_phrase(question: str) -> str | None:
    """The first phrase the question quotes, if any; unquoted, the words after "the sentence:" (or
    phrase, words, line, text, transcript) that end the question."""
    match = QUOTED.search(question)
    if match:
        return next(g for g in match.groups() if g)
    after = _PHRASE_AFTER_COLON.search(question)
    return after.group(1) if after else None


def phrases_masked(text: str, mask: str = '"..."') -> str:
    """`text` with every phrase it names (`quoted_phrase`'s two ways: quoted, or after "the
    sentence:" at its end) replaced by `mask`."""
    text = QUOTED.sub(mask, text)
    after = _PHRASE_AFTER_COLON.search(text)
    return text[:after.start(1)] + mask + text[after.end(1):] if after else text


def phrase_words(phrase: str) -> list[str]:
    """A phrase's words in lower case, as the recogniser's dictionary spells them; an apostrophe kept
    inside a word ("don't"), not at its edge (a choice quoted as 'we are late')."""
    return [w for w in (w.strip("'") for w in re.findall(r"[a-z']+", phrase.lower())) if w]


def spoken_part(choice: str) -> str:
    """The words a choice says are spoken: what it quotes ('Someone says "we are late"'), else what
    follows its last colon ("The speaker says: We are late", "Caption: We are late."), else all of it."""
    match = QUOTED.search(choice)
    if match:
        return next(g for g in match.groups() if g)
    return choice.rsplit(":", 1)[-1].strip()


def answers_whether(choices: Sequence[str]) -> bool:
    """Whether the two choices answer whether something holds: "yes" and "no", or a pair of
    VERDICTS ("True" / "False", "correct" / "incorrect")."""
    return is_yes_no(choices) or verdicts(choices) is not None


def _texts(question: str, choices: Sequence[str]) -> list[str]:
    return [question, *choices]


def _distinct(values: Iterable) -> list:
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def numbers(question: str, choices: Sequence[str] = ()) -> list[float]:
    """Every number the question and choices name, digits or words, in order, once each."""
    found = []
    for text in _texts(question, choices):
        for m in _NUMBER.finditer(text):
            word = m.group(1).lower()
            found.append(float(NUMBER_WORDS[word]) if word in NUMBER_WORDS else float(word))
    return _distinct(found)


# a number with a unit of time after it ("4 s", "15 sec", "two seconds", "1 min")
_LENGTH = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")\s*(seconds?|secs?|s|minutes?|mins?)\b",
                     re.IGNORECASE)


def lengths(question: str, choices: Sequence[str] = ()) -> list[float]:
    """The lengths in seconds they name with a unit of time ("Is it 4 s long?"), once each: a count
    ("Are there 8 beeps?") is not a length."""
    found = []
    for text in _texts(question, choices):
        for number, unit in _LENGTH.findall(text):
            value = float(NUMBER_WORDS.get(number.lower(), number))
            found.append(value * 60 if unit.lower().startswith("m") else value)
    return _distinct(found)


def counts(question: str, choices: Sequence[str] = (), most: int = 40) -> list[int]:
    """The whole numbers from 1 to `most` they name (candidate counts of events, speakers, ...)."""
    return [int(x) for x in numbers(question, choices) if x == int(x) and 1 <= x <= most]


def frequencies(question: str, choices: Sequence[str] = ()) -> list[float]:
    """Frequencies they name in Hz ("440 Hz")."""
    return _distinct(float(m.group(1)) for t in _texts(question, choices) for m in _HZ.finditer(t))


def notes(question: str, choices: Sequence[str] = ()) -> list[tuple[int, int | None]]:
    """The notes they name as (pitch class 0-11, octave or None): "F#4" -> (6, 4), "Bb" -> (10, None)."""
    found = []
    for text in _texts(question, choices):
        for m in _NOTE.finditer(text):
            letter, accidental, octave = m.groups()
            if letter == "A" and not accidental and octave is None:
                continue  # the article
            shift = 1 if accidental in ("#", "♯") else -1 if accidental in ("b", "♭") else 0
            found.append(((_NOTE_INDEX[letter] + shift) % 12, int(octave) if octave is not None else None))
    return _distinct(found)


def midi_notes(text: str) -> list[int]:
    """The MIDI numbers of the notes a text names with an octave: "the note E4" -> [64] (C4 is 60)."""
    return [12 * (octave + 1) + pitch_class for pitch_class, octave in notes(text) if octave is not None]


def note_hz(pitch_class: int, octave: int | None, near_hz: float) -> float:
    """The note's frequency (A4 = 440 Hz); without an octave, the one nearest `near_hz`."""
    def hz(o: int) -> float:
        return 440.0 * 2 ** ((pitch_class - 9) / 12 + (o - 4))

    if octave is not None:
        return hz(octave)
    return min((hz(o) for o in range(0, 9)), key=lambda f: abs(f - near_hz) / f)


# The question must ask what is said, not only offer choices that happen to be words: "Which comes
# first, the speech or the tone?" and "Is the speaker male or female?" have dictionary-word choices.
# "Which line matches the recording?": a line is one said ("line up" is not)
ASKS_WHAT_IS_SAID = re.compile(
    r"\b(say|says|said|saying|spoken|utter|utters|uttered|uttering|phrases?|sentences?|lines?(?! up)|words?"
    r"|mention\w*|pronounc\w*|talk\w* about|ask\w* (?:for|about)|transcri\w*|commands?|quote\w*|captions?|captioning"
    r"|text)\b", re.IGNORECASE)
# ... and not how many, who, in what language or manner it is said
ASKS_SOMETHING_ELSE = re.compile(
    r"\b(how many|how often|how long|how fast|who|whose|language|accent|dialect|gender|male|female"
    r"|emotion\w*|feel\w*|mood|tone of voice)\b", re.IGNORECASE)

# ... and "would you say" asks for the listener's judgement ("Would you say the tone gets louder?"),
# not for words: that "say" does not count (other words of saying in the question still do)
LISTENERS_JUDGEMENT = re.compile(r"\b(?:would|could) you say\b|\byou'd say\b", re.IGNORECASE)


_ASKS_WHICH_SOUND = re.compile(r"\b(sounds?|noises?)\b", re.IGNORECASE)


def _quoted_words(text: str, whole: bool = False) -> list[str]:
    """The words of the first span `text` quotes (with `whole`, only where that span is all of it)."""
    match = (QUOTED.fullmatch if whole else QUOTED.search)(text.strip())
    return phrase_words(next(g for g in match.groups() if g)) if match else []


def quotes_words(question: str, choices: Sequence[str]) -> bool:
    """Whether the question quotes words verbatim as what is asked about: every one of two or more
    choices one quoted span of several words ('"we ran out of milk"', '“the soup is too
    salty”'), or, answered yes / no (or a verdict pair), a quoted span of several words in the
    question ("Would a captioner be wrong to write “we ran out of milk”?"). Words quoted verbatim
    are words said, whatever the question calls them ("Which option matches what you hear?"). A
    single quoted word ('"yes"') or a choice that only holds a quote ('it\'s E4') is not."""
    if answers_whether(choices):
        return len(_quoted_words(question)) >= 2
    return len(choices) >= 2 and all(len(_quoted_words(str(c), whole=True)) >= 2 for c in choices)


def asks_what_is_said(question: str, choices: Sequence[str] = ()) -> bool:
    """Whether the question asks which words are spoken (the phrase spotter's questions): a word of
    saying in the question, or words quoted verbatim (`quotes_words`) where the question
    does not ask about a sound; and not how many, who, or in what manner. The noun "utterance" is
    not a word of saying here: utterances are what speech-count questions count."""
    asked = LISTENERS_JUDGEMENT.sub(" ", question)
    if ASKS_SOMETHING_ELSE.search(asked):
        return False
    # quoted choices name a sound where the question asks which one is heard ('"a dog barking"')
    return bool(ASKS_WHAT_IS_SAID.search(asked)) or (quotes_words(question, choices) and not _ASKS_WHICH_SOUND.search(asked))


# "longer than 9 seconds", "more than two claps", "over 10 s", "at least 3", "not faster than 90 BPM",
# "no fewer than 4", "a minimum of 3", "at or below 5", "smaller than 6", "short of 4"; a moment in
# the clip: "go on past 5 seconds", "beyond the 10-second mark", "stop before 8 s", "end within 6 s"
_ABOVE = ("more", "longer", "faster", "quicker", "higher", "greater", "larger", "bigger", "louder", "over", "above",
          "exceed", "exceeds", "in excess of", "at least", "a minimum of", "at or above", "beyond", "past", "after", "upwards of",
          "reach", "reaches", "higher-pitched", "sharper", "to the right of")
_BELOW = ("less", "fewer", "smaller", "shorter", "slower", "lower", "quieter", "softer", "under", "below",
          "short of", "at most", "a maximum of", "at or below", "before", "within", "lower-pitched", "flatter",
          "deeper", "beneath", "to the left of")
_INCLUSIVE = ("at least", "at most", "a minimum of", "a maximum of", "at or above", "at or below", "within", "reach",
              "reaches")
# "too slow to hit 180 BPM" is below 180; "too long to fit within 20 s" is above 20
_TOO_TO = ((re.compile(r"\btoo\s+\w+\s+to\s+(?:reach|hit|make|get\s+to)\b", re.IGNORECASE), "below"),
           (re.compile(r"\btoo\s+\w+\s+to\s+(?:fit|stay|keep)\s+(?:in|within|under|below)\b", re.IGNORECASE), "above"))
_COMPARISON_WORDS = "|".join(w.replace(" ", r"\s+") for w in _ABOVE + _BELOW)
# a moment's words compare a time only: "after two knocks" is an order, not a count above two
_MOMENT = ("beyond", "past", "after", "before", "within")
# "no more than 5" is "not more than 5": at most 5
# ("the" only before a time: "beyond the 9 second mark", not "lower than the one after it")
# ("fewer times than six", "more claps than 3": one word, what is counted, between the comparison and "than")
# ("more than a single narrator" is more than one, not "a single narrator": rule v34)
# what is counted, after a word of sort: "more than 2 different persons" counts persons (rule v35)
_SORT = r"(?:(?:different|distinct|separate|unique)\s+)?"
_COMPARED = re.compile(r"\b((?:not|no)\s+)?(" + _COMPARISON_WORDS + r")(?:(?:\s+[a-z]+)?\s+than)?"
                       r"\s+(?:the\s+(?=\S+[\s-]*(?:seconds?|secs?|s|minutes?|mins?)\b))?"
                       r"(?:about\s+|roughly\s+|around\s+|a\s+(?=single\b))?" + _A_NUMBER + r"(?:[\s-]*" + _SORT + r"([a-z]+))?",
                       re.IGNORECASE)
# a note named with its octave as a comparison names it: "higher than D#4", "below the note A3"
_COMPARED_NOTE = re.compile(r"\b((?:not|no)\s+)?(" + _COMPARISON_WORDS +
                            r")(?:\s+than)?\s+(?:the\s+(?:note|pitch|key)\s+)?(?<![\w#])([A-G](?:#|♯|b|♭)?\d)(?![\w#♯♭])",
                            re.IGNORECASE)
# the value named first: "Compared with F5, is the pitch lower?" is "is the pitch lower than F5?"
_FRONTED = re.compile(r"\b(?:compared\s+(?:with|to)|relative\s+to|in\s+comparison\s+(?:with|to))\s+([^,]+?)\s*,\s*"
                      r"(.*?\b(?:" + _COMPARISON_WORDS + r"))\b(?!-|\s+than\b)",
                      re.IGNORECASE)
# the comparison after the number: "5 or more claps", "four or fewer", "6 seconds or longer"
_OR_AFTER = {"more": "more", "greater": "more", "above": "more", "over": "more", "higher": "more", "longer": "longer",
             "faster": "faster", "quicker": "faster", "louder": "louder",
             "fewer": "fewer", "less": "fewer", "below": "fewer", "under": "fewer", "lower": "fewer", "shorter": "shorter",
             "slower": "slower", "quieter": "quieter", "softer": "quieter"}
_COMPARED_AFTER = re.compile(_A_NUMBER + r"(?:\s*([a-z]+))?\s+or\s+(" + "|".join(_OR_AFTER) + r")\b", re.IGNORECASE)
# what a number counts, as the tools write it: "9 seconds" and "9.0 s" are both seconds, "beats per
# minute" is "BPM"; a length in minutes or milliseconds is turned into seconds
_UNITS = {"s": "second", "sec": "second", "secs": "second", "seconds": "second", "beats": "bpm", "beat": "bpm",
          "hertz": "hz"}
_TO_SECONDS = {"minute": 60.0, "minutes": 60.0, "min": 60.0, "mins": 60.0, "ms": 0.001, "millisecond": 0.001,
               "milliseconds": 0.001}


MEASURES = frozenset({"second", "bpm", "hz", "db"})  # units of a measured amount, not of a count


def unit_name(word: str | None) -> str:
    """The unit a word after a number names, as `Threshold.unit` compares them ("" for none)."""
    word = (word or "").lower()
    return "second" if word in _TO_SECONDS else _UNITS.get(word, word)


class Threshold(NamedTuple):
    """A number a question compares the measured value with: is the value `above` it (or below;
    None: equal to it, `equal_count`),
    does the value equal to it count (`at least`, `at most`), and what it counts (`unit_name` of
    the word after it: "second", "bpm", "claps")."""

    value: float
    above: bool | None
    inclusive: bool
    unit: str = ""

    def holds(self, measured: float) -> bool:
        if measured == self.value:
            return self.inclusive
        return self.above is not None and (measured > self.value) == self.above


def threshold(question: str) -> tuple[Threshold, bool] | None:
    """The one comparison with a number the question makes ("Is it longer than 9 seconds?", "Are
    there 5 or more claps?") and whether it is negated ("Is it not longer than ...", "no more
    than"), or None where it makes none or several."""
    for too, side in _TOO_TO:
        question = too.sub(side, question)
    question = _FRONTED.sub(r"\2 than \1", question)
    found = [(bool(negated), word, number, after, False) for negated, word, number, after in _COMPARED.findall(question)
             if word.lower() not in _MOMENT or unit_name(after) == "second"]
    found += [(False, _OR_AFTER[word.lower()], number, after, True)  # "5 or more": 5 counts
              for number, after, word in _COMPARED_AFTER.findall(question)]
    found += [(bool(negated), word, note, "note", False) for negated, word, note in _COMPARED_NOTE.findall(question)]
    if len(found) != 1:
        return None
    negated, word, number, after, or_after = found[0]
    word = " ".join(word.lower().split())
    if after == "note":  # a note compared as its MIDI number, as `midi_notes` reads the pitch line's
        return Threshold(float(midi_notes(number)[0]), word in _ABOVE, word in _INCLUSIVE, "note"), negated
    value = float(NUMBER_WORDS[number.lower()]) if number.lower() in NUMBER_WORDS else float(number)
    value *= _TO_SECONDS.get((after or "").lower(), 1.0)  # the tools state lengths in seconds
    inclusive = word in _INCLUSIVE or or_after
    return Threshold(value, word in _ABOVE, inclusive, unit_name(after)), negated


# a count the question asks for exactly: "exactly 2", "precisely two", "just one", "equal to 3",
# "a single speaker", "two, no more and no fewer"
_EQUAL = re.compile(r"\b(?:exactly|precisely|just|only|equals?|equal\s+to)\s+" + _A_NUMBER + r"(?:\s+" + _SORT + r"([a-z]+))?"
                    r"|\ba\s+(single)(?:\s+" + _SORT + r"([a-z]+))?"
                    r"|" + _A_NUMBER + r"(?:\s+" + _SORT + r"([a-z]+))?[^.?!,]{0,40}?,?\s+no\s+more(?:\s+and|,|\s+or)?\s+no\s+(?:fewer|less)\b",
                    re.IGNORECASE)


# "Is the number of spoken phrases three?", "Is the count of beeps in the clip 5?": the number a
# count is said to be, at the question's end, without "exactly" (rule v37)
_NOT_SAID_TO_BE = frozenset({"differ", "differs", "other", "than", "from", "not", "isn't", "unlike"})  # "differ from 3"
_NUMBER_OF = re.compile(r"\b(?:number|count|total)\s+of\s+((?:[a-z'-]+\s+){1,6}?)" + _A_NUMBER + r"\s*[?.!]?\s*$",
                        re.IGNORECASE)


def equal_count(question: str) -> Threshold | None:
    """The count a yes/no question asks whether the measured count equals ("Is the number of
    speakers exactly 2?", "Is this a monologue by a single speaker?", "Is the number of spoken
    phrases three?"), as a `Threshold` that holds at that value alone (`above` None); None where the
    question names no such count, another number besides it, or a comparison, or the count is of a
    measure (seconds, BPM, Hz, dB): a clip of 9.02 s is "9 seconds long" to its asker, and the
    contrast rule reads that."""
    found = [(groups[0] or groups[2] or groups[4], groups[1] or groups[3] or groups[5])
             for groups in _EQUAL.findall(question)]
    if not found and (said := _NUMBER_OF.search(question)):
        counted, number = said.groups()
        if any(unit_name(w) in MEASURES or w in _TO_SECONDS or w in _NOT_SAID_TO_BE for w in counted.lower().split()):
            return None
        # what is counted: the last word before a place or time ("beeps" of "beeps in the clip"), so
        # "spoken phrases" are not read off a count of people (rule v35)
        words = re.split(r"\s+(?:in|on|at|during|within|from|of|across|throughout)\s+", counted.lower().strip())[0].split()
        found = [(number, words[-1])]
    if len(found) != 1 or threshold(question) is not None or len(numbers(question)) != 1:
        return None
    number, after = found[0]
    value = float(NUMBER_WORDS[number.lower()]) if number.lower() in NUMBER_WORDS else float(number)
    if value != int(value) or unit_name(after) in MEASURES or (after or "").lower() in _TO_SECONDS:
        return None
    return Threshold(value, None, True, unit_name(after))


# more than one person speaking, asked without a number: "multiple distinct speakers", "a second,
# different voice", "anyone else", "Is this a conversation?". People only: "another tone" or "a
# second sound" counts something else, and "a second" is also a length
PEOPLE_COUNTED = frozenset({"person", "people", "persons", "ppl", "folks", "speaker", "speakers", "voice", "voices",
                            "talker", "talkers", "individual", "individuals", "participant", "participants",
                            "narrator", "narrators", "man", "men", "woman", "women"})
_A_PERSON = r"(?:person|speaker|voice|talker|individual|participant|narrator|man|woman)"
_PEOPLE_NOUNS = r"(?:people|ppl|folks|persons|speakers|voices|talkers|individuals|participants|narrators|men|women)"
_SEVERAL_SPEAK = re.compile(
    r"\b(?:multiple|several|various|numerous|many|different|distinct|separate)\s+(?:[a-z-]+\s+)?" + _PEOPLE_NOUNS + r"\b"
    r"|\b(?:a\s+second|another|an\s+additional|a\s+further|an\s+extra|a\s+new)(?:,?\s+[a-z-]+){0,2}?\s+" + _A_PERSON + r"\b"
    r"|\b(?:someone|somebody|anyone|anybody)\s+else\b"
    r"|\b(?:is|was)\s+(?:this|it|that)\s+(?:an?\s+)?(?:[a-z-]+\s+)?(?:conversation|dialogue|dialog|discussion"
    r"|interview|debate|exchange)s?\b",
    re.IGNORECASE)
_SPEAKING = re.compile(r"\b(?:speak\w*|talk\w*|say\w*|said|speech|voices?|speakers?|narrat\w+|conversation|dialog(?:ue)?"
                       r"|discussion|interview|debate)\b", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b", re.IGNORECASE)


def counts_people(unit: str) -> bool | None:
    """Whether a question's count (`Threshold.unit`: "speaker", "beeps") is of people; None where
    it names nothing counted ("exactly 3?") or a measure ("seconds")."""
    if not unit or unit in MEASURES or unit == "note":
        return None
    return unit in PEOPLE_COUNTED


def several_speak(question: str) -> Threshold | None:
    """Whether a yes/no question that names no number asks if more than one person speaks ("Can you
    hear multiple distinct speakers?"), as a `Threshold` above one person (`unit` "people": only a
    line that counts people, `PEOPLE_COUNTED`, answers it); None where it names a number ("more
    than one": `threshold`), asks how many, or speaks of no speech. What it sets aside is not asked
    ("a conversation rather than one person talking alone?": `without_set_aside`)."""
    question = without_set_aside(question)
    if (not _SEVERAL_SPEAK.search(question) or not _SPEAKING.search(question) or _HOW_MANY.search(question)
            or numbers(question)):
        return None
    return Threshold(1.0, True, False, "people")


# What a question calls the two sounds of an order question ("Is the voice heard before the
# beep?"): the speech segmenter names them so. The 135M reasoner matches words, and a line about
# "the tone" and "the speech" does not answer a question about "the beep" and "the voice" for it
# (docs/RESULTS.md "Sounds named as the question names them").
SPEECH_WORDS = re.compile(r"\b(speech|voices?|talking|speaking|speaker|talker|words|utterances?|singing|singer"
                          r"|conversation|narration|narrator|announcer|announcement|man speaking|woman speaking)\b",
                          re.IGNORECASE)
# "before anyone talks": the verb names the speech
_SPEAKS = re.compile(r"\b(?:someone|anyone|somebody|anybody|everyone|nobody|he|she|they"
                     r"|(?:a|the) (?:person|man|woman|child|boy|girl|speaker))"
                     r"\s+(?:starts? (?:to )?|begins? (?:to )?)?(talk|speak|say|sing)\w*\b", re.IGNORECASE)
_VERB_NOUN = {"talk": "talking", "speak": "speaking", "say": "speech", "sing": "singing"}
# a sound named after an article, up to two words ("the car horn"), ended by a word that is not part
# of a name: verbs and small words of these questions
_NAMED = re.compile(r"\b(?:the|a|an)\s+([a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)", re.IGNORECASE)
_NOT_A_NAME = frozenset(
    "is are was were be been come comes came coming heard hear hears play plays played playing start starts "
    "started starting begin begins began open opens opened end ends ended sound sounds appear appears occur occurs "
    "happen happens first second last before after or and than then with in at on of to by while during "
    "that which who it its this there a an the go goes went rise rises rising fall falls falling get gets change "
    "changes stop stops stay stays become becomes seem seems repeat repeats lasts move moves moving up down "
    "follow follows followed following precede precedes preceded preceding overlap overlaps overlapping they "
    "wrap wraps wrapped close closes closed kick kicks kicked lead leads finish finishes finished".split())
# people: "the man speaks" names the speaker, not a sound
_PEOPLE = frozenset("person people man woman men women child boy girl speaker someone".split())
# names of the whole clip or of a moment in it, not of one of its sounds (words that end a name,
# _NOT_A_NAME, such as "sound" and "first", never reach a name)
_NOT_A_SOUND = frozenset(
    "clip recording audio file track sample beginning middle same other one ones time moment part "
    "thing order sequence "
    # what is measured of a sound, not a sound
    "pitch tempo level volume loudness duration length speed beat rhythm frequency note notes key "
    "break gap pause silence sentence phrase line question answer option choice".split())


# a question about which sound comes when: only then are the sounds named as it names them (a
# count question's "Does the person speak two times?" keeps the tool's own names)
# ("last" as in "heard last", not "How long does it last?")
# ("second" as a place, not "the 5 second mark"; "wrap up", "close", "kick off": what ends or opens the clip)
ASKS_ORDER = re.compile(r"\b(first|before|after|start\w*|begin\w*|open\w*|(?:the|hear|heard|comes?|is|at|plays?) last"
                        r"|end|ends|ending|then|follow\w*|preced\w*|order\w*|sequence|earlier|later|(?<![\d-]\s)(?<!\d-)second"
                        r"|wrap\w* up|clos(?:e|es|ed|ing)|kick\w* off|lead\w* off|finish\w*|final\w*)\b", re.IGNORECASE)

# a choice that puts two sounds in order ("speech, then the beep", "a voice followed by the knocking",
# "talking first, the beep second"); not "the first" alone, a choice of place
_CHOICE_SAYS_ORDER = re.compile(r"\b(?:then|followed by|comes? (?:first|after|before|last)|precede[sd]?)\b"
                                r"|\bfirst\b.*\bsecond\b", re.IGNORECASE)


class SoundNames(NamedTuple):
    speech: str | None  # the question's word for the speech ("voice", "talking"), if it has one
    other: str | None   # its name for the one other sound ("beep", "car horn"), if it names exactly one


def sound_names(question: str, choices: Sequence[str] = ()) -> SoundNames:
    """What the question (and its choices) call the speech and the one other sound: "Is the voice
    heard before the beep?" -> ("voice", "beep"); "Does the whistle come first, before anyone
    talks?" -> ("talking", "whistle"); "Does the clip start with speech?" -> ("speech", None).
    `other` is None unless exactly one name of a non-speech sound is found: two ("the beep or the
    whistle") say the question is not about speech against one sound. Both None unless the
    question or its choices ask about order (`ASKS_ORDER`: "Which statement is correct?" / "The
    speaker talks first and the beep comes after.")."""
    if not ASKS_ORDER.search(question) and not any(_CHOICE_SAYS_ORDER.search(str(c)) for c in choices):
        return SoundNames(None, None)
    # a name does not run on from one choice into the next; a quoted phrase is what is said, not a name
    text = QUOTED.sub(" | ", " | ".join(_texts(question, choices)))
    speech = SPEECH_WORDS.search(text)
    verb = _SPEAKS.search(text)
    speech_name = (speech.group(1).lower() if speech and (not verb or speech.start() < verb.start())
                   else _VERB_NOUN[verb.group(1).lower()] if verb else None)
    # a choice that names one sound is its name ("knocks" of "speech" / "knocks"); numbers name none
    # (the choices "true" and "false" of a statement name no sound either)
    others = [] if is_yes_no(choices) or verdicts(choices) else [
        phrase for phrase in (re.sub(r"^(?:the|a|an)\s+", "", str(c).strip().lower()) for c in choices)
        if phrase and len(phrase.split()) <= 3 and not SPEECH_WORDS.search(phrase) and not _SPEAKS.search(phrase)
        and not _NUMBER.search(phrase) and not re.search(r"[^a-z -]", phrase)
        and not set(phrase.split()) & (_NOT_A_NAME | _NOT_A_SOUND) and min(map(len, phrase.split())) > 1]
    for match in _NAMED.finditer(text):
        name = []
        for word in match.group(1).lower().split():
            if word in _NOT_A_NAME or re.fullmatch(r"(?:talk|speak|say|said|sing)\w*", word):
                break
            name.append(word)
        phrase = " ".join(name)
        if not name or set(name) & (_NOT_A_SOUND | _PEOPLE) or SPEECH_WORDS.search(phrase):
            continue
        if phrase not in others:
            others.append(phrase)
    return SoundNames(speech_name, others[0] if len(others) == 1 else None)


class Wording(NamedTuple):
    """One way questions word what a tool's line says, and the line's own words for it.

    `pattern` matches the question's words ("fades away"); `words` replaces them in the same
    grammatical form ("gets quieter"; `\\1` keeps a group); `key` is the word of the line the replacement echoes: a
    reasoner asks the question in the line's words only where a line (or an alternative) says it.
    Tools declare theirs (`question_words`, tools/base.py)."""

    pattern: re.Pattern
    words: str
    key: str


def _form_words(spec: str) -> tuple[list[str], str]:
    """"fade|fades|fading|faded in" -> (["fade", "fades", "fading", "faded"], " in")."""
    verbs, rest = re.fullmatch(r"([\w|]+)(.*)", spec).groups()
    return verbs.split("|"), rest


def verb_wordings(phrases: Sequence[str], to: str, key: str) -> list[Wording]:
    """Each verb phrase, given in its four forms ("die|dies|dying|died away"), asked as `to` in the
    same form ("get|gets|getting|got quieter"): "Is it dying away?" -> "Is it getting quieter?"."""
    targets, target_rest = _form_words(to)
    out = []
    for spec in phrases:
        forms, rest = _form_words(spec)
        for form, target in zip(forms, targets):
            words = form + rest.replace(" ", r"\s+")
            out.append(Wording(re.compile(rf"\b{words}\b", re.IGNORECASE), target + target_rest, key))
    return out


def phrase_wordings(phrases: Sequence[str], to: str, key: str) -> list[Wording]:
    """Each phrase (a regular expression over words) asked as `to`."""
    return [Wording(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), to, key) for p in phrases]


def in_the_lines_words(question: str, wordings: Sequence[Wording], lines: str) -> str:
    """The question with each wording whose key the lines say replaced by the lines' words (the
    first that matches a span wins: list longer phrases first)."""
    lines = lines.lower()
    # each replaced span is held as a mark until the end, so no later wording rewrites a line's
    # words again ("without a break" is not a break)
    said: list[str] = []

    def mark(match: re.Match, words: str) -> str:
        said.append(match.expand(words))
        return f"\x00{len(said) - 1}\x00"

    for wording in wordings:
        if wording.key in lines:
            question = wording.pattern.sub(lambda m: mark(m, wording.words), question)
    return re.sub(r"\x00(\d+)\x00", lambda m: said[int(m.group(1))], question)
