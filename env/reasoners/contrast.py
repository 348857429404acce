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

CONTRASTS = ("none", "yes_no", "choices", "meaning")
# meaning: nats of evidence-PMI score per unit of cosine contrast (below). Chosen on probe v2's
# train split of an independent draw (seed 1, 210 multiple-choice items, expert tool): weights
# 10/20/50/100/200 gave 88.1/88.6/91.9/91.9/92.4% (PMI alone 85.7%); docs/PROMPTS.md
MEANING_WEIGHT = 200.0
# meaning: the alternatives kept are those that move the choices' cosines at least this share as
# much as the strongest (the reasoner's own rules keep half). Same draw's train split, expert tool:
# 0.5 -> 0.75 took multiple choice on which sound is longer from 39/46 to 45/46 and changed no
# other family by more than one item (docs/PROMPTS.md "Contrast rule v4")
MEANING_KEEP = 0.75
CONTRAST_VERSION = 4  # part of the reasoner id: bump when the rule's scoring or its alternatives change
YES_NO = ("yes", "no")


def is_yes_no(choices: Sequence[str]) -> bool:
    return sorted(c.strip().lower() for c in choices) == sorted(YES_NO)


def swapped_evidence(request: ReasonRequest) -> list[tuple[int, tuple[str, ...]]]:
    """(line, evidence) for every alternative of every tool line: that line replaced by one of
    its tool's contrasts, the others as measured."""
    texts = request.tool_texts
    return [(i, texts[:i] + (alt,) + texts[i + 1:])
            for i, alts in enumerate(request.contrasts[: len(texts)]) for alt in alts]


def contrast_scores(measured: list[float], alternatives: list[list[float]], mean: bool,
                    keep: float = 0.5) -> list[float]:
    """Each candidate's measured score minus its score under the alternatives that matter (their
    best, or with `mean` their mean).

    An alternative matters when it moves the scores at least `keep` (half) as much as the one that
    moves them most: a tool line often says two things (a gap and a trend; a tempo and its change) and
    its alternatives change one of them, and with every tool called most lines are about
    something else; those alternatives leave the answer where it was and must not outvote the
    ones that change it. "Move" is, for one candidate (a yes/no question's own score), the change
    in its score; for several (the choices), the change in their scores relative to each other
    (an alternative that lowers every choice alike says nothing about which one is right)."""
    def effect(alt: list[float]) -> float:
        shift = [m - a for m, a in zip(measured, alt)]
        if len(shift) == 1:
            return abs(shift[0])
        centre = sum(shift) / len(shift)
        return max(abs(d - centre) for d in shift)

    strongest = max(effect(a) for a in alternatives)
    kept = [a for a in alternatives if effect(a) >= keep * strongest]
    pick = (lambda v: sum(v) / len(v)) if mean else max
    return [m - pick([alt[k] for alt in kept]) for k, m in enumerate(measured)]


def meaning_evidence(request: ReasonRequest) -> list[str]:
    """The texts `meaning_contrast` encodes besides the choices: the measured lines, then each
    alternative evidence (none when no tool has alternatives)."""
    swaps = swapped_evidence(request)
    return [" ".join(request.tool_texts)] + [" ".join(t) for _, t in swaps] if swaps else []


def meaning_contrast(encode, choices: Sequence[str], request: ReasonRequest) -> list[float]:
    """Per choice, its cosine with the measured lines minus its mean cosine with the alternative
    evidence that matters (`encode`: text -> unit vector, a sentence encoder), filtered as
    `contrast_scores` filters: an alternative that only changes a line the question is not about
    (the count, under a question about which sound is longer) moves the choices little, and left
    in it adds its own pull ("second" sits near a measured "2") to the mean.

    A sentence encoder places "falls" nearer "the pitch goes down" than "the pitch goes up", and
    "accelerates" nearer "it gets faster", where the 135M reasoner's choice scores do not; its weak
    spot is the reverse: two statements with the same words in another order ("the first sound is
    longer than the second"), which the reasoner's own score, added to this one, still tells apart."""
    import numpy as np

    evidence = meaning_evidence(request)
    if len(evidence) < 2:
        return [0.0] * len(choices)
    sims = np.stack([encode(c) for c in choices]) @ np.stack([encode(t) for t in evidence]).T  # choice x evidence
    return contrast_scores([float(v) for v in sims[:, 0]],
                           [[float(v) for v in sims[:, k]] for k in range(1, sims.shape[1])], mean=True,
                           keep=MEANING_KEEP)
