"""The `audiorouter` command line. Over 400 lines because it is one thin function per command plus
the parser; the work of each command lives in its own module."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _env_defaults() -> None:
    # librosa's numba kernels compile once and are cached here instead of on every run
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.abspath(".cache/numba"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub in the middle of a run
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def cmd_data_probe(args) -> int:
    from collections import Counter

    from eval.probe import generate

    start = time.perf_counter()
    names = lambda text: [name.strip() for name in text.split(",") if name.strip()]  # noqa: E731
    items = generate(args.out, args.n, args.seed, progress=not args.quiet, version=args.version,
                     holdout_families=names(args.holdout_families), holdout_signals=names(args.holdout_signals))
    counts = Counter(item["split"] for item in items)
    print(f"wrote {len(items)} items to {os.path.join(args.out, 'items.json')} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}) in {time.perf_counter() - start:.1f}s")
    return 0


def _run_eval(cfg: dict, data: str, systems: list[str], out: str, split: str | None, use_mlflow: bool,
              run_name: str, quiet: bool) -> dict:
    from eval.benchmark import run_comparison
    from eval.runner import format_table

    results = run_comparison(cfg, data, systems, out, split, run_name if use_mlflow else None, progress=not quiet)
    print(f"\n{results['n_items']} items scored, {len(results['rejected'])} rejected, "
          f"{results['seconds']:.0f}s; results in {out}\n")
    for system, reason in results.get("skipped", {}).items():
        print(f"skipped {system}: {reason}")
    if results.get("answers_withheld"):
        print("answers withheld in this file (e.g. MMAU test): no accuracy is reported; submit the "
              "prediction files below to the benchmark's own scoring")
    else:
        print(format_table(results))
    if results.get("predictions"):
        folder = os.path.dirname(next(iter(results["predictions"].values())))
        print(f"\nper-system prediction files for the official evaluation.py: {folder}/")
    for r in results["rejected"][:20]:
        print(f"rejected: {r['reason']}", file=sys.stderr)
    return results


def cmd_eval(args) -> int:
    from cluster.config import load_config
    from eval.systems import parse_systems

    cfg = load_config(args.config, args.set)
    if args.audio_root:
        cfg.setdefault("data", {})["audio_root"] = os.path.abspath(args.audio_root)
    _run_eval(cfg, args.data, parse_systems(args.systems), args.out, args.split, not args.no_mlflow, "eval",
              args.quiet)
    return 0


def cmd_data_hostile(args) -> int:
    from eval.hostile import add_hostile_entries
    from eval.probe import generate

    generate(args.out, args.n, args.seed, progress=not args.quiet)
    expected = add_hostile_entries(args.out)
    for split in expected["bad"]:
        print(f"{split}: {len(expected['usable'][split])} usable items (the probe's and odd-but-usable audio), "
              f"{len(expected['bad'][split])} bad entries")
    print(f"wrote {os.path.join(args.out, 'items.json')} and expected.json (which is which)")
    return 0


def _ensure_probe(cfg: dict, quiet: bool) -> str:
    from eval.probe import ensure_probe

    return ensure_probe(cfg["data"], progress=not quiet)


def cmd_demo(args) -> int:
    """The main job: probe benchmark -> PPO router on the training split -> table on the test split
    beside the fixed baselines. Without a `train` section: the baselines only."""
    from cluster.config import load_config
    from eval.benchmark import eval_section

    cfg = load_config(args.config, args.set)
    folder = _ensure_probe(cfg, args.quiet)
    if "train" not in cfg:  # the fixed baselines only
        e = eval_section(cfg)
        for split in e.splits:
            _run_eval(cfg, folder, list(e.systems), os.path.join(e.out, f"results.{split}.json"), split, True, "demo",
                      args.quiet)
        return 0
    cfg["train"]["env"]["data"] = cfg["train"]["env"].get("data") or folder
    return _train_and_report(cfg, cfg["train"].get("run_dir") or "runs/demo", args.quiet)


def _train_and_report(cfg: dict, run_dir: str, quiet: bool, resume: bool = False) -> int:
    from cluster.train import train
    from eval.runner import format_table

    start = time.perf_counter()
    summary = train(cfg, run_dir, progress=not quiet, resume=resume)
    print(f"\nrouter: {summary['router']}  checkpoint: {summary['checkpoint']}  "
          f"mlflow run: {summary['mlflow_run_id']}  ({time.perf_counter() - start:.0f}s)")
    for split, r in summary.get("results", {}).items():
        print(f"\n{split}: {r['n_items']} items scored, {len(r['rejected'])} rejected; "
              f"results in {os.path.join(run_dir, f'results.{split}.json')}\n")
        print(format_table(r))
    return 0


def cmd_train(args) -> int:
    from cluster.config import apply_overrides, load_config, resolve
    from cluster.run_state import RunState

    if args.resume:
        if args.config:
            raise ValueError("--resume continues a run with its own config.yaml; give --set to change a key "
                             "(e.g. --set train.iterations=60), not --config")
        cfg = resolve(apply_overrides(RunState.load(args.resume).load_config(), args.set),
                      os.path.join(args.resume, "config.yaml"))
        return _train_and_report(cfg, args.resume, args.quiet, resume=True)
    cfg = load_config(args.config or "configs/demo.yaml", args.set)
    run_dir = args.run_dir or cfg.get("train", {}).get("run_dir") or os.path.join(
        "runs", time.strftime("train-%Y%m%d-%H%M%S"))
    return _train_and_report(cfg, run_dir, args.quiet)


def cmd_sweep(args) -> int:
    """Data-efficiency sweep (cluster/sweep.py): a router per (training size, seed), one test split."""
    from cluster.config import load_config
    from cluster.sweep import sweep

    cfg = load_config(args.config, args.set)
    env = cfg.setdefault("train", {}).setdefault("env", {})
    env["data"] = env.get("data") or _ensure_probe(cfg, args.quiet)
    try:
        sizes = [int(x) for x in args.train_sizes.split(",") if x.strip()]
    except ValueError as exc:
        raise ValueError(f"--train-sizes takes comma-separated integers, got {args.train_sizes!r}") from exc
    start = time.perf_counter()
    result = sweep(cfg, sizes, args.seeds, args.out, progress=not args.quiet)
    print(f"\nsweep: {len(result['trials'])} runs in {time.perf_counter() - start:.0f}s; "
          f"mlflow run {result['mlflow_run_id']}; plot {result['files']['plot']}\n")
    print(open(result["files"]["md"]).read())
    return 0


def cmd_report(args) -> int:
    """Markdown + HTML report of an experiment's latest study (eval/report.py)."""
    from eval.report import write_report
    from eval.tracking import DEFAULT_TRACKING_URI

    uri = args.tracking_uri
    if not uri:
        from cluster.config import load_config

        uri = load_config(args.config, []).get("mlflow", {}).get("tracking_uri") or DEFAULT_TRACKING_URI
    out = args.out or os.path.join("reports", args.experiment)
    paths = write_report(uri, args.experiment, out, run_id=args.run_id)
    print(f"report of run {paths['run_id']} ({len(paths['images'])} plots): {paths['md']} and {paths['html']}")
    return 0


