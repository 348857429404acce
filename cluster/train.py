"""`audiorouter train`: PPO on local Ray (or the cluster RAY_ADDRESS names), MLflow every
iteration, checkpoints, router.pt, and the learned router evaluated beside the baselines."""
from __future__ import annotations

import os
import time

from tqdm import tqdm


def _iteration_metrics(result: dict, seconds: float) -> dict[str, float]:
    runners = result.get("env_runners", {})
    learner = result.get("learners", {}).get("default_policy", {})
    timers = result.get("timers", {})
    metrics = {"reward_mean": runners.get("episode_return_mean"),
               "episode_len_mean": runners.get("episode_len_mean"),  # tool calls + the ANSWER step
               "entropy": learner.get("entropy"), "kl": learner.get("mean_kl_loss"),
               "policy_loss": learner.get("policy_loss"), "vf_loss": learner.get("vf_loss"),
               "env_steps": runners.get("num_env_steps_sampled_lifetime"), "seconds": seconds,
               # from policy.ppo.EpisodeOutcomeMetrics
               "accuracy": runners.get("accuracy"), "accuracy_without_tools": runners.get("accuracy_without_tools"),
               "tool_calls": runners.get("tool_calls"), "tool_cost": runners.get("tool_cost"),
               "bad_items": runners.get("bad_items"), "failed_episodes": runners.get("failed_episodes"),
               # EpisodeOutcomeMetrics.on_sample_end: env-runner-side cache lookups this iteration
               **{k: runners.get(k) for k in ("tool_cache_hits", "tool_cache_misses", "reasoner_cache_hits",
                                              "reasoner_cache_misses")},
               # where the iteration's time went: the reasoner's misses (exact, summed over runners),
               # sampling and the learner update (RLlib's timers: smoothed over iterations)
               "reasoner_seconds": runners.get("reasoner_seconds"),
               "sampling_seconds": timers.get("env_runner_sampling_timer"),
               "learner_seconds": timers.get("learner_update_timer")}
    return {k: float(v) for k, v in metrics.items() if v is not None}


def flat_params(section: dict, prefix: str) -> dict:
    """{"env": {"max_items": 25}} -> {"<prefix>.env.max_items": 25}: one MLflow param per leaf, so
    the compare view lines runs up key by key (e.g. the training-set size of a sweep trial)."""
    out = {}
    for key, value in section.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict) and value:
            out.update(flat_params(value, name))
        else:
            out[name] = value
    return out


def start_pools(cfg: dict):
    """The shared tool and reasoner pools of `pools:` (cluster/pools.py), or None without it."""
    from cluster.pools import ReasonerPool, ToolPool, pool_settings
    from env.admission import run_limits

    if not cfg.get("pools"):
        return None
    s, limits = pool_settings(cfg), run_limits(cfg)
    return {"tools": ToolPool(cfg.get("tools"), cfg.get("cache_dir"), timeout_s=limits["tool_timeout_s"],
                              max_audio_seconds=limits["max_audio_seconds"], **s["tools"]),
            "reasoner": ReasonerPool(cfg.get("reasoner"), cfg.get("cache_dir"), **s["reasoner"])}


def pool_metrics(pools) -> dict[str, float]:
    """Server-side counters of each pool (MLflow `pool/<pool>/<counter>`): cache hits and misses
    (a miss is a computation), requests, batches and mean batch size, peak RSS per replica."""
    if not pools:
        return {}
    return {f"pool/{name}/{k}": float(v) for name, pool in pools.items() for k, v in pool.total().items()}


