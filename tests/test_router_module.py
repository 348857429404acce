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


def test_the_trunk_reads_the_relevance_centred_and_scaled_in_torch_and_numpy_alike():
    """Raw cosines of one question with the tools' descriptions differ by hundredths; the trunk
    reads them centred per question and times RELEVANCE_INPUT_SCALE, every other column as is."""
    import torch

    from policy.networks import RELEVANCE_INPUT_SCALE, RelevancePrior, trunk_input

    n_tools = 3
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(4, 5 + 3 * n_tools + 1)).astype(np.float32)
    relevance = obs[:, RelevancePrior.columns(n_tools)]
    read = trunk_input(obs, n_tools)
    assert read.shape == obs.shape
    expected = (relevance - relevance.mean(axis=1, keepdims=True)) * RELEVANCE_INPUT_SCALE
    np.testing.assert_allclose(read[:, RelevancePrior.columns(n_tools)], expected, rtol=1e-6)
    np.testing.assert_allclose(read[:, RelevancePrior.columns(n_tools)].sum(axis=1), 0, atol=1e-5)
    others = np.ones(obs.shape[1], bool)
    others[RelevancePrior.columns(n_tools)] = False
    np.testing.assert_array_equal(read[:, others], obs[:, others])
    np.testing.assert_allclose(trunk_input(torch.as_tensor(obs), n_tools).numpy(), read, rtol=1e-6)