def cmd_submit(args) -> int:
    """An audiorouter command as a Ray job on the cluster at --address (cluster/jobs.py)."""
    from cluster.config import load_config
    from cluster.jobs import runtime_env, submit

    inner = list(args.command)
    if inner[:1] == ["--"]:
        inner = inner[1:]
    config = args.config or (inner[inner.index("--config") + 1] if "--config" in inner[:-1] else None)
    env = runtime_env(load_config(config) if config else {}, args.working_dir)
    _, status = submit(args.address, inner, env, python=args.python, wait=not args.no_wait,
                       timeout_s=args.timeout)
    return 0 if status in ("SUCCEEDED", "PENDING", "RUNNING") else 1


def cmd_route(args) -> int:
    """route -> execute -> reason for one clip with a trained router.pt."""
    from cluster.config import load_config
    from eval.route import explained_decision, route_clip

    cfg = load_config(args.config, args.set)
    choices = tuple(c.strip() for c in args.choices.split("|") if c.strip())
    answer = route_clip(cfg, args.router, args.audio, args.question, choices)
    print(f"tools chosen: {', '.join(answer['tools']) or '(none)'}")
    for r in answer["results"]:
        print(f"  {r.tool:12s} {r.text if r.ok else 'ERROR ' + r.error}")
    print(f"answer: {answer['answer']}")
    if args.explain:
        print(explained_decision(answer["first_decision"]))
    return 0