class TrainRecipe:
    """PPO on the config's `train` section, as three steps (torchtune's recipe shape):

    setup()    Ray, the MLflow run (new, or the crashed run's own when resuming), the shared pools,
               the PPO config and a probe env (items, tools, feature spec), the bad-item check, the
               tool cache warmed, the algorithm built (restored from the last checkpoint on resume)
    iterate()  PPO iterations with metrics, committed to MLflow once per checkpoint (run_state.py)
    finish()   router.pt exported, workers stopped, learning curves plotted, the learned router
               evaluated beside the fixed systems

    `train()` below runs the three inside the MLflow run.
    """

    def __init__(self, cfg: dict, run_dir: str, progress: bool = True, resume: bool = False,
                 parent_run_id: str | None = None, run_name: str = "train"):
        from cluster.run_state import RunState
        from policy.config import train_section

        self.cfg, self.run_dir, self.progress, self.resume = cfg, run_dir, progress, resume
        self.parent_run_id, self.run_name = parent_run_id, run_name
        self.section = train_section(cfg)
        if self.section.iterations < 1 or self.section.checkpoint_every < 1:
            raise ValueError("train.iterations and train.checkpoint_every must be at least 1")
        if not self.section.env.data:
            raise ValueError("train.env.data must name the training data (a folder with items.json)")
        self.state = RunState.load(run_dir) if resume else RunState(run_dir)
        os.makedirs(run_dir, exist_ok=True)
        self.summary: dict = {"run_dir": os.path.abspath(run_dir)}

    def mlflow_run(self):
        from eval.tracking import mlflow_section, start_run

        ml = mlflow_section(self.cfg)
        return start_run(ml.tracking_uri, ml.experiment, self.run_name, run_id=self.state.data.get("mlflow_run_id"),
                         parent_run_id=self.parent_run_id,
                         tags={"audiorouter.kind": "trial" if self.parent_run_id else "train"})

    def setup(self, run) -> None:
        import mlflow

        from cluster.warm import warm_tool_cache
        from env.admission import BadItems, run_limits
        from env.factory import make_env
        from policy.export import check_novelty_reading
        from policy.ppo import build_ppo_config

        self.run_id = self.summary["mlflow_run_id"] = run.info.run_id
        if not self.resume:
            mlflow.log_params({k: str(v)[:500] for k, v in flat_params(self.cfg.get("train") or {}, "train").items()})
            self.state.save_config(self.cfg)
            self.state.save(mlflow_run_id=run.info.run_id)
        self.pools = start_pools(self.cfg)
        self.summary["pools"] = {name: pool.address for name, pool in (self.pools or {}).items()}
        config = build_ppo_config(self.cfg, pools={k: p.address for k, p in self.pools.items()} if self.pools else None)
        self.env = make_env(config.env_config)  # as the runners build it: items, tool names, feature spec
        check_novelty_reading(self.env, self.section.novelty_relevance_of, self.section.novelty_relevance_match,
                              self.section.novelty_reading, self.section.novelty_second_tool_margin)
        # bad items known before training (manifest, audio): logged, and over the limit, stop now
        self.bad = BadItems(run_limits(self.cfg)["max_bad_fraction"])
        self.bad.add(self.env.rejected)
        self.n_items = len(self.env.items) + len(self.env.rejected)
        mlflow.log_artifact(self.bad.write_parquet(os.path.join(self.run_dir, "rejected.parquet")))
        self.bad.check(self.n_items)
        warm = warm_tool_cache(self.cfg, self.env.items, self.progress,
                               pool=self.pools["tools"] if self.pools else None)
        if not self.resume:  # step-0 metrics: logged once per run
            mlflow.log_metrics({"bad_items_before_training": float(len(self.bad)),
                                **{f"tool_cache_{k}": float(v) for k, v in warm.items()}})
        self.algo = config.build_algo()
        self.done = 0
        if self.resume:
            self.algo.restore_from_path(self.state.data["checkpoint"])
            self.done = int(self.state.data["iterations_done"])
            self.state.log_pending()  # a crash while logging the last checkpoint's metrics

    def iterate(self) -> dict:
        """The remaining iterations; the last one's metrics."""
        iterations, every = self.section.iterations, self.section.checkpoint_every
        pending: list[tuple[int, dict]] = []  # metrics of iterations not yet covered by a checkpoint
        metrics: dict = {}
        bar = tqdm(range(self.done, iterations), desc="PPO", unit="iter", initial=self.done, total=iterations,
                   disable=not self.progress)
        for i in bar:
            start = time.perf_counter()
            metrics = _iteration_metrics(self.algo.train(), time.perf_counter() - start)
            pending.append((i, {**metrics, **pool_metrics(self.pools)}))
            # items the runners rejected since (files gone bad, reasoner timeouts) count as well
            self.bad.check(self.n_items, bad=max(len(self.bad), int(metrics.get("bad_items", 0))))
            bar.set_postfix(reward=f"{metrics.get('reward_mean', float('nan')):.3f}")
            if (i + 1) % every == 0 or i + 1 == iterations:
                path = self.state.checkpoint_path(i + 1)
                self.algo.save_to_path(path)
                self.state.commit(i + 1, path, pending)
                pending = []
        return metrics

    def finish(self, metrics: dict) -> dict:
        import mlflow

        from eval.benchmark import eval_section
        from policy.export import export_router

        router_path = os.path.join(self.run_dir, "router.pt")
        export_router(self.algo.get_module(), self.env, self.section.hidden, router_path,
                      novelty_threshold=self.section.novelty_threshold,
                      neighbour_weight=self.section.novelty_neighbour_weight,
                      neighbour_floor=self.section.novelty_neighbour_floor,
                      novelty_relevance_of=self.section.novelty_relevance_of,
                      novelty_relevance_match=self.section.novelty_relevance_match,
                      novelty_reading=self.section.novelty_reading,
                      second_tool_margin=self.section.novelty_second_tool_margin)
        self.algo.stop()
        self.env.close()
        for pool in (self.pools or {}).values():
            pool.shutdown()
        mlflow.log_artifact(router_path)
        mlflow.log_artifact(plot_learning_curves(self.run_id, os.path.join(self.run_dir, "learning_curves.png"),
                                                 f"PPO: {self.run_name}"))
        self.summary.update(router=router_path, checkpoint=self.state.data["checkpoint"], last=metrics,
                            iterations=int(self.state.data["iterations_done"]))
        if eval_section(self.cfg).after_train:
            self.summary["results"] = evaluate_after_training(self.cfg, router_path, self.run_dir, self.progress)
        return self.summary


