"""Dynamic batching of the reasoner on a GPU: 8 concurrent clients, one request at a time vs batched.

The same code as the CPU benchmark (`worker_pools.py reasoner`), in-process (the GPU machine has
torch and transformers but no Ray): `BatchingReasoner` over `SmolLMReasoner(device="cuda")`.

    # here, after `make demo`: the demo's episode requests, SmolLM2's tokenizer and model config
    python benchmarks/gpu_batching.py export --out build/gpu_inputs
    # on the GPU machine
    python benchmarks/gpu_batching.py run --inputs build/gpu_inputs

The GGUF weights (98 MB) are not carried: the model is SmolLM2-135M's architecture with random
weights, which costs exactly the same FLOPs per token; answers are meaningless, timings are not.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def export(args) -> None:
    from benchmarks.worker_pools import episode_requests
    from cluster.config import load_config
    from env.reasoners.smollm2 import SmolLMReasoner

    cfg = load_config(args.config, [])
    os.makedirs(args.out, exist_ok=True)
    episodes = episode_requests(cfg, args.items, seed=0)
    with open(os.path.join(args.out, "episodes.json"), "w") as f:
        json.dump([[[r.question, list(r.choices), list(r.tool_texts)] for r in e] for e in episodes], f)
    reasoner = SmolLMReasoner()
    reasoner.tokenizer.save_pretrained(args.out)
    reasoner.model.config.save_pretrained(args.out)
    print(f"{len(episodes)} episodes, tokenizer and config -> {args.out}")


def run(args) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from env.reasoners.batching import BatchingReasoner
    from env.reasoners import ReasonRequest
    from env.reasoners.smollm2 import SmolLMReasoner

    device = "cuda" if torch.cuda.is_available() else "cpu"
    episodes = [[ReasonRequest(q, tuple(c), tuple(t)) for q, c, t in e]
                for e in json.load(open(os.path.join(args.inputs, "episodes.json")))]
    episodes = (episodes * args.repeat)[: len(episodes) * args.repeat]
    config = AutoConfig.from_pretrained(args.inputs)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.inputs)
    print(f"device {device} ({torch.cuda.get_device_name() if device == 'cuda' else 'cpu'}), "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.0f}M params, bf16, {len(episodes)} episodes")

    def reasoner(rows: int) -> SmolLMReasoner:
        r = SmolLMReasoner.__new__(SmolLMReasoner)
        r.__init__(gguf_path=__file__, dtype="bfloat16", device=device, max_batch=rows)  # any existing path
        r._model, r._tokenizer = model, tokenizer
        return r

    def measure(max_batch: int, rows: int, clients: int) -> dict:
        backend = reasoner(rows)
        batching = BatchingReasoner(backend, max_batch=max_batch, max_wait_ms=args.max_wait_ms)
        batching.answer_batch(episodes[0])  # CUDA kernels, allocator warm
        backend._prefix_kv.clear(), backend._prior_cache.clear(), backend._shared.clear()
        latencies: list[float] = []

        def client(share):
            for requests in share:
                start = time.perf_counter()
                batching.answer_batch(requests)
                latencies.append(time.perf_counter() - start)

        threads = [threading.Thread(target=client, args=(episodes[k::clients],)) for k in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if device == "cuda":
            torch.cuda.synchronize()
        wall = time.perf_counter() - start
        n = sum(len(e) for e in episodes)
        return {"max_batch": max_batch, "rows": rows, "clients": clients, "wall_s": round(wall, 2),
                "requests_per_s": round(n / wall, 1), "mean_batch": round(batching.stats()["mean_batch"], 1),
                "p50_latency_ms": round(1000 * statistics.median(latencies), 1)}

    rows = [measure(1, 32, args.clients)]  # the same reasoner settings: the batching is the only difference
    for max_batch, per_pass in ((16, 8), (16, 16), (32, 32)):
        rows.append(measure(max_batch, per_pass, args.clients))
    rows.append(measure(64, 64, 32))
    print("| server | clients | requests/s | mean batch | median latency per episode ms | vs one at a time |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        label = "one request at a time" if r["max_batch"] == 1 else \
            f"dynamic batching (max {r['max_batch']} requests, {r['rows']} rows per pass)"
        print(f"| {label} | {r['clients']} | {r['requests_per_s']} | {r['mean_batch']} | {r['p50_latency_ms']} | "
              f"{r['requests_per_s'] / rows[0]['requests_per_s']:.2f}x |")
    if args.json:
        print(json.dumps(rows))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("--config", default="configs/demo.yaml")
    e.add_argument("--items", type=int, default=16)
    e.add_argument("--out", default="build/gpu_inputs")
    e.set_defaults(func=export)
    r = sub.add_parser("run")
    r.add_argument("--inputs", default="build/gpu_inputs")
    r.add_argument("--clients", type=int, default=8)
    r.add_argument("--repeat", type=int, default=4, help="episodes list repeated (new items need new prefixes)")
    r.add_argument("--max-wait-ms", type=float, default=5.0)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=run)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