def cmd_serve(args) -> int:
    """The router as a Ray Serve application (cluster/serve.py), until Ctrl-C."""
    from cluster.serve import resolve_router_config, start

    cfg = resolve_router_config(args.router, args.config, args.set)
    url = start(cfg, args.router, args.host, args.port)
    print(f"AudioRouter serving {args.router} at {url}  (web page {url}/, OpenAI API {url}/v1); Ctrl-C stops it",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        from ray import serve

        serve.shutdown()
    return 0


def cmd_cache_warm(args) -> int:
    """Every configured tool on every clip of a dataset, in parallel over a pool of tool workers."""
    from cluster.config import load_config
    from cluster.pools import ToolPool
    from cluster.warm import compact_caches, warm_reasoner_cache
    from env.items import AudioPaths
    from eval.benchmark import split_items
    from policy.config import train_section

    cfg = load_config(args.config, args.set)
    items, rejected = split_items(cfg, args.data, args.split, AudioPaths.from_config(cfg))
    if args.max_items:
        items = items[: args.max_items]
    specs = cfg.get("tools")
    if args.tools != "all":
        wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
        known = {s["name"]: s for s in (specs or [])}
        missing = [t for t in wanted if t not in known]
        if missing:
            raise ValueError(f"--tools names {missing} not in the config's tools {sorted(known)}")
        specs = [known[t] for t in wanted]
    start = time.perf_counter()
    pool = ToolPool(specs, cfg.get("cache_dir"), replicas=0 if args.local else args.workers)
    counts = pool.warm([(i.audio, i.question, i.choices) for i in items], progress=not args.quiet)
    pool.shutdown()
    print(f"tool cache warm: {counts.get('clips', 0)} clips, {counts.get('bad_audio', 0) + len(rejected)} "
          f"rejected, {counts.get('tool_errors', 0)} tool errors, {time.perf_counter() - start:.1f}s "
          f"({'in-process' if args.local else f'{args.workers} Ray workers'})")
    if args.reasoner:
        start = time.perf_counter()
        max_calls = args.max_calls or train_section(cfg).env.max_calls
        counts = warm_reasoner_cache(cfg, items, specs, max_calls, args.local, progress=not args.quiet)
        print(f"reasoner cache warm: {counts['requests']} requests (every tool set of at most {max_calls} tools), "
              f"{counts['computed']} computed, mean batch {counts['mean_batch']:.1f}, "
              f"{time.perf_counter() - start:.1f}s")
    compact_caches(cfg.get("cache_dir"))
    return 0


def cmd_tools_run(args) -> int:
    from cluster.config import load_config
    from tools.base import load_audio
    from tools.registry import build_tools

    cfg = load_config(args.config, args.set)
    tools = build_tools(cfg.get("tools"))
    if args.tools:
        wanted = args.tools.split(",")
        unknown = set(wanted) - {t.name for t in tools}
        if unknown:
            raise ValueError(f"unknown tool(s) {sorted(unknown)}; configured: {[t.name for t in tools]}")
        tools = [t for t in tools if t.name in wanted]
    audio = load_audio(args.audio)
    choices = [c for c in (args.choices or "").split("|") if c]
    for tool in tools:
        r = tool.run(audio, args.question or "", choices)
        print(json.dumps(r.to_dict()) if args.json else
              f"{tool.name:12s} {r.seconds:6.2f}s  {r.text if r.ok else 'ERROR ' + r.error}")
    return 0


def cmd_config_show(args) -> int:
    """The resolved config: the file over its `base:` chain, the --set overrides, every default."""
    from cluster.config import load_config, show_config

    print(show_config(load_config(args.config, args.set)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="audiorouter", description="Route audio questions to tools; evaluate routers.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, config_default="configs/demo.yaml"):
        sp.add_argument("--config", default=config_default, help="YAML config (default %(default)s)")
        sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set eval.seed=1 (repeatable)")
        sp.add_argument("--quiet", action="store_true", help="no progress bars")

    data = sub.add_parser("data", help="datasets").add_subparsers(dest="data_command", required=True)
    probe = data.add_parser("probe", help="generate the probe benchmark (items.json + audio/)")
    probe.add_argument("--out", required=True)
    probe.add_argument("--n", type=int, default=500)
    probe.add_argument("--seed", type=int, default=0)
    probe.add_argument("--version", type=int, default=2, help="2 (default): 14 families, varied; 1: the original ten")
    probe.add_argument("--holdout-families", default="", metavar="A,B", help="families put in the `holdout` split")
    probe.add_argument("--holdout-signals", default="", metavar="A,B", help="v2 signal kinds put in the `holdout` split")
    probe.add_argument("--quiet", action="store_true")
    probe.set_defaults(func=cmd_data_probe)
    hostile = data.add_parser("hostile", help="the probe benchmark plus every kind of bad input (docs/RELIABILITY.md)")
    hostile.add_argument("--out", required=True)
    hostile.add_argument("--n", type=int, default=40, help="probe items before the bad ones are added")
    hostile.add_argument("--seed", type=int, default=0)
    hostile.add_argument("--quiet", action="store_true")
    hostile.set_defaults(func=cmd_data_hostile)

    ev = sub.add_parser("eval", help="run routing systems on a dataset and score them")
    common(ev)
    ev.add_argument("--data", required=True, help="folder with items.json, or a manifest: MMAU's .json, "
                    "MMAR's .jsonl, the probe's items.json")
    ev.add_argument("--systems", default="none,all,random,expert,single-best,oracle")
    ev.add_argument("--split", default="auto", help="split to score: train, validation, test, all, auto "
                    "(default: the file's only split when it has one, else test), or unused (the training "
                    "split's items after the config's train.env.max_items: in distribution, never trained on)")
    ev.add_argument("--audio-root", default="", help="folder the manifest's audio paths are relative to "
                    "(default: the manifest's folder; config data.audio_root)")
    ev.add_argument("--out", default="runs/eval/results.json")
    ev.add_argument("--no-mlflow", action="store_true")
    ev.set_defaults(func=cmd_eval)

    demo = sub.add_parser("demo", help="generate the probe benchmark, train a router, compare it with the baselines")
    common(demo)
    demo.set_defaults(func=cmd_demo)

    tr = sub.add_parser("train", help="train the router with PPO, export router.pt, evaluate it")
    common(tr, config_default=None)  # None: configs/demo.yaml for a new run; a resumed run has its own
    tr.add_argument("--run-dir", default="", help="where checkpoints, router.pt and results go "
                    "(default: train.run_dir, else runs/train-<time>)")
    tr.add_argument("--resume", default="", metavar="RUN_DIR",
                    help="continue the run in RUN_DIR from its last checkpoint, in the same MLflow run")
    tr.set_defaults(func=cmd_train)

    sw = sub.add_parser("sweep", help="data-efficiency curve: a router per training size and seed")
    common(sw)
    sw.add_argument("--train-sizes", default="25,50,100,200", help="comma-separated (default %(default)s)")
    sw.add_argument("--seeds", type=int, default=2, help="seeds per size (default %(default)s)")
    sw.add_argument("--out", default="runs/sweep", help="trial run dirs, sweep.csv/.md, data_efficiency.png")
    sw.set_defaults(func=cmd_sweep)
    rp = sub.add_parser("report", help="Markdown/HTML report of an MLflow experiment's latest study")
    rp.add_argument("--experiment", required=True, help="MLflow experiment name (mlflow.experiment in the config)")
    rp.add_argument("--tracking-uri", default="", help="default: mlflow.tracking_uri of --config")
    rp.add_argument("--config", default="configs/demo.yaml", help="config whose mlflow.tracking_uri to use")
    rp.add_argument("--run-id", default=None, help="report this run instead of the latest top-level one")
    rp.add_argument("--out", default="", help="folder for report.md/.html and the plots (default reports/<experiment>)")
    rp.set_defaults(func=cmd_report)
    sj = sub.add_parser("submit", help="run an audiorouter command as a Ray job on a cluster (ray job submit)")
    sj.add_argument("--address", default=os.environ.get("RAY_JOB_ADDRESS", "http://127.0.0.1:8265"),
                    help="the head's job server (default $RAY_JOB_ADDRESS or %(default)s)")
    sj.add_argument("--python", default="python", help="the Python on the cluster that runs the job")
    sj.add_argument("--config", default="", help="config whose cluster.runtime_env to use (default: the command's)")
    sj.add_argument("--working-dir", default=".", help="uploaded as the job's working_dir (default: here)")
    sj.add_argument("--no-wait", action="store_true", help="print the job id and return")
    sj.add_argument("--timeout", type=float, default=24 * 3600, help="seconds to wait for the job")
    sj.add_argument("command", nargs=argparse.REMAINDER, help="-- then the audiorouter command, e.g. -- train --config c.yaml")
    sj.set_defaults(func=cmd_submit)
    ro = sub.add_parser("route", help="route -> execute -> reason for one clip with a trained router.pt")
    common(ro)
    ro.add_argument("--router", required=True)
    ro.add_argument("--audio", required=True)
    ro.add_argument("--question", required=True)
    ro.add_argument("--choices", required=True, help="choices separated by |")
    ro.add_argument("--explain", action="store_true",
                    help="also print why the first tool: policy or relevance fallback, each tool's relevance and policy probability")
    ro.set_defaults(func=cmd_route)

    sv = sub.add_parser("serve", help="serve a trained router.pt over HTTP (Ray Serve; OpenAI-compatible, web page)")
    common(sv, config_default=None)  # None: the config.yaml beside router.pt, else configs/demo.yaml
    sv.add_argument("--router", required=True, help="the trained router.pt")
    sv.add_argument("--host", default=None, help="address to bind (default serve.host, 127.0.0.1)")
    sv.add_argument("--port", type=int, default=None, help="port (default serve.port, 8000)")
    sv.set_defaults(func=cmd_serve)

    cache = sub.add_parser("cache", help="the on-disk result caches").add_subparsers(dest="cache_command",
                                                                                     required=True)
    warm = cache.add_parser("warm", help="run every tool on every clip of a dataset (parallel) to fill the cache")
    common(warm)
    warm.add_argument("--data", required=True, help="folder with items.json, or a JSON file in MMAU's schema")
    warm.add_argument("--split", default="all", help="train, validation, test, unused (the training "
                      "items after train.env.max_items) or all (default)")
    warm.add_argument("--max-items", type=int, default=0, help="the first N items only")
    warm.add_argument("--tools", default="all", help="comma-separated tool names from the config (default all)")
    warm.add_argument("--workers", type=int, default=2, help="Ray tool workers, one CPU each (default 2)")
    warm.add_argument("--local", action="store_true", help="in-process, no Ray")
    warm.add_argument("--reasoner", action="store_true",
                      help="then every reasoner answer an episode can ask for (the config's `pools.reasoner` pool)")
    warm.add_argument("--max-calls", type=int, default=0, help="tool budget for --reasoner (default train.env.max_calls)")
    warm.set_defaults(func=cmd_cache_warm)

    config = sub.add_parser("config", help="configs").add_subparsers(dest="config_command", required=True)
    show = config.add_parser("show", help="print the resolved config (base:, --set, every default) with each key's doc")
    show.add_argument("--config", default="configs/demo.yaml", help="YAML config (default %(default)s)")
    show.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    show.set_defaults(func=cmd_config_show)

    tl = sub.add_parser("tools", help="audio tools").add_subparsers(dest="tools_command", required=True)
    run = tl.add_parser("run", help="run tools on one audio file and print their results")
    common(run)
    run.add_argument("--audio", required=True)
    run.add_argument("--question", default="")
    run.add_argument("--choices", default="", help="choices separated by |")
    run.add_argument("--tools", default="", help="comma-separated tool names (default: all configured)")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_tools_run)
    return p


def main(argv: list[str] | None = None) -> int:
    from tools.errors import SetupError

    _env_defaults()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, SetupError) as exc:  # the user's to fix; a bug keeps its traceback
        print(f"audiorouter: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
