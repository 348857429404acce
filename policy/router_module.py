"""The router: a masked MLP policy with a value head, as an RLlib TorchRLModule.

Contract: observations are the AudioToolEnv Dict {"observations": float[D], "action_mask":
{0,1}[A]}. `_forward` returns action logits with masked actions pushed to FLOAT_MIN (so a
masked action is never sampled, in exploration or inference) and the trunk's embedding,
which `compute_values` reuses (ValueFunctionAPI) so PPO's value head costs one extra layer.
The tools' logits get a prior from the question's relevance to each tool (RelevancePrior).
Modeled on RLlib's rllib/examples/rl_modules/classes/action_masking_rlm.py, but a plain
TorchRLModule: its weights are just `trunk`, `pi`, `vf`, `prior`, which export to router.pt.
"""
from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from policy.config import DEFAULT_HIDDEN
from policy.networks import RelevancePrior, build_trunk, masked_logits, trunk_input
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule


class _InternalRLModuleConfigNotice(logging.Filter):
    """RouterModule is built the current way (RLModuleSpec -> observation_space=, action_space=,
    model_config=). RLlib 2.60's own RLModule.__init__ still fills `self.config` with an
    RLModuleConfig for old custom models, whose constructor logs "RLModule(config=[RLModuleConfig
    object]) has been deprecated" for every module, ours included. That notice is about RLlib's
    internals, not a call we make (tests/test_ppo.py checks no module is built with config=), so
    it is dropped; every other deprecation still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "RLModule(config=[RLModuleConfig object])" not in record.getMessage()


logging.getLogger("ray._common.deprecation").addFilter(_InternalRLModuleConfigNotice())


class RouterModule(TorchRLModule, ValueFunctionAPI):
    def setup(self):
        hidden = list(self.model_config.get("hidden", DEFAULT_HIDDEN))
        obs_dim = self.observation_space["observations"].shape[0]
        self.trunk = build_trunk(obs_dim, hidden)
        width = hidden[-1] if hidden else obs_dim
        self.pi = nn.Linear(width, self.action_space.n)
        self.vf = nn.Linear(width, 1)
        self.prior = RelevancePrior(self.action_space.n - 1)

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        embeddings = self.trunk(trunk_input(obs["observations"], self.prior.n_tools))
        logits = self.prior(self.pi(embeddings), obs["observations"])
        return {Columns.ACTION_DIST_INPUTS: masked_logits(logits, obs["action_mask"]),
                Columns.EMBEDDINGS: embeddings}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        if embeddings is None:
            embeddings = self.trunk(trunk_input(batch[Columns.OBS]["observations"], self.prior.n_tools))
        return self.vf(embeddings).squeeze(-1)
