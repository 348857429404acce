"""`audiorouter train`: PPO on local Ray (or the cluster RAY_ADDRESS names), MLflow every
iteration, checkpoints, router.pt, and the learned router evaluated beside the baselines."""
from __future__ import annotations

import os
import time

from tqdm import tqdm


def _iteration_metrics(result: dict, seconds: float) -> dict[str, float]:
    runners = result.get("env_runners", {})
    learner = result.get("learners", {}).get("default_policy", {})
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
                                              "reasoner_cache_misses")}}
    return {k: float(v) for k, v in metrics.items() if v is not None}


DEFAULT_EVAL_SPLITS = ("validation", "test")


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


def warm_tool_cache(cfg: dict, train_items: list, progress: bool, pool=None) -> dict[str, int]:
    """Every tool on every training clip and every clip of the evaluation splits, up front, over
    the tool pool (the shared one when `pools:` is configured, else `train.tool_workers` Ray
    workers started for this, default 2; 0: in-process): exploration would call every tool on
    every training clip anyway, and the workers run in parallel, so PPO iterations and the
    evaluation cost cache lookups and reasoner calls only."""
    from cluster.pools import ToolPool
    from env.items import AudioPaths, load_items
    from policy.config import train_section

    if not cfg.get("cache_dir"):
        return {}  # nothing to share between the workers and the env
    clips = {(i.audio, i.question, tuple(i.choices)) for i in train_items}
    e = cfg.get("eval", {})
    if e.get("after_train", True):
        for split in e.get("splits", DEFAULT_EVAL_SPLITS):
            items, _ = load_items(cfg["train"]["env"]["data"], split=split, paths=AudioPaths.from_config(cfg))
            clips |= {(i.audio, i.question, tuple(i.choices)) for i in items}
    if pool is not None:
        return pool.warm(sorted(clips), progress=progress)
    pool = ToolPool(cfg.get("tools"), cfg["cache_dir"], replicas=train_section(cfg).tool_workers,
                    name="audiorouter-warm")
    try:
        return pool.warm(sorted(clips), progress=progress)
    finally:
        pool.shutdown()


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


