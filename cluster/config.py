"""The config: YAML (safe_load only), `base:` inheritance, dotted `--set key=value` overrides, and
the typed schema every key is checked against when it loads.

Each section is a dataclass declared next to the code that reads it; `Config` below lists them.
`load_config` returns the resolved config as plain data: every section with all its defaults
(what a run dir stores, what Ray ships to workers), the optional ones (`train`, `pools`,
`tools`) only when given, since their absence means something (no training, no shared pools,
every built-in tool). An unknown key anywhere, or a value of the wrong type, stops with one line
naming the file, the dotted key and the nearest known key.
"""
from __future__ import annotations

import copy
import dataclasses
import inspect
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import yaml

from cluster.jobs import ClusterConfig
from cluster.pools import PoolsConfig
from cluster.serve_api import ServeConfig
from cluster.sweep import SweepConfig
from env.admission import Limits
from env.items import DataConfig
from env.reasoners import reasoner_class
from eval.benchmark import EvalConfig
from eval.tracking import MlflowConfig
from policy.config import TrainConfig
from tools.sections import ConfigError, build_section, field_docs, option, section_dict, unknown_key

TOOL_KEYS = ("name", "class", "cost", "params")


@dataclass
class Config:
    """The whole config. Limits are top-level keys (`Limits`), not a section."""

    data: DataConfig = option(DataConfig(), "the probe benchmark, and where manifests' audio lives")
    cache_dir: Optional[str] = option(None, "tool results and reasoner answers (Parquet), reused across runs")
    tools: Optional[list] = option(None, "tools in prompt order: {name, cost, params, class} (null: every built-in)")
    reasoner: dict = option({}, "the frozen reasoner: backend (smollm2, transformers, deepspeed, openai, or "
                            "class: package.module.Class) and its settings")
    train: Optional[TrainConfig] = option(None, "PPO (without it, demo runs the fixed baselines only)")
    eval: EvalConfig = option(EvalConfig(), "the systems compared")
    pools: Optional[PoolsConfig] = option(None, "shared tool and reasoner pools for training")
    mlflow: MlflowConfig = option(MlflowConfig(), "experiment tracking")
    cluster: ClusterConfig = option(ClusterConfig(), "Ray jobs")
    sweep: SweepConfig = option(SweepConfig(), "the data-efficiency sweep")
    serve: ServeConfig = option(ServeConfig(), "`audiorouter serve`: HTTP, request limits, router replicas")


OPTIONAL = ("tools", "train", "pools")  # absent means something: kept absent


def _read_yaml(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f)  # never yaml.load: a config must not run code
    except yaml.YAMLError as exc:  # e.g. a !!python/object tag: refused, never constructed
        raise ValueError(f"{path}: not a plain YAML config ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc})") from exc
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: no such config file") from exc
    if loaded is not None and not isinstance(loaded, dict):
        raise ValueError(f"{path}: a config must be a YAML mapping")
    return loaded or {}


def _merge(base: dict, over: dict) -> dict:
    """`over` on top of `base`: mappings merge key by key, anything else (lists too) replaces."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_config(path: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The YAML at `path` over its `base:` chain (a path relative to the file's folder)."""
    real = os.path.realpath(path)
    if real in seen:
        raise ConfigError(f"{path}: base: loops back to {path}")
    raw = _read_yaml(path)
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base: expected a config file name, got {base!r}")
    return _merge(read_config(os.path.join(os.path.dirname(os.path.abspath(path)), base), seen + (real,)), raw)


