"""YAML configs (safe_load only) with dotted `--set key=value` overrides."""
from __future__ import annotations

import copy
from typing import Any, Sequence

import yaml


def load_config(path: str | None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    cfg: dict[str, Any] = {}
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                loaded = yaml.safe_load(f)  # never yaml.load: a config must not run code
        except yaml.YAMLError as exc:  # e.g. a !!python/object tag: refused, never constructed
            raise ValueError(f"{path}: not a plain YAML config ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc})") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ValueError(f"{path}: a config must be a YAML mapping")
        cfg = loaded or {}
    return apply_overrides(cfg, overrides)


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
            if not isinstance(node, dict):
                raise ValueError(f"--set {key}: {part} is not a mapping")
        node[parts[-1]] = yaml.safe_load(raw)
    return cfg