def train(cfg: dict, run_dir: str, progress: bool = True, resume: bool = False,
          parent_run_id: str | None = None, run_name: str = "train") -> dict:
    """PPO on the config's `train` section. `resume`: continue the run in `run_dir` from its last
    checkpoint, in the same MLflow run (cluster/run_state.py: metrics are neither lost nor
    logged twice); `cfg` is then the run's own config.yaml (the CLI loads it)."""
    import mlflow
    import ray

    from cluster.run_state import RunState
    from env.admission import BadItems, run_limits
    from env.factory import make_env
    from eval.tracking import start_run
    from policy.export import export_router
    from policy.config import train_section
    from policy.ppo import build_ppo_config

    t = cfg.get("train") or {}
    train_cfg = train_section(cfg)
    iterations, every = train_cfg.iterations, train_cfg.checkpoint_every
    if iterations < 1 or every < 1:
        raise ValueError("train.iterations and train.checkpoint_every must be at least 1")
    if not train_cfg.env.data:
        raise ValueError("train.env.data must name the training data (a folder with items.json)")
    state = RunState.load(run_dir) if resume else RunState(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False)
    ml = cfg.get("mlflow", {})
    summary: dict = {"run_dir": os.path.abspath(run_dir)}
    with start_run(ml.get("tracking_uri"), ml.get("experiment", "audiorouter"), run_name,
                   run_id=state.data.get("mlflow_run_id"), parent_run_id=parent_run_id,
                   tags={"audiorouter.kind": "trial" if parent_run_id else "train"}) as run:
        summary["mlflow_run_id"] = run.info.run_id
        if not resume:
            mlflow.log_params({k: str(v)[:500] for k, v in flat_params(t, "train").items()})
            state.save_config(cfg)
            state.save(mlflow_run_id=run.info.run_id)
        pools = start_pools(cfg)
        summary["pools"] = {name: pool.address for name, pool in (pools or {}).items()}
        config = build_ppo_config(cfg, pools={k: p.address for k, p in pools.items()} if pools else None)
        env = make_env(config.env_config)  # as the runners build it: items, tool names, feature spec
        # bad items known before training (manifest, audio): logged, and over the limit, stop now
        bad = BadItems(run_limits(cfg)["max_bad_fraction"])
        bad.add(env.rejected)
        n_items = len(env.items) + len(env.rejected)
        mlflow.log_artifact(bad.write_parquet(os.path.join(run_dir, "rejected.parquet")))
        bad.check(n_items)
        warm = warm_tool_cache(cfg, env.items, progress, pool=pools["tools"] if pools else None)
        if not resume:  # step-0 metrics: logged once per run
            mlflow.log_metrics({"bad_items_before_training": float(len(bad)),
                                **{f"tool_cache_{k}": float(v) for k, v in warm.items()}})
        algo = config.build_algo()
        done = 0
        if resume:
            algo.restore_from_path(state.data["checkpoint"])
            done = int(state.data["iterations_done"])
            state.log_pending()  # a crash while logging the last checkpoint's metrics
        pending: list[tuple[int, dict]] = []  # metrics of iterations not yet covered by a checkpoint
        metrics: dict = {}
        bar = tqdm(range(done, iterations), desc="PPO", unit="iter", initial=done, total=iterations,
                   disable=not progress)
        for i in bar:
            start = time.perf_counter()
            metrics = _iteration_metrics(algo.train(), time.perf_counter() - start)
            pending.append((i, {**metrics, **pool_metrics(pools)}))
            # items the runners rejected since (files gone bad, reasoner timeouts) count as well
            bad.check(n_items, bad=max(len(bad), int(metrics.get("bad_items", 0))))
            bar.set_postfix(reward=f"{metrics.get('reward_mean', float('nan')):.3f}")
            if (i + 1) % every == 0 or i + 1 == iterations:
                path = state.checkpoint_path(i + 1)
                algo.save_to_path(path)
                state.commit(i + 1, path, pending)
                pending = []
        router_path = os.path.join(run_dir, "router.pt")
        export_router(algo.get_module(), env, train_cfg.hidden, router_path)
        algo.stop()
        env.close()
        for pool in (pools or {}).values():
            pool.shutdown()
        mlflow.log_artifact(router_path)
        mlflow.log_artifact(plot_learning_curves(run.info.run_id, os.path.join(run_dir, "learning_curves.png"),
                                                 f"PPO: {run_name}"))
        summary.update(router=router_path, checkpoint=state.data["checkpoint"], last=metrics,
                       iterations=int(state.data["iterations_done"]))
        e = cfg.get("eval", {})
        if e.get("after_train", True):
            summary["results"] = evaluate_after_training(cfg, router_path, run_dir, progress)
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


def compact_caches(cache_dir: str | None) -> None:
    """One shard per cache after a run: the pools write a small shard per call."""
    from tools.cache import ParquetCache

    if cache_dir:
        for name in ("tools", "reasoner"):
            ParquetCache(os.path.join(cache_dir, name)).compact()


def evaluate_after_training(cfg: dict, router_path: str, run_dir: str, progress: bool) -> dict[str, dict]:
    """The learned router beside `eval.systems` on each of `eval.splits` (default validation and
    test): `run_dir/results.<split>.json` (+ .md, .items.parquet) and MLflow metrics
    `<split>/accuracy/<system>[/<task>]`, the router named `learned` so runs line up."""
    from eval.benchmark import build_evaluator, run_benchmark
    from eval.tracking import log_eval

    e = cfg.get("eval", {})
    learned = f"learned:{router_path}"
    systems = list(e.get("systems", ["none", "all", "expert"])) + [learned]
    evaluator = build_evaluator(cfg, progress)  # one reasoner and tool set for every split
    by_split = {}
    for split in e.get("splits", DEFAULT_EVAL_SPLITS):
        out = os.path.join(run_dir, f"results.{split}.json")
        by_split[split] = run_benchmark(cfg, cfg["train"]["env"]["data"], systems, out, split=split,
                                        fit_split=e.get("fit_split", "train"), evaluator=evaluator,
                                        progress=progress, labels={learned: "learned"})
        log_eval(by_split[split], out, {}, prefix=f"{split}/")
    return by_split
