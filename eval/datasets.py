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

import json
import os
import re
from typing import Sequence

from env.items import (AUDIO_KEYS, AUTO_SPLIT, REQUIRED, AudioPaths, AudioQA, is_json_lines, load_items, parse_item,
                       read_entries, resolve_items_file, resolve_split)

__all__ = ["AUDIO_KEYS", "AUTO_SPLIT", "REQUIRED", "AudioPaths", "AudioQA", "load_items", "parse_item", "resolve_items_file",
           "resolve_split", "benchmark_format", "write_predictions", "thinking_text"]


def benchmark_format(entries: Sequence[dict]) -> str:
    """"mmar" when the entries name their audio as MMAR does (`audio_path`), else "mmau" (MMAU's
    own files and the probe benchmark, which is written in MMAU's schema)."""
    return "mmar" if any("audio_path" in e for e in entries) else "mmau"


def thinking_text(row: dict) -> str:
    """What an answer rests on, for MMAR-Rubrics' judge: the route and each tool's result."""
    if not row.get("tools"):
        lines = ["No tool was called; the reasoner answered from the question and the audio alone."]
    else:
        lines = [f"Tools called, in order: {', '.join(row['tools'])}."]
        lines += [f"{tool}: {text}" for tool, text in zip(row["tools"], row.get("tool_texts", []))]
    lines.append(f"Answer: {row['prediction']}")
    return "\n".join(lines)


def prediction_fields(fmt: str, row: dict) -> dict:
    """The keys the official scorer of `fmt` reads, for one scored row."""
    if fmt == "mmar":
        return {"answer_prediction": row["prediction"], "thinking_prediction": thinking_text(row)}
    return {"model_output": row["prediction"], "model_prediction": row["prediction"]}


def write_predictions(data: str, rows: Sequence[dict], folder: str) -> dict[str, str]:
    """Per system, `folder/<system>.json` (`.jsonl` for a JSON Lines manifest): the manifest's own
    entries for the items scored, in the released order, each with the official scorer's keys
    added (`prediction_fields`). {system: path}."""
    file = resolve_items_file(data)
    entries = [raw for _, raw in read_entries(file) if isinstance(raw, dict)]
    fmt = benchmark_format(entries)
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
                out.append({**entry, **prediction_fields(fmt, scored[entry_id])})
        path = os.path.join(folder, re.sub(r"[^A-Za-z0-9_.-]", "_", system) + (".jsonl" if lines else ".json"))
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            if lines:
                f.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in out)
            else:
                json.dump(out, f, indent=1, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        paths[system] = path
    return paths
