"""Rewards: what an episode's end is worth to the router (config `train.env.reward`).

    reward: relative                                  # a registered reward
    reward: {class: mypkg.rewards.MyReward, k: 2}     # a plug-in: Reward(**params)

A reward sees the episode's `Outcome` (the item, the reasoner's answers with and without the
tools' evidence, the tools called, their summed cost, the config's `cost_weight` and `call_cost`)
and returns a float. Registered, each less `outcome.penalty` (`cost_weight x cost + call_cost x calls`):

    relative       the seed paper's: correct with the tools - correct without (0/1 each): tool use
                   is rewarded only where it beats the reasoner's own answer
    relative_prob  the same with the reasoner's calibrated probability of the correct choice in
                   place of 0/1 (Answer.probabilities): on a two-choice item the no-tool answer is
                   right half the time by chance, so `relative` often pays the right tool 0; the
                   probability says how much the evidence moved the reasoner towards the truth
    relative_mixed `relative` plus `prob_weight` (0.25) x `relative_prob`'s gain: the 0/1 term says
                   *whether* a tool is worth its price (a heard answer that is already right earns a
                   tool nothing but the small probability term), the probability term says *which*
                   tool moved the reasoner towards the truth on items the coin flip paid 0 either way
    relative_expected
                   correct with the tools (0/1) - the reasoner's probability of the correct choice
                   without them: the tools' answer against what the reasoner's own answer is worth
                   on average. A coin-flip no-tool answer counts 0.5, not 0 or 1; a sure heard answer
                   that is right leaves a tool nothing to earn, an unsure one leaves it the doubt
    outcome        correct with the tools

The probability rewards read an answer that rests on nothing of the clip (no tool's evidence, and a
reasoner that does not hear: `ReasonerBackend.hears_audio` False, the embedded SmolLM2 without
`hearing`) as a guess, 1/k on the correct choice (`Outcome.p_guess`), not the model's own ranking
of the choices: so answering without a tool earns 0 and a tool earns what its evidence is worth
against a guess, whatever the model's bias on the question's wording. A reasoner that hears is
measured against what it heard.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from env.items import AudioQA
from env.reasoners import Answer


@dataclass(frozen=True)
class Outcome:
    item: AudioQA
    with_tools: Answer
    without_tools: Answer
    tools: list[str]
    cost: float
    cost_weight: float
    call_cost: float = 0.0  # per call, whatever the tool costs (0.1 measured: fewer calls, less accuracy)
    # whether the reasoner perceives the clip itself (ReasonerBackend.hears_audio: an LALM, the
    # embedded one with `hearing`), and whether the with-tools request held any tool's evidence
    # (not when every tool called failed). An answer that rests on neither is a guess (`p_guess`)
    reasoner_hears: bool = True
    evidence: bool = True

    @property
    def penalty(self) -> float:
        """What the calls cost the router: their summed tool costs weighted, plus a flat price per
        call. Tool costs are CPU seconds (0.05 for duration, 1.0 for phrase spotting), so with
        `cost_weight` alone a second cheap tool is nearly free, and PPO makes it whether it helps or
        not; `call_cost` makes a call pay for itself by what it adds."""
        return self.cost_weight * self.cost + self.call_cost * len(self.tools)

    @property
    def correct(self) -> bool:
        # the reasoner answers by scoring the choices, so its answer is one of them: equality is
        # MMAU's string match here
        return self.with_tools.choice == self.item.answer

    @property
    def correct_without_tools(self) -> bool:
        return self.without_tools.choice == self.item.answer

    @property
    def p_guess(self) -> float:
        """The probability of the correct choice for an answer that rests on nothing of the clip:
        every choice alike. A reasoner that does not hear, asked without evidence, still ranks the
        choices (how much the 135M model likes "no" after "Is the number of spoken phrases three?"),
        but that ranking is the same for every clip: measured from it, a tool on the items of one
        wording was paid or charged that wording's bias, and on the demo's questions whose few
        training answers fell on the side the bias did not favour, skipping the tool paid most."""
        return 1.0 / len(self.item.choices)

    @property
    def p_correct(self) -> float:
        """The reasoner's probability of the correct choice, with the tools' evidence (`p_guess`
        where there is none and the reasoner does not hear)."""
        if not (self.evidence and self.tools) and not self.reasoner_hears:
            return self.p_guess
        return correct_choice_probability(self.with_tools, self.item)

    @property
    def p_correct_without_tools(self) -> float:
        """... without tools: what the reasoner heard of the clip, or `p_guess` where it hears nothing."""
        if not self.reasoner_hears:
            return self.p_guess
        return correct_choice_probability(self.without_tools, self.item)


def answer_margin(answer: Answer) -> float:
    """The answer's probability less the runner-up's (0: a toss-up, 1: certain; 1 with one choice)."""
    top = sorted(answer.probabilities, reverse=True)
    return float(top[0] - top[1]) if len(top) > 1 else 1.0


def correct_choice_probability(answer: Answer, item: AudioQA) -> float:
    """Answer.probabilities at the correct choice (in the item's choice order, which the request kept)."""
    if item.answer not in item.choices:
        raise ValueError(f"item {item.id}: its answer {item.answer!r} is not one of its choices")
    if len(answer.probabilities) != len(item.choices):
        raise ValueError(f"item {item.id}: the reasoner gave {len(answer.probabilities)} probabilities for "
                         f"{len(item.choices)} choices (a backend must fill Answer.probabilities)")
    return float(answer.probabilities[list(item.choices).index(item.answer)])


@runtime_checkable
class Reward(Protocol):
    def __call__(self, outcome: Outcome) -> float: ...


class RelativeReward:
    """correct(with tools) - correct(without tools) - penalty."""

    def __call__(self, outcome: Outcome) -> float:
        return float(outcome.correct) - float(outcome.correct_without_tools) - outcome.penalty


class RelativeProbReward:
    """p(correct | tools' evidence) - p(correct | no tools) - penalty."""

    def __call__(self, outcome: Outcome) -> float:
        return outcome.p_correct - outcome.p_correct_without_tools - outcome.penalty


class RelativeMixedReward:
    """correct(with) - correct(without) + prob_weight x (p(correct | with) - p(correct | without)) - penalty.

    `relative` alone is a coin flip where the no-tool answer is right by chance: the right tool
    and a wrong one both earn 0 there, so a few familiar questions go to the wrong tool.
    `relative_prob` alone pays a tool for raising the probability of a right heard answer, so the
    router never learns to skip where the reasoner already hears. With a weight below the price
    of a call, the probability term ranks the tools without paying for a call that changes no answer.

    `guess_margin`: a no-tool answer whose margin (its probability less the runner-up's) is under
    it counts in the 0/1 term as its probability of being right, not 0/1: a toss-up that happened
    to land right is no sign the reasoner hears the answer. The hearing config's two training
    items of "Does the clip start with speech?" are both "yes", which the model's lean gives at a
    margin of 0.07; paid 0/1, skipping the tool earned the most on them and the router skipped the
    test item, whose answer is "no". Counted as 0.53, the segmenter's right answer earns 0.47 there
    and skipping 0. Answers given after a call keep 0/1 unless no evidence reached the reasoner."""

    def __init__(self, prob_weight: float = 0.25, guess_margin: float = 0.0):
        self.prob_weight = float(prob_weight)
        self.guess_margin = float(guess_margin)
        if not 0.0 <= self.guess_margin <= 1.0:
            raise ValueError(f"guess_margin must be in [0, 1], got {guess_margin}")

    def answer_gain(self, outcome: Outcome) -> float:
        """The 0/1 term: correct with the tools - correct without (an unsure no-tool answer, and one
        given after calls that brought no evidence, counted as its probability: `guess_margin`)."""
        unsure = self.guess_margin > 0 and answer_margin(outcome.without_tools) < self.guess_margin
        without = outcome.p_correct_without_tools if unsure else float(outcome.correct_without_tools)
        if unsure and not (outcome.tools and outcome.evidence):  # the answer is the no-tool one
            return 0.0
        return float(outcome.correct) - without

    def __call__(self, outcome: Outcome) -> float:
        probability_gain = outcome.p_correct - outcome.p_correct_without_tools
        return self.answer_gain(outcome) + self.prob_weight * probability_gain - outcome.penalty


class RelativeSureReward(RelativeMixedReward):
    """`relative_mixed`, with a turn from wrong to right paid p(correct | tools' evidence), not 1.

    Any line in the prompt moves the reasoner's answer, so where the no-tool answer is wrong an
    evidence line that says nothing about the question still turns it right by chance: on the
    hearing config's 330 training items, 26% of the time (the family's expert line: 97%;
    benchmarks/reward_landscape.py). `relative_mixed` pays that chance 1 + a little, so on a
    wording with three training items a tool that answers none of them can earn more than the one
    that measures what is asked (the clip-length line for "Is the number of spoken phrases three?",
    whose training items are all "no"). A right answer the evidence argued for is a sure one (the
    reasoner's median p(correct) 0.95 where the expert's line turned it), a lucky one is not (0.52),
    and this pays the difference. Measured, not taken: docs/RESULTS.md "The reward landscape item by item".
    """

    def answer_gain(self, outcome: Outcome) -> float:
        if outcome.correct and not outcome.correct_without_tools:
            return outcome.p_correct
        return super().answer_gain(outcome)


class RelativeExpectedReward:
    """correct(with tools) - p(correct | no tools) - penalty.

    Between `relative` and `relative_prob`: the tools' side is the answer they produce (0/1: a
    tool is worth what it gets right, not how far it nudges a probability; some tools' lines move
    the correct choice's probability little and still make it the answer), the no-tool side is
    its calibrated probability (less noisy than 0/1, and lower where the reasoner is unsure, so a
    call pays where the heard answer is in doubt and not where it is sure)."""

    def __call__(self, outcome: Outcome) -> float:
        return float(outcome.correct) - outcome.p_correct_without_tools - outcome.penalty


class OutcomeReward:
    """correct(with tools) - penalty."""

    def __call__(self, outcome: Outcome) -> float:
        return float(outcome.correct) - outcome.penalty


REWARDS: dict[str, type] = {"relative": RelativeReward, "relative_prob": RelativeProbReward,
                            "relative_mixed": RelativeMixedReward, "relative_sure": RelativeSureReward,
                            "relative_expected": RelativeExpectedReward,
                            "outcome": OutcomeReward}


def build_reward(spec: Any) -> Reward:
    """A reward from its registered name, `{class: package.module.Class, ...params}`, or a Reward."""
    if isinstance(spec, str):
        if spec not in REWARDS:
            raise ValueError(f"unknown reward {spec!r}: {', '.join(REWARDS)} (or class: package.module.Class)")
        return REWARDS[spec]()
    if isinstance(spec, dict) and "class" in spec:
        params = {k: v for k, v in spec.items() if k != "class"}
        module, _, attr = str(spec["class"]).rpartition(".")
        if not module:
            raise ValueError(f"reward class {spec['class']!r} must be a dotted path like package.module.Class")
        reward = getattr(importlib.import_module(module), attr)(**params)
    else:
        reward = spec
    if not isinstance(reward, Reward):
        raise ValueError(f"reward {spec!r}: not a registered name, a {{class: ...}} mapping, or a callable Reward")
    return reward
