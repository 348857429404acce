"""What a routed answer costs against all tools, end to end, with cold caches, in one process.

    python benchmarks/pipeline_cost.py [--router runs/demo/router.pt] [--data DIR] [--split test]
                                       [--items 100] [--config configs/demo.yaml] --out FILE.json

The same items go through two pipelines, back to back per item:
  all     every tool, then the reasoner;
  routed  the learned router (question embedding, audio descriptors, then one MLP decision per
          step, each seeing what was called so far), the tools it chose, then the reasoner.
Each pipeline has its own fresh tool and answer caches (empty folders) and its own reasoner
instance (the weights are shared, loaded once), so neither is served by the other's work. Every
model (reasoner, sentence encoders, each tool's) is loaded and warmed on a clip outside the
measured items before the clock starts.

Writes {"items", "routed_seconds_per_item", "all_seconds_per_item", "ratio" (routed / all),
"routed_accuracy", "all_accuracy", "route_seconds_per_item" (question features + audio
descriptors + decisions), "decision_seconds_per_item" (the MLP alone)} and, beside them, the
seconds per stage, per tool call and the calls per item. Scripts rely on those keys.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Stopwatch:
    """Seconds spent inside the wrapped callables, per name."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
        return timed


def warm_models(cfg: dict, clip, encoder, reasoners, router) -> float:
    """Loads every model the pipelines use (first-use costs: GGUF conversion, silero, pocketsphinx,
    numba, the router's first forward) on one clip that is not measured; the seconds it took."""
    import numpy as np

    from env.reasoners import ReasonRequest
    from env.runtime import tool_executor

    start = time.perf_counter()
    scratch = tool_executor({**cfg, "cache_dir": None})
    results = scratch.run(clip.audio, clip.question, clip.choices, scratch.names)
    encoder.encode("What is the warm-up question?")
    router.act({"observations": np.zeros(router.spec["obs_dim"], np.float32),
                "action_mask": np.ones(len(router.tool_names) + 1, np.float32)})
    for reasoner in reasoners:
        reasoner.backend.answer_batch([ReasonRequest.from_results(clip.question, clip.choices, results, scratch)])
        reasoner.backend._prior_cache.clear(), reasoner.backend._prefix_kv.clear()  # nothing measured is served
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--router", default=None, help="router.pt (default: the config's train.run_dir/router.pt)")
    parser.add_argument("--data", default=None, help="default: the config's train.env.data")
    parser.add_argument("--split", default="test")
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    from tqdm import tqdm

    from cluster.config import load_config
    from env.features import QuestionEncoder
    from env.items import load_items
    from env.reasoners import ReasonRequest
    from env.runtime import cached_reasoner, tool_executor
    from env.scoring import string_match
    from policy.export import Router

    cfg = load_config(args.config)
    router_path = args.router or os.path.join(cfg["train"]["run_dir"], "router.pt")
    data = args.data or cfg["train"]["env"]["data"]
    items, _ = load_items(data, split=args.split)
    items = items[: args.items]
    if not items:
        raise SystemExit(f"no {args.split} items in {data}")
    warm_clip = None  # warms the models; from another split, so never measured
    for split in ("validation", "train"):
        others = load_items(data, split=split)[0] if split != args.split else []
        if others:
            warm_clip = others[0]
            break
    if warm_clip is None:
        raise SystemExit(f"{data} has no validation or train item to warm the models on")

    caches = tempfile.mkdtemp(prefix="pipeline_cost.")
    stacks = {}
    for name in ("all", "routed"):
        local = {**cfg, "cache_dir": os.path.join(caches, name)}
        stacks[name] = (tool_executor(local), cached_reasoner(local))
    router = Router(router_path)
    encoder = QuestionEncoder()
    load_seconds = warm_models(cfg, warm_clip, encoder, [r for _, r in stacks.values()], router)

    watch = {name: Stopwatch() for name in stacks}
    for name, (executor, reasoner) in stacks.items():
        executor.run_many = watch[name].wrap("execute", executor.run_many)
        reasoner.answer_batch = watch[name].wrap("reason", reasoner.answer_batch)
    router.act = watch["routed"].wrap("decision", router.act)
    executor, reasoner = stacks["routed"]
    env = router.routing_env(items, executor, reasoner, encoder)
    env.reset = watch["routed"].wrap("episode", env.reset)
    env.step = watch["routed"].wrap("episode", env.step)

    correct = {name: 0 for name in stacks}
    total = {name: 0.0 for name in stacks}
    calls, tool_seconds, tool_calls = 0, defaultdict(float), defaultdict(int)
    for item in tqdm(items, desc="pipeline cost", unit="item"):
        start = time.perf_counter()  # all tools
        all_executor, all_reasoner = stacks["all"]
        results = all_executor.run(item.audio, item.question, item.choices, all_executor.names)
        answer = all_reasoner.answer_batch([ReasonRequest.from_results(item.question, item.choices, results,
                                                                       all_executor, item.audio)])[0]
        total["all"] += time.perf_counter() - start
        correct["all"] += bool(string_match(item.answer, answer.choice, item.scored_choices))
        for r in results:
            tool_seconds[r.tool] += r.seconds
            tool_calls[r.tool] += 1

        start = time.perf_counter()  # routed: one episode on this item (the env walks them in order)
        tools = router.route(env)["tools"]
        results = executor.run(item.audio, item.question, item.choices, tools)  # served by the episode's calls
        answer = reasoner.answer_batch([ReasonRequest.from_results(item.question, item.choices, results,
                                                                   executor, item.audio)])[0]
        total["routed"] += time.perf_counter() - start
        correct["routed"] += bool(string_match(item.answer, answer.choice, item.scored_choices))
        calls += len(tools)

    n = len(items)
    routed = watch["routed"].seconds
    # the episode's own time less the tool calls it made = features (embedding, descriptors,
    # relevance), observations and decisions: what routing adds to the pipeline
    route = routed["episode"] - routed["execute"]
    out = {
        "items": n,
        "routed_seconds_per_item": total["routed"] / n,
        "all_seconds_per_item": total["all"] / n,
        "ratio": total["routed"] / total["all"],
        "routed_accuracy": correct["routed"] / n,
        "all_accuracy": correct["all"] / n,
        "route_seconds_per_item": route / n,
        "decision_seconds_per_item": routed["decision"] / n,
        "routed_stages_seconds_per_item": {"route": route / n, "decision": routed["decision"] / n,
                                           "features": (route - routed["decision"]) / n,
                                           "execute": routed["execute"] / n, "reason": routed["reason"] / n},
        "all_stages_seconds_per_item": {"execute": watch["all"].seconds["execute"] / n,
                                        "reason": watch["all"].seconds["reason"] / n},
        "routed_calls_per_item": calls / n,
        "all_tool_seconds_per_call": {t: tool_seconds[t] / tool_calls[t] for t in tool_seconds},
        "models_load_seconds": load_seconds,
        "router": os.path.abspath(router_path), "data": os.path.abspath(data), "split": args.split,
        "reasoner": stacks["all"][1].backend.id,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()
                      if not isinstance(v, dict)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
