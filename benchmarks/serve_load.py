"""Load and faults on `audiorouter serve`, loopback only, bounded in requests and time.

    python benchmarks/serve_load.py --router runs/demo/router.pt --data data/probe2 --out runs/serve_load

Starts the application on a local Ray of its own (temp dir, stopped at the end) and measures,
with N concurrent clients each POSTing /v1/answer (JSON, base64 WAV) one request after another:

  phase cold     a fresh cache_dir: every request runs its tools and the reasoner (1, 8, 32 clients,
                 distinct clips per level)
  phase warm     the same requests again: tools and answers come from the caches
  phase batching a fresh answer cache with the tools' cache kept (a symlink), 8 clients, the same
                 clips twice: reasoner batching off (pools.reasoner.max_batch 1), then on (the
                 config's max_batch): the batching gain in one run
  phase faults   8 clients on warm clips; a Reasoner and a Tools replica are killed mid-load:
                 status counts, the slowest request, seconds until both replicas are back

Prints a Markdown table and writes `<out>/serve_load.json`.
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_requests(data: str, n: int, skip: int = 0) -> list[dict]:
    items = json.load(open(os.path.join(data, "items.json")))
    items = [i for i in items if i["split"] != "train"][skip: skip + n]
    return [{"audio": base64.b64encode(open(os.path.join(data, i["audio_id"]), "rb").read()).decode(),
             "question": i["question"], "choices": i["choices"]} for i in items]


def run_clients(url: str, bodies: list[dict], clients: int, timeout_s: float, during=None) -> dict:
    """Each of `clients` threads sends its share of `bodies` one after another; `during()` runs in
    the main thread while they do (fault injection)."""
    import requests

    def one(body):
        start = time.perf_counter()
        try:
            r = requests.post(f"{url}/v1/answer", json=body, timeout=timeout_s)
            status, reason = r.status_code, "" if r.ok else r.json().get("error", {}).get("message", r.text[:200])
        except requests.RequestException as exc:
            status, reason = 0, f"{type(exc).__name__}: {exc}"
        return status, time.perf_counter() - start, reason

    start = time.perf_counter()
    with cf.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(one, b) for b in bodies]
        extra = during() if during else None
        results = [f.result() for f in futures]
    wall = time.perf_counter() - start
    ok = sorted(s for st, s, _ in results if st == 200)
    pct = (lambda q: ok[min(len(ok) - 1, int(q * len(ok)))] if ok else float("nan"))
    statuses: dict[str, int] = {}
    for st, _, _ in results:
        statuses[str(st)] = statuses.get(str(st), 0) + 1
    return {"clients": clients, "requests": len(bodies), "ok": len(ok), "statuses": statuses, "wall_s": wall,
            "rps": len(ok) / wall, "p50_s": pct(0.5), "p95_s": pct(0.95), "max_s": max(s for _, s, _ in results),
            "reasons": sorted({r for st, _, r in results if st != 200})[:5], "extra": extra}


def reasoner_counters() -> dict:
    from cluster.serve import stats

    s = stats()["Reasoner"]
    return {k: s.get(k, 0) for k in ("batches", "requests", "hits", "misses")}


def deploy(cfg: dict, router: str) -> None:
    from ray import serve

    from cluster.serve import APP_NAME, application

    serve.delete(APP_NAME)
    serve.run(application(cfg, router), name=APP_NAME, route_prefix="/", blocking=False)


def with_batch_counts(url, bodies, clients, timeout_s) -> dict:
    before = reasoner_counters()
    row = run_clients(url, bodies, clients, timeout_s)
    after = reasoner_counters()
    delta = {k: after[k] - before[k] for k in after}
    row["reasoner"] = delta | {"mean_batch": delta["requests"] / delta["batches"] if delta["batches"] else 0.0}
    return row


def kill_both() -> dict:
    """Kill one Reasoner and one Tools replica 2 s into the load; seconds until both are replaced."""
    import ray

    def replicas(d):
        return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
                if a["name"].startswith("SERVE_REPLICA::") and f"#{d}#" in a["name"]]

    time.sleep(2.0)
    before = {d: replicas(d) for d in ("Reasoner", "Tools")}
    victims = {d: names[0] for d, names in before.items()}
    for name in victims.values():
        ray.kill(ray.get_actor(name, namespace="serve"), no_restart=True)
    killed, back = time.perf_counter(), {}
    while len(back) < 2 and time.perf_counter() - killed < 300:
        for d, old in victims.items():  # a replica name not there before, and the victim gone
            now = replicas(d)
            if d not in back and old not in now and set(now) - set(before[d]):
                back[d] = time.perf_counter() - killed
        time.sleep(0.5)
    return {"killed": victims, "replaced_after_s": back}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--router", default="runs/demo/router.pt")
    p.add_argument("--config", default=None, help="default: the config.yaml beside the router")
    p.add_argument("--data", default="data/probe2")
    p.add_argument("--levels", default="1,8,32", help="concurrent clients")
    p.add_argument("--per-client", type=int, default=4, help="requests per client at each level (at most 64 a level)")
    p.add_argument("--batch-requests", type=int, default=48)
    p.add_argument("--timeout", type=float, default=300.0, help="client timeout per request")
    p.add_argument("--port", type=int, default=8791)
    p.add_argument("--out", default="runs/serve_load")
    p.add_argument("--phases", default="load,batching,faults", help="which phases to run")
    p.add_argument("--fault-requests", type=int, default=400, help="warm requests while replicas are killed")
    args = p.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")

    import ray
    from ray import serve

    from cluster.config import apply_overrides, resolve
    from cluster.serve import resolve_router_config, start

    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="serve-load-", dir=os.path.abspath(args.out))
    base = resolve_router_config(args.router, args.config)
    cold_cfg = resolve(apply_overrides(base, [f"cache_dir={work}/cache", f"serve.work_dir={work}/serve",
                                              f"serve.request_timeout_s={args.timeout}"]))
    levels = [int(x) for x in args.levels.split(",")]
    sizes = [min(64, c * args.per_client) for c in levels]
    bodies = load_requests(args.data, sum(sizes) + args.batch_requests if "faults" != args.phases else 16)
    report: dict = {"router": args.router, "cpus": os.cpu_count(), "levels": {}, "pools": base.get("pools")}
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    t0 = time.perf_counter()
    url = start(cold_cfg, args.router, port=args.port, ray_temp_dir=temp_dir)
    report["start_s"] = time.perf_counter() - t0
    print(f"started in {report['start_s']:.0f}s at {url}", flush=True)
    try:
        at, phases = 0, args.phases.split(",")
        for clients, size in zip(levels, sizes) if "load" in phases else ():
            part = bodies[at: at + size]
            at += size
            cold = with_batch_counts(url, part, clients, args.timeout)
            warm = with_batch_counts(url, part, clients, args.timeout)
            report["levels"][clients] = {"cold": cold, "warm": warm}
            print(f"{clients} clients: cold {cold['rps']:.2f} req/s p50 {cold['p50_s']:.2f}s; "
                  f"warm {warm['rps']:.2f} req/s p50 {warm['p50_s']:.3f}s", flush=True)
        # batching: tools warm (phase cold filled them), answers fresh; off, then on, same clips
        part = bodies[at: at + args.batch_requests]
        if "batching" in phases:
            run_clients(url, part, 8, args.timeout)  # the tool cache for these clips
        report["batching"] = {}
        for label, overrides in (("off", ["pools.reasoner.max_batch=1"]), ("on", [])) if "batching" in phases else ():
            cache = os.path.join(work, f"cache-{label}")
            os.makedirs(cache)
            os.symlink(os.path.join(work, "cache", "tools"), os.path.join(cache, "tools"))
            deploy(resolve(apply_overrides(cold_cfg, [f"cache_dir={cache}", *overrides])), args.router)
            row = with_batch_counts(url, part, 8, args.timeout)
            report["batching"][label] = row
            print(f"batching {label}: {row['rps']:.2f} req/s, mean batch {row['reasoner']['mean_batch']:.1f}", flush=True)
        if report["batching"]:
            report["batching_gain_8_clients"] = report["batching"]["on"]["rps"] / report["batching"]["off"]["rps"]
        if "faults" in phases:  # warm clips (cached once first), the config's own settings
            deploy(cold_cfg, args.router)
            warm = (bodies * (args.fault_requests // len(bodies) + 1))[: args.fault_requests]
            run_clients(url, bodies[:16], 8, args.timeout)
            report["faults"] = run_clients(url, warm, 8, args.timeout, during=kill_both)
            print(f"faults: {report['faults']['statuses']}, slowest {report['faults']['max_s']:.1f}s, "
                  f"{report['faults']['extra']}, reasons {report['faults']['reasons']}", flush=True)
    finally:
        serve.shutdown()
        ray.shutdown()
        from tests.conftest import kill_ray_under

        kill_ray_under(temp_dir)
    with open(os.path.join(args.out, "serve_load.json"), "w") as f:
        json.dump(report, f, indent=1, default=str)
    if not report["levels"]:
        return
    print("\n| clients | cache | requests | ok | req/s | p50 s | p95 s | mean reasoner batch |\n|---|---|---|---|---|---|---|---|")
    for clients, row in report["levels"].items():
        for cache in ("cold", "warm"):
            r = row[cache]
            print(f"| {clients} | {cache} | {r['requests']} | {r['ok']} | {r['rps']:.2f} | {r['p50_s']:.3f} | "
                  f"{r['p95_s']:.3f} | {r['reasoner']['mean_batch']:.1f} |")
    b = report["batching"]
    if b:
        print(f"\nbatching at 8 clients (answers computed, tools cached): off {b['off']['rps']:.2f} req/s, "
              f"on {b['on']['rps']:.2f} req/s (mean batch {b['on']['reasoner']['mean_batch']:.1f}): "
              f"{report['batching_gain_8_clients']:.2f}x")


if __name__ == "__main__":
    main()
