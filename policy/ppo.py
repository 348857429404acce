"""PPO on RLlib's new API stack for the router, from the `train` section of a config
(`TrainConfig`: every key, its default and what it does; `audiorouter config show` prints them).
"""
from __future__ import annotations

from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.tune.registry import register_env

from env.factory import bad_item_count, cache_counters, make_env
from policy.config import train_section
from policy.router_module import RouterModule

ENV_NAME = "audiorouter-AudioToolEnv"


class EpisodeOutcomeMetrics(RLlibCallback):
    """Per-episode accuracy, no-tool accuracy, tool calls and cost from the env's final info,
    averaged by RLlib into result["env_runners"] (so they reach MLflow with the reward)."""

    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs):
        info = episode.get_infos(-1)
        if metrics_logger is None:
            return
        # an episode that failed (reasoner timeout, audio gone bad) has no answer: counted apart
        metrics_logger.log_value("failed_episodes", float("error" in info), reduce="sum")
        if "correct" not in info:
            return
        metrics_logger.log_value("accuracy", float(info["correct"]), reduce="mean")
        metrics_logger.log_value("accuracy_without_tools", float(info["correct_without_tools"]), reduce="mean")
        metrics_logger.log_value("tool_calls", float(len(info["tools"])), reduce="mean")
        metrics_logger.log_value("tool_cost", float(info["cost"]), reduce="mean")

    def on_sample_end(self, *, env_runner=None, metrics_logger=None, **kwargs):
        """Cache lookups this runner made since its last sample, summed over runners by RLlib:
        `tool_cache_hits`, `tool_cache_misses`, `reasoner_cache_hits`, `reasoner_cache_misses`
        (a miss is a call to the pool, or a computation without pools), and `reasoner_seconds`
        spent on the misses."""
        if metrics_logger is None or env_runner is None or getattr(env_runner, "env", None) is None:
            return
        now = cache_counters(env_runner.env)
        last = getattr(self, "_last_counters", {})
        for key, value in now.items():
            metrics_logger.log_value(key, float(value - last.get(key, 0)), reduce="sum")
        self._last_counters = now
        # every runner holds every item, so the worst runner's count is the run's (max, not sum)
        metrics_logger.log_value("bad_items", float(bad_item_count(env_runner.env)), reduce="max", window=1)


def learning_rate(train) -> float | list[list[float]]:
    """`train.lr`, or with `train.lr_final` RLlib's piecewise-linear schedule from lr at step 0 to
    lr_final at the last iteration's env steps (all learners' batches: RLlib counts the steps
    sampled). A constant high rate keeps moving the policy to the last batch, so a familiar
    wording with two training items can end a run routed by its latest minibatches; annealed,
    the last iterations average over many (CleanRL's PPO anneals by default)."""
    if train.lr_final is None:
        return train.lr
    steps = train.iterations * train.train_batch_size * max(1, train.num_learners)
    return [[0, train.lr], [steps, train.lr_final]]


def build_ppo_config(cfg: dict, pools: dict | None = None) -> PPOConfig:
    """`cfg` is the whole config; tools, reasoner and cache_dir are passed down to the env, and
    `pools` ({"tools": address, "reasoner": address}) when the driver started shared pools."""
    train = train_section(cfg)
    env_config = {"tools": cfg.get("tools"), "reasoner": cfg.get("reasoner"), "cache_dir": cfg.get("cache_dir"),
                  **{k: cfg[k] for k in ("tool_timeout_s", "reasoner_timeout_s", "max_audio_seconds") if k in cfg},
                  **{k: v for k, v in (cfg.get("data") or {}).items() if k in ("audio_root", "allowed_roots")},
                  **(cfg.get("train") or {}).get("env", {})}
    if pools:
        env_config["pools"] = pools
    register_env(ENV_NAME, make_env)
    num_envs = train.num_envs_per_env_runner
    return (
        PPOConfig()
        .environment(ENV_NAME, env_config=env_config)
        # several envs per runner: RLlib calls make_env with num_envs (its vector entry point),
        # which returns one BatchedVectorEnv; one env keeps gymnasium's plain sync wrapper
        .env_runners(num_env_runners=train.num_env_runners, num_envs_per_env_runner=num_envs,
                     gym_env_vectorize_mode="vector_entry_point" if num_envs > 1 else "sync")
        .learners(num_learners=train.num_learners, num_gpus_per_learner=train.num_gpus_per_learner)
        .training(lr=learning_rate(train), train_batch_size_per_learner=train.train_batch_size,
                  minibatch_size=train.minibatch_size, num_epochs=train.num_epochs,
                  entropy_coeff=train.entropy_coeff, gamma=1.0, lambda_=1.0)
        .rl_module(rl_module_spec=RLModuleSpec(module_class=RouterModule, model_config={"hidden": list(train.hidden)}))
        .callbacks(EpisodeOutcomeMetrics)
        # a crashed env runner is replaced and sampling goes on; the job does not end with it
        .fault_tolerance(restart_failed_env_runners=True)
        # no CPU/RAM poll (Ray Tune's UtilMonitor, a thread every 0.7 s): nothing reads its result
        # keys (cluster/train.py `_iteration_metrics`), and without GPUtil it printed "Install gputil
        # for GPU system monitoring." into every run
        .debugging(seed=train.seed, log_sys_usage=False)
    )
