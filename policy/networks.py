"""The router's network pieces in plain torch (no Ray): the MLP trunk and action masking.

RouterModule (the RLlib module PPO trains) and Router (router.pt inference without RLlib) are
both built from these, so a trained router runs wherever torch does (and the GPU smoke check
can run them on a machine without Ray).
"""
from __future__ import annotations

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
