"""The AudioQA item: one vocabulary for datasets, the environment and evaluation.

Loading a JSON file in MMAU's schema (the probe benchmark writes the same) lives here too,
because the environment loads its own items and `eval/` sits above `env/` in the import
order. An item that cannot be used is not fatal: it is returned under `rejected` with a
reason naming the item and the file, and the rest of the run goes on.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AudioQA:
    id: str
    audio: str  # absolute path
    question: str
    choices: tuple[str, ...]
    answer: str
    task: str = ""
    category: str = ""
    sub_category: str = ""
    difficulty: str = ""
    split: str = ""
    expert_tool: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


REQUIRED = ("id", "question", "choices", "answer")
AUDIO_KEYS = ("audio_id", "audio_path", "audio")  # MMAU, MMAR, ours


def resolve_items_file(path: str) -> str:
    if os.path.isdir(path):
        path = os.path.join(path, "items.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such dataset file (give a folder with items.json or a .json file)")
    return path


def _audio_path(raw: dict, root: str) -> str:
    rel = next((raw[k] for k in AUDIO_KEYS if raw.get(k)), None)
    if not isinstance(rel, str):
        raise ValueError(f"no audio path (one of {', '.join(AUDIO_KEYS)})")
    if os.path.isabs(rel):
        raise ValueError(f"audio path {rel!r} is absolute; paths must be relative to the dataset folder")
    full = os.path.realpath(os.path.join(root, rel))  # realpath also resolves symlinks
    if os.path.commonpath([full, os.path.realpath(root)]) != os.path.realpath(root):
        raise ValueError(f"audio path {rel!r} escapes the dataset folder {root}")
    return full


def parse_item(raw: Any, root: str) -> AudioQA:
    """One item, or ValueError saying what is wrong with it."""
    if not isinstance(raw, dict):
        raise ValueError("item is not a JSON object")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    choices = raw["choices"]
    if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
        raise ValueError("choices must be a list of non-empty strings")
    if len(choices) < 2:
        raise ValueError(f"needs at least 2 choices, has {len(choices)}")
    if len(set(choices)) != len(choices):
        raise ValueError(f"duplicate choices {choices}")
    if raw["answer"] not in choices:
        raise ValueError(f"answer {raw['answer']!r} is not among the choices {choices}")
    if not isinstance(raw["question"], str) or not raw["question"].strip():
        raise ValueError("question is empty")
    known = set(REQUIRED) | set(AUDIO_KEYS) | {"task", "category", "sub-category", "difficulty", "split",
                                               "expert_tool"}
    return AudioQA(
        id=str(raw["id"]), audio=_audio_path(raw, root), question=raw["question"], choices=tuple(choices),
        answer=raw["answer"], task=str(raw.get("task", "")), category=str(raw.get("category", "")),
        sub_category=str(raw.get("sub-category", "")), difficulty=str(raw.get("difficulty", "")),
        split=str(raw.get("split", "")), expert_tool=str(raw.get("expert_tool", "")),
        extra={k: v for k, v in raw.items() if k not in known})


def load_items(path: str, split: str | None = None) -> tuple[list[AudioQA], list[dict]]:
    """(usable items, rejected [{id, stage, reason}]) from a folder with items.json or a JSON file.

    `split` keeps only entries whose `split` field matches (None keeps all); a rejected entry
    counts for the split it names, and for every split when it names none.
    """
    file = resolve_items_file(path)
    root = os.path.dirname(os.path.abspath(file))
    try:
        with open(file, encoding="utf-8") as f:
            raw_items = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{file}: not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(raw_items, list):
        raise ValueError(f"{file}: expected a JSON list of items")
    items, rejected, seen, splits = [], [], set(), set()
    for n, raw in enumerate(raw_items):
        item_id = str(raw.get("id", f"#{n}")) if isinstance(raw, dict) else f"#{n}"
        raw_split = raw.get("split") if isinstance(raw, dict) else None
        if split is not None and isinstance(raw_split, str) and raw_split != split:
            splits.add(raw_split)
            continue  # another split's entry, good or bad, is not this run's concern
        try:
            item = parse_item(raw, root)
        except ValueError as exc:
            rejected.append({"id": item_id, "stage": "manifest", "reason": f"{file} item {item_id}: {exc}"})
            continue
        if item.id in seen:
            rejected.append({"id": item_id, "stage": "manifest", "reason": f"{file} item {item_id}: duplicate id"})
            continue
        seen.add(item.id)
        splits.add(item.split)
        if split is None or item.split == split:
            items.append(item)
    if split is not None and not items and not rejected and splits:
        # e.g. MMAU's own files say "test-mini": an empty run would look like a result
        raise ValueError(f"{file}: no item has split {split!r} (splits present: {sorted(splits)}); "
                         "pick one of those, or 'all'")
    return items, rejected
