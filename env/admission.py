"""What happens to an item that cannot be used: skip it, count it, log it, go on, up to a limit.

One bad item must never sink a run of thousands, but a dataset that is mostly broken must not
produce a result that looks like one. Every stage that can reject an item (the manifest loader,
audio admission, a reasoner or tool failure at run time) records `{id, stage, reason}` here;
the run stops with `TooManyBadItems` once more than `max_bad_fraction` (config, default 0.1) of
the items it has seen are bad. The rejected items go to a Parquet file next to the run's
results and their count to MLflow (`bad_items`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional, Sequence

from env.items import AudioQA
from tools.base import MAX_AUDIO_SECONDS, AudioError
from tools.errors import SetupError
from tools.sections import option
from tools.timeouts import DEFAULT_REASONER_TIMEOUT_S, DEFAULT_TOOL_TIMEOUT_S

DEFAULT_MAX_BAD_FRACTION = 0.1


class TooManyBadItems(SetupError):
    """More than `max_bad_fraction` of the items were rejected: the data, not the run, needs fixing."""


def admit_items(items: Sequence[AudioQA], executor) -> tuple[list[AudioQA], list[dict]]:
    """Items whose audio decodes (header, codec, length limit, finite samples), and the rest as
    rejections naming item and file. `executor.audio_hash` decodes once and remembers the hash,
    so the tools do not decode the file a second time for their cache key."""
    good, rejected = [], []
    for item in items:
        try:
            executor.audio_hash(item.audio)
            good.append(item)
        except AudioError as exc:
            rejected.append({"id": item.id, "stage": "audio", "reason": f"item {item.id}: {exc}"})
    return good, rejected


@dataclass
class BadItems:
    """The rejected items of one run and the limit on their share."""

    max_fraction: float = DEFAULT_MAX_BAD_FRACTION
    rejected: list[dict] = field(default_factory=list)

    def __post_init__(self):
        if not 0.0 <= float(self.max_fraction) <= 1.0:
            raise ValueError(f"max_bad_fraction must be between 0 and 1, got {self.max_fraction!r}")
        self.max_fraction = float(self.max_fraction)

    def add(self, rejected: Sequence[dict], stage: str | None = None) -> None:
        for r in rejected:
            self.rejected.append({"id": str(r["id"]), "stage": r.get("stage") or stage or "", "reason": r["reason"]})

    def __len__(self) -> int:
        return len(self.rejected)

    def check(self, n_items: int, bad: int | None = None) -> None:
        """Raise TooManyBadItems if `bad` (default: the distinct items rejected) of `n_items` items
        seen is over the limit; the message says how many, why (the first reasons) and what to do."""
        bad = len({r["id"] for r in self.rejected}) if bad is None else int(bad)  # an item failing twice counts once
        if n_items <= 0 or bad / n_items <= self.max_fraction:
            return
        reasons = "; ".join(r["reason"] for r in self.rejected[:3])
        raise TooManyBadItems(
            f"{bad} of {n_items} items ({100 * bad / n_items:.1f}%) are bad, over max_bad_fraction="
            f"{self.max_fraction:g}; stopping. First reasons: {reasons or 'see the run metrics'}. Fix the "
            "data, or raise max_bad_fraction in the config if losing these items is acceptable.")

    def write_parquet(self, path: str) -> str:
        """`path` with one row per rejection (id, stage, reason), written even when empty so a
        run's outputs always have the same files."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        schema = pa.schema([("id", pa.string()), ("stage", pa.string()), ("reason", pa.string())])
        pq.write_table(pa.Table.from_pylist(self.rejected, schema=schema), path + ".tmp")
        os.replace(path + ".tmp", path)
        return path


@dataclass
class Limits:
    """Config: the bounds on bad input (top-level keys). 0 or null turns a limit off."""

    tool_timeout_s: Optional[float] = option(DEFAULT_TOOL_TIMEOUT_S, "seconds a tool call may take")
    reasoner_timeout_s: Optional[float] = option(DEFAULT_REASONER_TIMEOUT_S, "seconds a reasoner call may take "
                                                 "(covers loading the model on the first call)")
    max_audio_seconds: Optional[float] = option(MAX_AUDIO_SECONDS, "longest clip decoded; longer ones are rejected")
    max_bad_fraction: Optional[float] = option(DEFAULT_MAX_BAD_FRACTION, "share of bad items after which a run stops")

    KEYS = ("tool_timeout_s", "reasoner_timeout_s", "max_audio_seconds", "max_bad_fraction")


def run_limits(cfg: dict) -> dict:
    """The config's bounds on bad input (`Limits`), with 0 or null as None (no limit); a negative
    or non-numeric value is an error naming the key."""
    def get(key: str) -> float | None:
        value = cfg.get(key, getattr(Limits, key))
        if value is None or value == 0:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"config {key} must be a non-negative number (0 or null: no limit), got {value!r}")
        return float(value)

    limits = {key: get(key) for key in Limits.KEYS}
    limits["max_bad_fraction"] = limits["max_bad_fraction"] or 0.0
    return limits
