"""The router's network pieces in plain torch (no Ray): the MLP trunk and action masking.

RouterModule (the RLlib module PPO trains) and Router (router.pt inference without RLlib) are
both built from these, so a trained router runs wherever torch does (and the GPU smoke check
can run them on a machine without Ray).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

FLOAT_MIN = -3.4e38  # a masked action's logit offset: RLlib's FLOAT_MIN, kept identical


def build_trunk(in_dim: int, hidden: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_dim, width), nn.Tanh()]
        in_dim = width
    return nn.Sequential(*layers)


def masked_logits(logits: torch.Tensor, action_mask: torch.Tensor) -> torch.Tensor:
    """Masked actions pushed to FLOAT_MIN: never sampled, in exploration or inference."""
    return logits + torch.clamp(torch.log(action_mask), min=FLOAT_MIN)


RELEVANCE_INPUT_SCALE = 10.0


def trunk_input(observations, n_tools: int):
    """The observation as the MLP trunk reads it: the relevance block centred per question and
    scaled by RELEVANCE_INPUT_SCALE. Raw cosines of one question with the ten descriptions differ
    by a few hundredths, too little for a tanh layer trained by PPO to resolve; centred and scaled,
    they span about one unit, as the other inputs do. Works on torch tensors and numpy arrays."""
    cols = RelevancePrior.columns(n_tools)
    centred = RelevancePrior.centred(observations, n_tools) * RELEVANCE_INPUT_SCALE
    join = np.concatenate if isinstance(observations, np.ndarray) else torch.cat
    return join([observations[..., :cols.start], centred, observations[..., cols.stop:]], -1)


class RelevancePrior(nn.Module):
    """Adds `gain` x (each tool's relevance - their mean) to the tools' logits (not ANSWER's).

    Relevance is the question's cosine with each tool's description (env/features.py); the
    observation holds it in the n_tools columns just before the called | succeeded | budget
    block that ends it (env/audio_tool_env.py contract). On the families it was trained on, the
    MLP decides and PPO tunes the gain; on a question type it never saw, the MLP's output is a
    guess from the nearest trained wording, and the prior leans it towards the tool whose
    description the question is about. The gain starts where a relevance margin of 0.2 is worth
    2 nats."""

    def __init__(self, n_tools: int, gain: float = 10.0):
        super().__init__()
        self.n_tools = n_tools
        self.gain = nn.Parameter(torch.tensor(float(gain)))

    @staticmethod
    def columns(n_tools: int) -> slice:
        """Where the relevance sits in an observation: the n_tools columns before the last 2n+1."""
        return slice(-(3 * n_tools + 1), -(2 * n_tools + 1))

    @classmethod
    def centred(cls, observations, n_tools: int):
        """Each tool's relevance less their mean over the tools (torch tensors or numpy arrays):
        what the prior adds to the logits, times its gain, and what the trunk reads, scaled."""
        relevance = observations[..., cls.columns(n_tools)]
        if isinstance(relevance, np.ndarray):
            return relevance - relevance.mean(-1, keepdims=True)
        return relevance - relevance.mean(dim=-1, keepdim=True)

    def forward(self, logits: torch.Tensor, observations: torch.Tensor) -> torch.Tensor:
        centred = self.centred(observations, self.n_tools)
        return logits + torch.cat([self.gain * centred, torch.zeros_like(logits[..., self.n_tools:])], dim=-1)
