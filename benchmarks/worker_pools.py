"""Worker-pool benchmarks (docs/BENCHMARKS.md): batched reasoner throughput, warm vs cold env
step, memory per pool. Run from the repository root after `make demo` (it reads the demo's
probe data and its tool cache for the evidence texts):

    python benchmarks/worker_pools.py reasoner    # 8 clients, one-at-a-time vs dynamic batching
    python benchmarks/worker_pools.py step        # env step, empty caches vs warm, same episodes
    python benchmarks/worker_pools.py runners     # PPO env steps/s with 1 vs 2 env runners, pools

Each part starts its own local Ray (or uses RAY_ADDRESS) and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cluster.config import load_config  # noqa: E402
from cluster.pools import ReasonerPool, ToolPool  # noqa: E402
from env.items import load_items  # noqa: E402
from env.reasoners import ReasonRequest  # noqa: E402
from tools.cache import ParquetCache  # noqa: E402
from tools.executor import ToolExecutor  # noqa: E402
from tools.registry import build_tools  # noqa: E402


def start_ray(num_cpus: int) -> None:
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(address=os.environ.get("RAY_ADDRESS"), num_cpus=None if os.environ.get("RAY_ADDRESS") else num_cpus,
             include_dashboard=False, log_to_driver=False,
             _temp_dir=None if os.environ.get("RAY_ADDRESS") else tempfile.mkdtemp(prefix="ray-", dir="/tmp"))


def episode_requests(cfg: dict, n_items: int, seed: int) -> list[list[ReasonRequest]]:
    """What env episodes send the reasoner: per episode [with the tools' evidence, without tools],
    for tool sets like exploration picks (the expert tool, expert + another, two at random)."""
    env = cfg["train"]["env"]
    items, _ = load_items(env["data"], split=env.get("split", "train"))
    executor = ToolExecutor(build_tools(cfg["tools"]), ParquetCache(os.path.join(cfg["cache_dir"], "tools")))
    rng = random.Random(seed)
    episodes = []
    for item in items[:n_items]:
        others = [n for n in executor.names if n != item.expert_tool]
        for tools in ([item.expert_tool], [item.expert_tool, rng.choice(others)], rng.sample(others, 2)):
            texts = executor.evidence(executor.run(item.audio, item.question, item.choices, tools))
            episodes.append([ReasonRequest(item.question, tuple(item.choices), texts),
                             ReasonRequest(item.question, tuple(item.choices), ())])
    return episodes


def reasoner_throughput(cfg: dict, clients: int, n_items: int, max_batch: int, max_wait_ms: float, rows: int,
                        dtype: str) -> dict:
    """`clients` threads, each sending its share of the episodes one episode at a time (a blocking
    call, as an env runner does), to a one-replica reasoner pool without an answer cache."""
    import ray

    episodes = episode_requests(cfg, n_items, seed=0)
    section = {**cfg["reasoner"], "max_batch": rows, "dtype": dtype}  # rows per forward pass
    pool = ReasonerPool(section, None, replicas=1, num_cpus=2, max_batch=max_batch,
                        max_wait_ms=max_wait_ms, name=f"bench-reasoner-{max_batch}", threads=2)
    actor = pool.actors[0]
    ray.get(actor.answer_batch.remote([ReasonRequest("warm up?", ("yes", "no"))]))  # weights loaded
    shares = [episodes[k::clients] for k in range(clients)]
    latencies: list[float] = []

    def client(share):
        for requests in share:
            start = time.perf_counter()
            ray.get(actor.answer_batch.remote(requests))
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    stats = pool.total()
    pool.shutdown()
    n = sum(len(e) for e in episodes)
    return {"max_batch": max_batch, "requests": n, "wall_s": wall, "requests_per_s": n / wall,
            "mean_batch": stats.get("mean_batch", 0.0), "p50_latency_s": statistics.median(latencies),
            "peak_rss_mb": stats["peak_rss_mb"]}


def run_reasoner(args) -> None:
    cfg = load_config(args.config, [])
    start_ray(num_cpus=2)
    # the same reasoner settings in both: the server's batching across callers is the only difference
    rows = [reasoner_throughput(cfg, args.clients, args.items, 1, 0.0, args.rows, args.dtype),
            reasoner_throughput(cfg, args.clients, args.items, args.max_batch, args.max_wait_ms, args.rows,
                                args.dtype)]
    print(f"\n{args.clients} concurrent clients, {rows[0]['requests']} requests "
          f"({args.items} training items x 3 tool sets x with/without tools), {args.dtype}, no answer cache\n")
    print("| server | wall s | requests/s | mean batch | median latency per episode s | server peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        label = "one request at a time" if r["max_batch"] == 1 else \
            f"dynamic batching (max {r['max_batch']} requests, {args.rows} rows per pass, wait {args.max_wait_ms:g} ms)"
        print(f"| {label} | {r['wall_s']:.1f} | {r['requests_per_s']:.2f} | {r['mean_batch']:.1f} | "
              f"{r['p50_latency_s']:.2f} | {r['peak_rss_mb']:.0f} |")
    print(f"\nthroughput ratio: {rows[1]['requests_per_s'] / rows[0]['requests_per_s']:.2f}x")


def scripted_episodes(env, n_items: int, seed: int) -> list[tuple[int, list[int]]]:
    """(item index, tool actions) per episode: the expert tool, expert + another, two others."""
    rng = random.Random(seed)
    out = []
    for k, item in enumerate(env.items[:n_items]):
        expert = env.tool_names.index(item.expert_tool)
        others = [a for a in range(env.n_tools) if a != expert]
        for tools in ([expert], [expert, rng.choice(others)], rng.sample(others, 2)):
            out.append((k, tools))
    return out


def time_steps(env, episodes) -> tuple[float, int]:
    """Seconds spent in env.step (not reset: per-item features are not what the caches hold)."""
    seconds, steps = 0.0, 0
    for k, tools in episodes:
        env._order = [k]
        env.reset()
        for action in tools + [env.answer_action]:
            start = time.perf_counter()
            _, _, done, _, _ = env.step(action)
            seconds += time.perf_counter() - start
            steps += 1
            if done:
                break
    return seconds, steps


def step_timings(cfg: dict, mode: str, n_items: int) -> dict:
    """Cold and warm env-step cost in this process (run in a child process per mode, so its
    peak RSS is what an env runner of that mode holds)."""
    import ray

    from cluster.pools import peak_rss_mb
    from env.factory import make_env

    cache_dir = tempfile.mkdtemp(prefix=f"bench-{mode}-")
    env_config = {"tools": cfg["tools"], "reasoner": cfg["reasoner"], "cache_dir": cache_dir,
                  **cfg["train"]["env"], "shuffle": False}
    pools = None
    if mode == "pools":
        start_ray(num_cpus=2)  # this child's own Ray, gone when it exits
        pools = [ToolPool(cfg["tools"], cache_dir, replicas=1, name="bench-tools"),
                 ReasonerPool(cfg["reasoner"], cache_dir, replicas=1, name="bench-reasoner")]
        env_config["pools"] = {"tools": pools[0].address, "reasoner": pools[1].address}
    out = {"mode": mode}
    for phase in ("cold", "warm"):
        env = make_env(env_config)  # warm: a new env over the caches the cold pass wrote
        episodes = scripted_episodes(env, n_items, seed=0)
        if phase == "cold":  # the reasoner's weights are not part of a step: load them first
            env.reasoner.answer_batch([ReasonRequest("warm up?", ("yes", "no"))])
        out[phase], out["steps"] = time_steps(env, episodes)
        env.close()
    out["env_rss_mb"] = peak_rss_mb()
    if pools:
        out["pool_rss_mb"] = {p.names[0]: round(p.total()["peak_rss_mb"]) for p in pools}
        for pool in pools:
            pool.shutdown()
        ray.shutdown()
    return out


def run_step(args) -> None:
    """Cold: empty tool and reasoner caches; warm: a new env over the caches the cold pass wrote.
    local: the env process runs the tools and the reasoner itself; pools: it calls the pools."""
    import multiprocessing

    cfg = load_config(args.config, [])
    rows = []
    for mode in ("local", "pools"):
        with multiprocessing.get_context("spawn").Pool(1) as child:
            rows.append(child.apply(step_timings, (cfg, mode, args.items)))
    print(f"\n{args.items} training items x 3 tool sets, demo config tools and reasoner\n")
    print("| env | steps | cold ms/step | warm ms/step | cold / warm | env process peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        n = r["steps"]
        print(f"| {r['mode']} | {n} | {1000 * r['cold'] / n:.1f} | {1000 * r['warm'] / n:.3f} | "
              f"{r['cold'] / r['warm']:.0f}x | {r['env_rss_mb']:.0f} |")
    print(f"\npool replicas' peak RSS MB: {rows[1]['pool_rss_mb']}")


def run_runners(args) -> None:
    """PPO sampling throughput with env runners reaching the pools by name: 1 vs 2 remote env
    runners (each with `--envs` envs), on `--items` training items whose every possible reasoner
    answer is precomputed first (as `cache warm --reasoner` does), so sampling measures the env
    runners, not the reasoner."""
    import ray

    from cluster.train import start_pools
    from env.factory import make_env
    from policy.ppo import build_ppo_config

    base = load_config(args.config, [])
    base["train"] = {**base["train"], "env": {**base["train"]["env"], "max_items": args.items}}
    start_ray(num_cpus=2)
    pools_cfg = {"tools": {"replicas": 1, "num_cpus": 0}, "reasoner": {"replicas": 1, "num_cpus": 0}}
    pools = start_pools({**base, "pools": pools_cfg})
    env = make_env({"tools": base["tools"], "reasoner": base["reasoner"], "cache_dir": base["cache_dir"],
                    **base["train"]["env"]})
    requests = [r for item in env.items for r in env.possible_requests(item)]
    start = time.perf_counter()
    warm = pools["reasoner"].warm(requests, progress=False)
    print(f"reasoner answers for {args.items} items: {warm['requests']} requests, {warm['computed']} computed, "
          f"{time.perf_counter() - start:.0f}s")
    rows = []
    for runners in (1, 2):
        cfg = {**base, "train": {**base["train"], "num_env_runners": runners, "num_envs_per_env_runner": args.envs}}
        algo = build_ppo_config(cfg, pools={k: p.address for k, p in pools.items()}).build_algo()
        algo.train()  # start-up: runners build their envs, question embeddings, first samples
        steps = seconds = 0.0
        sampling = []
        for _ in range(args.iterations):
            start = time.perf_counter()
            result = algo.train()
            seconds += time.perf_counter() - start
            steps += result["env_runners"]["num_env_steps_sampled"]
            sampling.append(result["env_runners"]["num_env_steps_sampled_lifetime_throughput"][
                "throughput_since_last_reduce"])
        rss = ray.get([r.__ray_call__.remote(lambda self: __import__("resource").getrusage(
            __import__("resource").RUSAGE_SELF).ru_maxrss / 1024.0)
            for r in algo.env_runner_group._worker_manager.actors().values()])
        algo.stop()
        rows.append((runners, steps, statistics.median(sampling), steps / seconds, max(rss)))
    pool_rss = {name: pool.total()["peak_rss_mb"] for name, pool in pools.items()}
    misses = pools["reasoner"].total()["misses"]
    for pool in pools.values():
        pool.shutdown()
    print(f"\nPPO on the demo config ({args.items} items), {args.envs} envs per runner, {args.iterations} iterations "
          f"of {base['train']['train_batch_size']} steps; reasoner computations during PPO: "
          f"{misses - warm['computed']:.0f}\n")
    print("| env runners | env steps | sampling steps/s (RLlib) | steps/s per iteration (with learner) | "
          "peak RSS per runner MB |")
    print("|---|---|---|---|---|")
    for runners, steps, sampling_rate, overall, rss in rows:
        print(f"| {runners} | {steps:.0f} | {sampling_rate:.0f} | {overall:.0f} | {rss:.0f} |")
    print(f"\npools: tool replica peak RSS {pool_rss['tools']:.0f} MB, reasoner replica {pool_rss['reasoner']:.0f} MB")
    print(f"2 vs 1 env runners: {rows[1][2] / rows[0][2]:.2f}x sampling, {rows[1][3] / rows[0][3]:.2f}x per iteration")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=["reasoner", "step", "runners"])
    p.add_argument("--config", default="configs/demo.yaml")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--items", type=int, default=16, help="training items (runners: 40 if not given)")
    p.add_argument("--iterations", type=int, default=4)
    p.add_argument("--envs", type=int, default=4, help="envs per env runner")
    p.add_argument("--max-batch", type=int, default=16, help="requests the server batches")
    p.add_argument("--rows", type=int, default=32, help="prompts (rows) per forward pass, both servers")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    p.add_argument("--max-wait-ms", type=float, default=10.0)
    args = p.parse_args()
    {"reasoner": run_reasoner, "step": run_step, "runners": run_runners}[args.part](args)


if __name__ == "__main__":
    main()
