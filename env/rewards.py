"""Rewards: what an episode's end is worth to the router (config `train.env.reward`).

    reward: relative                                  # a registered reward
    reward: {class: mypkg.rewards.MyReward, k: 2}     # a plug-in: Reward(**params)

A reward sees the episode's `Outcome` (the item, the reasoner's answers with and without the
tools' evidence, the tools called, their summed cost and the config's `cost_weight`) and returns
a float. Registered: `relative` (the seed paper's: tool use is rewarded only where it beats the
reasoner's own answer) and `outcome` (right or wrong with the tools), both less
`cost_weight x cost`.
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

    @property
    def correct(self) -> bool:
        # the reasoner answers by scoring the choices, so its answer is one of them: equality is
        # MMAU's string match here
        return self.with_tools.choice == self.item.answer

    @property
    def correct_without_tools(self) -> bool:
        return self.without_tools.choice == self.item.answer


@runtime_checkable
class Reward(Protocol):
    def __call__(self, outcome: Outcome) -> float: ...


class RelativeReward:
    """correct(with tools) - correct(without tools) - cost_weight x cost."""

    def __call__(self, outcome: Outcome) -> float:
        return float(outcome.correct) - float(outcome.correct_without_tools) - outcome.cost_weight * outcome.cost


class OutcomeReward:
    """correct(with tools) - cost_weight x cost."""

    def __call__(self, outcome: Outcome) -> float:
        return float(outcome.correct) - outcome.cost_weight * outcome.cost


REWARDS: dict[str, type] = {"relative": RelativeReward, "outcome": OutcomeReward}


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
