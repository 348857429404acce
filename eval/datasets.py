"""Datasets for evaluation: the manifest loader (env/items.py, re-exported here) and prediction
files that the benchmarks' official scorers read unchanged.

MMAU (`mmau-test-mini.json`, `mmau-test.json`: a JSON list): `id`, `audio_id`, `question`,
`choices`, `answer` (absent in test: withheld), `dataset`, `task`, `split`, `category`,
`sub-category`, `difficulty`. Its `evaluation.py --input FILE` reads `model_output` (its README
says `model_prediction`; we write both) and skips entries without it.

MMAR (`MMAR-meta.jsonl`: JSON Lines): `id`, `audio_path`, `question`, `choices`, `answer`,
`modality`, `category`, `sub-category`, `language`, ... and `thinking`, `cue`, `rubric`. Its
`code/evaluation.py --input FILE` reads `answer_prediction` from a `.json` or `.jsonl` file (by
extension); MMAR-Rubrics' judge also reads `thinking_prediction`.

Both score with MMAU's string match (env/scoring.py) against the choices as released.
"""
from __future__ import annotations

import importlib
import json
import os
import re
from typing import Sequence

from env.items import (AUDIO_KEYS, AUTO_SPLIT, REQUIRED, AudioPaths, AudioQA, is_json_lines, load_items, parse_item,
                       read_entries, resolve_items_file, resolve_split)

__all__ = ["ADAPTERS", "AUDIO_KEYS", "AUTO_SPLIT", "REQUIRED", "AudioPaths", "AudioQA", "DatasetAdapter",
           "dataset_adapter", "load_items", "parse_item", "resolve_items_file", "resolve_split", "thinking_text",
           "write_predictions"]


def thinking_text(row: dict) -> str:
    """What an answer rests on, for MMAR-Rubrics' judge: the route and each tool's result."""
    if not row.get("tools"):
        lines = ["No tool was called; the reasoner answered from the question and the audio alone."]
    else:
        lines = [f"Tools called, in order: {', '.join(row['tools'])}."]
        lines += [f"{tool}: {text}" for tool, text in zip(row["tools"], row.get("tool_texts", []))]
    lines.append(f"Answer: {row['prediction']}")
    return "\n".join(lines)


class DatasetAdapter:
    """What a benchmark's schema means for evaluation (docs/EXTENDING.md: a dataset adapter).

    name:         registered name (config `data.adapter`, default `auto`: the first that `matches`)
    breakdowns:   item fields results are broken down by (`per_<field>` in results.json, MLflow
                  `accuracy_by_<field>/...`), reported where the items have values; task and
                  difficulty are always reported
    matches(entries):       whether a manifest's raw entries are this benchmark's
    item_fields(item):      the breakdown values of one item (its AudioQA field, else its extra field)
    prediction_fields(row): the keys its official scorer reads, added to each entry of the
                            prediction file
    """

    name = "generic"
    breakdowns: tuple[str, ...] = ("task", "difficulty", "modality", "category")

    def matches(self, entries: Sequence[dict]) -> bool:
        return True

    def item_fields(self, item: AudioQA) -> dict[str, str]:
        out = {}
        for name in dict.fromkeys(("task", "difficulty", *self.breakdowns)):
            value = getattr(item, name.replace("-", "_"), None)
            out[name] = str(value if value is not None else item.extra.get(name, "") or "")
        return out

    def prediction_fields(self, row: dict) -> dict:
        return {"model_output": row["prediction"], "model_prediction": row["prediction"]}


class MMAU(DatasetAdapter):
    """MMAU test-mini / test: its evaluation.py reads `model_output` (its README says
    `model_prediction`: both are written)."""

    name = "mmau"
    breakdowns = ("task", "difficulty", "category")

    def matches(self, entries):
        return any("audio_id" in e for e in entries)


class MMAR(DatasetAdapter):
    """MMAR: its code/evaluation.py reads `answer_prediction`; MMAR-Rubrics' judge also reads
    `thinking_prediction` (what the answer rests on)."""

    name = "mmar"
    breakdowns = ("modality", "category")

    def matches(self, entries):
        return any("audio_path" in e for e in entries)

    def prediction_fields(self, row):
        return {"answer_prediction": row["prediction"], "thinking_prediction": thinking_text(row)}


class Probe(DatasetAdapter):
    """The probe benchmark (eval/probe.py): MMAU's schema, plus a designated tool per item; v2
    items also say their form (choice or yes/no) and signal kind, reported where present."""

    name = "probe"
    breakdowns = ("task", "difficulty", "form", "signal")

    def matches(self, entries):
        return any("expert_tool" in e for e in entries)


ADAPTERS: dict[str, type[DatasetAdapter]] = {cls.name: cls for cls in (Probe, MMAR, MMAU, DatasetAdapter)}


def dataset_adapter(data: str, choice: str = "auto") -> DatasetAdapter:
    """The adapter for the manifest at `data`: `auto` (the first registered one whose `matches`
    holds: probe, mmar, mmau, then generic), a registered name, or `class:package.module.Class`."""
    if choice.startswith("class:"):
        module, _, attr = choice.split(":", 1)[1].rpartition(".")
        if not module:
            raise ValueError(f"data.adapter {choice!r}: give class:package.module.Class")
        return getattr(importlib.import_module(module), attr)()
    if choice != "auto":
        if choice not in ADAPTERS:
            raise ValueError(f"unknown data.adapter {choice!r}: auto, {', '.join(ADAPTERS)} or "
                             "class:package.module.Class")
        return ADAPTERS[choice]()
    entries = [raw for _, raw in read_entries(resolve_items_file(data)) if isinstance(raw, dict)]
    return next(cls() for cls in ADAPTERS.values() if cls().matches(entries))


def write_predictions(data: str, rows: Sequence[dict], folder: str,
                      adapter: DatasetAdapter | None = None) -> dict[str, str]:
    """Per system, `folder/<system>.json` (`.jsonl` for a JSON Lines manifest): the manifest's own
    entries for the items scored, in the released order, each with the official scorer's keys
    added (`adapter.prediction_fields`). {system: path}."""
    file = resolve_items_file(data)
    entries = [raw for _, raw in read_entries(file) if isinstance(raw, dict)]
    adapter = adapter or dataset_adapter(data)
    lines = is_json_lines(file)
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for system in dict.fromkeys(r["system"] for r in rows):
        scored = {r["id"]: r for r in rows if r["system"] == system}
        seen: set[str] = set()
        out = []
        for entry in entries:
            entry_id = str(entry.get("id"))
            if entry_id in scored and entry_id not in seen:  # a repeated id was rejected: first only
                seen.add(entry_id)
                out.append({**entry, **adapter.prediction_fields(scored[entry_id])})
        path = os.path.join(folder, re.sub(r"[^A-Za-z0-9_.-]", "_", system) + (".jsonl" if lines else ".json"))
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            if lines:
                f.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in out)
            else:
                json.dump(out, f, indent=1, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        paths[system] = path
    return paths
