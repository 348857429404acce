"""The router RLModule is built the current way, and RLlib's internal deprecation notice for it
is the only one dropped."""
import logging

import gymnasium as gym
import numpy as np


def test_router_module_builds_without_a_deprecation_notice(caplog):
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from policy.router_module import RouterModule

    obs = gym.spaces.Dict({"observations": gym.spaces.Box(-1, 1, (5,), np.float32),
                           "action_mask": gym.spaces.Box(0, 1, (3,), np.float32)})
    with caplog.at_level(logging.WARNING):
        module = RLModuleSpec(module_class=RouterModule, observation_space=obs, action_space=gym.spaces.Discrete(3),
                              model_config={"hidden": [8]}).build()
    assert isinstance(module, RouterModule) and module.model_config == {"hidden": [8]}
    assert not [r for r in caplog.records if "deprecat" in r.getMessage().lower()]
    # the filter drops that one notice only
    other = logging.LogRecord("ray._common.deprecation", logging.WARNING, __file__, 1, "`foo` has been deprecated",
                              None, None)
    assert all(f.filter(other) for f in logging.getLogger("ray._common.deprecation").filters)
