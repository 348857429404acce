"""Typed config sections: the one helper every layer's section dataclass is built with.

Each layer declares its own section as a dataclass, next to the code that reads it (the tools'
specs in tools/registry.py, the env's in env/factory.py, training's in policy/ppo.py, ...): one
field per key, its default, and a one-line doc (`option(default, "doc")`). `build_section`
turns the YAML mapping into that dataclass once, when the config loads: an unknown key, or a
value of the wrong type, is a `ConfigError` naming the file, the dotted key and, for a
misspelling, the nearest known key. It lives in the bottom layer because every layer above
uses it.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Mapping, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A config key or value that is not allowed; the message is one line naming file and key."""


def option(default: Any, doc: str) -> Any:
    """A section field with its default and a one-line doc (`audiorouter config show` prints it)."""
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"doc": doc})
    if dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=lambda: dataclasses.replace(default), metadata={"doc": doc})
    return dataclasses.field(default=default, metadata={"doc": doc})


def nearest(key: str, known: typing.Iterable[str]) -> str:
    """'; did you mean X?' for the closest known key, or '' when nothing is close."""
    match = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def join(where: str, key: str) -> str:
    """`FILE: train` + `env` -> `FILE: train.env`; at the top, `FILE:` + `train` -> `FILE: train`."""
    return f"{where} {key}" if where.endswith(":") else f"{where}.{key}"


def unknown_key(where: str, key: str, known: typing.Iterable[str]) -> ConfigError:
    known = sorted(known)
    hint = nearest(key, known) or f" (known keys: {', '.join(known)})"
    return ConfigError(f"{join(where, key)}: unknown key{hint}")


def _check(where: str, value: Any, hint: Any) -> Any:
    """`value` against the field's type hint: numbers stay numbers (an int where a float goes is
    fine, a bool is not), strings strings, lists lists; nested sections are built."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # Optional[X], X | None
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        errors = []
        for a in others:
            try:
                return _check(where, value, a)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if hint is Any:
        return value
    if dataclasses.is_dataclass(hint):
        return build_section(hint, value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (hint is int and not float(value).is_integer()):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return hint(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return value
    if origin in (list, tuple) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        inner = args[0] if args else Any
        return [_check(f"{where}[{k}]", v, inner) for k, v in enumerate(value)]
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    return value


def build_section(cls: type[T], raw: Mapping | None, where: str) -> T:
    """`cls` from a YAML mapping (None: every default). `where` names the file and the section's
    dotted key, e.g. `configs/demo.yaml: train.env`."""
    if raw is None:
        raw = {}
    if dataclasses.is_dataclass(raw):
        return raw  # already built
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    for key in raw:
        if key not in fields:
            raise unknown_key(where, str(key), fields)
    values = {name: _check(join(where, name), raw[name], hints[name]) for name in fields if name in raw}
    try:
        return cls(**values)
    except ValueError as exc:  # a section's own check (__post_init__)
        raise ConfigError(f"{where}: {exc}") from exc


def section_dict(section: Any) -> Any:
    """A section back as plain YAML data (for config.yaml, `config show`, Ray's env_config)."""
    if dataclasses.is_dataclass(section):
        return {f.name: section_dict(getattr(section, f.name)) for f in dataclasses.fields(section)}
    if isinstance(section, (list, tuple)):
        return [section_dict(v) for v in section]
    if isinstance(section, dict):
        return {k: section_dict(v) for k, v in section.items()}
    return section


def field_docs(cls: type) -> dict[str, str]:
    return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls)}
