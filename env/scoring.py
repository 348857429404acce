"""MMAU's scoring rule (`string_match` in its evaluation.py), reimplemented.

Correct only if every word of the answer appears in the prediction and the prediction
contains no word that belongs only to a wrong choice. Words are `\\b\\w+\\b` on lowercased
text. An empty prediction is wrong.
"""
from __future__ import annotations

import re
from typing import Sequence

_WORD = re.compile(r"\b\w+\b")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def string_match(answer: str, prediction: str, choices: Sequence[str]) -> bool:
    prediction_words = _words(prediction)
    if not prediction_words:
        return False
    answer_words = _words(answer)
    wrong_only = set().union(*(_words(c) for c in choices if c != answer)) - answer_words
    return answer_words <= prediction_words and not (prediction_words & wrong_only)


def match_choice(text: str, choices: Sequence[str]) -> int | None:
    """The index of the choice a free-text answer names by MMAU's rule (the first such choice
    when several match), or None: how a generated answer becomes a choice."""
    return next((k for k, c in enumerate(choices) if string_match(c, text, choices)), None)