def load_config(path: str | None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The resolved config (plain data, every default filled) from a file and `--set` overrides;
    ConfigError naming the file and key for anything the schema does not know."""
    raw = read_config(path) if path else {}
    raw = apply_overrides(raw, overrides)
    where = (path or "config") + (" (with --set)" if overrides else "")
    return resolve(raw, where)


def resolve(raw: dict[str, Any], where: str = "config") -> dict[str, Any]:
    """Check a plain config against the schema and fill in its defaults."""
    raw = dict(raw)
    limits = {k: raw.pop(k) for k in Limits.KEYS if k in raw}
    known = {f.name for f in dataclasses.fields(Config)}
    for key in raw:
        if key not in known:
            raise unknown_key(f"{where}:", str(key), known | set(Limits.KEYS))
    build_section(Limits, limits, f"{where}:")  # type-checks the limits; run_limits reads them
    tools = raw.get("tools")
    if tools is not None:
        check_tools(tools, f"{where}: tools")
    reasoner = raw.get("reasoner") or {}
    check_reasoner(reasoner, f"{where}: reasoner")
    typed = build_section(Config, {k: v for k, v in raw.items() if k not in ("tools", "reasoner")}, f"{where}:")
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        if f.name in ("tools", "reasoner"):  # checked above, kept as written
            if f.name in raw:
                out[f.name] = copy.deepcopy(raw[f.name])
        elif not (f.name in OPTIONAL and raw.get(f.name) is None):
            out[f.name] = section_dict(getattr(typed, f.name))
    out.update(limits)
    return out


def check_tools(tools: Any, where: str) -> None:
    if not isinstance(tools, list):
        raise ConfigError(f"{where}: expected a list of tools ({{name: ...}} each), got {tools!r}")
    for k, spec in enumerate(tools):
        if not isinstance(spec, dict) or "name" not in spec:
            raise ConfigError(f"{where}[{k}]: each tool needs a 'name', got {spec!r}")
        for key in spec:
            if key not in TOOL_KEYS:
                raise unknown_key(f"{where}[{k}]", str(key), TOOL_KEYS)


def check_reasoner(section: Any, where: str) -> None:
    """The reasoner's keys against its backend's constructor: a misspelt key is named with the
    nearest real one, instead of surfacing later as Python's TypeError."""
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: expected a mapping, got {section!r}")
    try:
        cls = reasoner_class(section)
    except (ValueError, ImportError, AttributeError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return  # the backend takes any keyword: it checks its own
    known = [name for name in params if name not in ("self", "engine")]
    for key in section:
        if key not in ("backend", "class") and key not in known:
            raise unknown_key(where, str(key), known + ["backend"])


def apply_overrides(cfg: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """`eval.seed=3` sets cfg['eval']['seed'] = 3 (the value is parsed as YAML)."""
    cfg = copy.deepcopy(cfg)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects key=value, got {item!r}")
        node = cfg
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is None:
                node = {}
            if not isinstance(node, dict):
                raise ValueError(f"--set {key}: {part} is not a mapping")
        node[parts[-1]] = yaml.safe_load(raw)
    return cfg


def show_config(cfg: dict[str, Any]) -> str:
    """The resolved config as YAML, each key with its one-line doc."""
    lines: list[str] = []

    def emit(name: str, value: Any, doc: str, indent: int, schema: type | None) -> None:
        pad = "  " * indent
        comment = f"  # {doc}" if doc else ""
        if dataclasses.is_dataclass(schema) and isinstance(value, dict):
            lines.append(f"{pad}{name}:{comment}")
            docs = field_docs(schema)
            nested = {f.name: _field_section(schema, f.name) for f in dataclasses.fields(schema)}
            for key, sub in value.items():
                emit(key, sub, docs.get(key, ""), indent + 1, nested.get(key))
            return
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()
        lines.append(f"{pad}{name}: {text}{comment}")

    docs = field_docs(Config)
    for key, value in cfg.items():
        if key in Limits.KEYS:
            emit(key, value, field_docs(Limits).get(key, ""), 0, None)
        else:
            emit(key, value, docs.get(key, ""), 0, _field_section(Config, key))
    for key in Limits.KEYS:
        if key not in cfg:
            emit(key, getattr(Limits, key), field_docs(Limits)[key] + " (default)", 0, None)
    return "\n".join(lines)


def _field_section(schema: type, name: str) -> type | None:
    """The section dataclass a field holds (Optional unwrapped), or None for plain values."""
    import typing

    hint = typing.get_type_hints(schema).get(name)
    for candidate in (hint, *typing.get_args(hint)):
        if dataclasses.is_dataclass(candidate):
            return candidate
    return None
