"""The contrast rule's pieces: alternative evidence from the tools' contrasts, and scoring
against it (env/reasoners/smollm2.py `contrast`; ToolResult.contrasts says where they come from).

A small reasoner copies words from the evidence next to its answer; it cannot turn "the second
tone is lower" into "no" to "is the second tone higher?". It can tell which of two statements a
question echoes. So: score the question (or each choice) after the measured tool lines and after
the same lines with one tool's line replaced by what that tool would have said for another
outcome; the measured lines should explain the right answer better than any alternative does.
"""
from __future__ import annotations

from typing import Sequence

from env.reasoners.types import ReasonRequest

CONTRASTS = ("none", "yes_no", "choices")
YES_NO = ("yes", "no")


def is_yes_no(choices: Sequence[str]) -> bool:
    return sorted(c.strip().lower() for c in choices) == sorted(YES_NO)


def swapped_evidence(request: ReasonRequest) -> list[tuple[int, tuple[str, ...]]]:
    """(line, evidence) for every alternative of every tool line: that line replaced by one of
    its tool's contrasts, the others as measured."""
    texts = request.tool_texts
    return [(i, texts[:i] + (alt,) + texts[i + 1:])
            for i, alts in enumerate(request.contrasts[: len(texts)]) for alt in alts]


def contrast_scores(measured: list[float], swaps: list[tuple[int, list[float]]], mean: bool) -> list[float]:
    """Each candidate's measured score minus its score under the most relevant line's alternatives
    (their best, or with `mean` their mean). The most relevant line is the one whose alternatives
    move the candidates' scores most: with every tool called, the others barely move them."""
    by_line: dict[int, list[list[float]]] = {}
    for line, scores in swaps:
        by_line.setdefault(line, []).append(scores)
    line = max(by_line, key=lambda k: max(abs(a - m) for alt in by_line[k] for a, m in zip(alt, measured)))
    alts = by_line[line]
    pick = (lambda v: sum(v) / len(v)) if mean else max
    return [m - pick([alt[k] for alt in alts]) for k, m in enumerate(measured)]