def train(cfg: dict, run_dir: str, progress: bool = True, resume: bool = False,
          parent_run_id: str | None = None, run_name: str = "train") -> dict:
    """PPO on the config's `train` section (`TrainRecipe`). `resume`: continue the run in
    `run_dir` from its last checkpoint, in the same MLflow run (cluster/run_state.py: metrics are
    neither lost nor logged twice); `cfg` is then the run's own config.yaml (the CLI loads it)."""
    from cluster.pools import init_ray
    from cluster.warm import compact_caches

    recipe = TrainRecipe(cfg, run_dir, progress, resume, parent_run_id, run_name)
    init_ray()
    with recipe.mlflow_run() as run:
        recipe.setup(run)
        summary = recipe.finish(recipe.iterate())
    compact_caches(cfg.get("cache_dir"))
    return summary


def plot_learning_curves(run_id: str, path: str, title: str) -> str:
    """The per-iteration metrics of the whole run, read back from MLflow (so a resumed run's
    plot covers the iterations before the crash too)."""
    import mlflow

    from eval.plots import LEARNING_PANELS, learning_curves

    client = mlflow.MlflowClient()
    history = {key: [(m.step, m.value) for m in client.get_metric_history(run_id, key)]
               for _, keys in LEARNING_PANELS for key in keys}
    return learning_curves(history, path, title)


def evaluate_after_training(cfg: dict, router_path: str, run_dir: str, progress: bool) -> dict[str, dict]:
    """The learned router beside `eval.systems` on each of `eval.splits` (default validation and
    test): `run_dir/results.<split>.json` (+ .md, .items.parquet) and MLflow metrics
    `<split>/accuracy/<system>[/<task>]`, the router named `learned` so runs line up."""
    from eval.benchmark import build_evaluator, eval_section, run_benchmark
    from eval.tracking import log_eval

    e = eval_section(cfg)
    learned = f"learned:{router_path}"
    systems = list(e.systems) + [learned]
    evaluator = build_evaluator(cfg, progress)  # one reasoner and tool set for every split
    by_split = {}
    for split in e.splits:
        out = os.path.join(run_dir, f"results.{split}.json")
        by_split[split] = run_benchmark(cfg, cfg["train"]["env"]["data"], systems, out, split=split,
                                        fit_split=e.fit_split, evaluator=evaluator,
                                        progress=progress, labels={learned: "learned"})
        log_eval(by_split[split], out, {}, prefix=f"{split}/")
    return by_split
