"""Datasets for evaluation: the loader for MMAU's schema (which MMAR's and the probe's map onto;
env/items.py, re-exported here) and prediction files in the official scripts' form.

MMAU test-mini (`mmau-test-mini.json`): `id`, `audio_id`, `question`, `choices`, `answer`,
`dataset`, `task`, `split`, `category`, `sub-category`, `difficulty`. MMAR (`MMAR-meta.json`):
`id`, `audio_path`, `question`, `choices`, `answer`, `modality`, `category`, `sub-category`, ...
Both official `evaluation.py` scripts read the dataset's own entries with a `model_prediction`
key added, and score it with MMAU's string match (env/scoring.py).
"""
from __future__ import annotations

import json
import os
import re
from typing import Sequence

from env.items import AUDIO_KEYS, REQUIRED, AudioQA, load_items, parse_item, resolve_items_file

__all__ = ["AUDIO_KEYS", "REQUIRED", "AudioQA", "load_items", "parse_item", "resolve_items_file",
           "write_predictions"]


def write_predictions(data: str, rows: Sequence[dict], folder: str) -> dict[str, str]:
    """Per system, `folder/<system>.json`: the dataset file's own entries for the items scored, in
    the file's order, each with `model_prediction` (the chosen choice's text) added, which is
    what MMAU's and MMAR's official `evaluation.py --input FILE` read. {system: path}."""
    with open(resolve_items_file(data), encoding="utf-8") as f:
        entries = [e for e in json.load(f) if isinstance(e, dict)]
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for system in dict.fromkeys(r["system"] for r in rows):
        predictions = {r["id"]: r["prediction"] for r in rows if r["system"] == system}
        seen: set[str] = set()
        out = []
        for entry in entries:
            entry_id = str(entry.get("id"))
            if entry_id in predictions and entry_id not in seen:  # a repeated id was rejected: first only
                seen.add(entry_id)
                out.append({**entry, "model_prediction": predictions[entry_id]})
        path = os.path.join(folder, re.sub(r"[^A-Za-z0-9_.-]", "_", system) + ".json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        paths[system] = path
    return paths
