"""The AudioQA item: one vocabulary for datasets, the environment and evaluation.

Loading a manifest (MMAU's JSON list, MMAR's JSON Lines, the probe benchmark's items.json)
lives here too, because the environment loads its own items and `eval/` sits above `env/` in
the import order. An item that cannot be used is not fatal: it is returned under `rejected`
with a reason naming the item and the file, and the rest of the run goes on.

Released benchmarks are taken as they are. Their quirks and what this loader does with them:

- a choice repeated (27 MMAU test-mini items): offered to the reasoner once;
- an empty or whitespace choice (4 MMAR items): never offered, so it can never be predicted;
- no `answer` (MMAU test, answers withheld): loaded with `answer=None`; evaluation writes the
  prediction file and reports no accuracy, training refuses the item.
The item keeps its choices as released (`released_choices`): scoring uses MMAU's string match
against those, exactly as the official scripts do.

Audio paths: what a manifest *says* is checked lexically (no absolute path outside
`AudioPaths.allowed_roots`, no `..` climbing out of the audio folder), because the manifest is
the file that may come from elsewhere. Links the user placed inside their own folder (audio
kept on shared storage) are followed.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence

from env.scoring import _words
from tools.sections import build_section, option


@dataclass(frozen=True)
class AudioQA:
    id: str
    audio: str  # absolute path
    question: str
    choices: tuple[str, ...]  # as offered to the reasoner: distinct, none empty
    answer: str | None  # one of `choices`; None when the benchmark withholds answers
    task: str = ""
    category: str = ""
    sub_category: str = ""
    difficulty: str = ""
    split: str = ""
    expert_tool: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    released_choices: tuple[str, ...] = ()  # as the file has them (empty: the same as `choices`)

    @property
    def scored_choices(self) -> tuple[str, ...]:
        """The choices MMAU's string match scores against: the released ones, repeats and all."""
        return self.released_choices or self.choices


@dataclass
class DataConfig:
    """Config section `data`: the probe benchmark `demo` generates, and where manifests' audio lives."""

    out: str = option("data/probe", "folder the probe benchmark is written to (audiorouter demo/train)")
    n: int = option(500, "probe items to generate")
    seed: int = option(0, "probe generator seed")
    version: int = option(2, "probe generator version: 2 (14 families, varied wording and signals) or 1 (the original ten)")
    holdout_families: list[str] = option([], "probe families kept out of training and validation (split `holdout`)")
    holdout_signals: list[str] = option([], "probe v2 signal kinds kept out of training and validation (split `holdout`)")
    audio_root: Optional[str] = option(None, "folder manifest audio paths are relative to (default: the manifest's)")
    allowed_roots: list[str] = option([], "folders an absolute audio path in a manifest may point into")
    adapter: str = option("auto", "what the manifest is, for breakdowns and prediction files: auto, probe, "
                          "mmau, mmar, generic, or class:package.module.Class (eval/datasets.py)")


REQUIRED = ("id", "question", "choices")
AUDIO_KEYS = ("audio_id", "audio_path", "audio")  # MMAU, MMAR, ours
AUTO_SPLIT = "auto"  # a file with one split value: that one; otherwise "test"


@dataclass(frozen=True)
class AudioPaths:
    """Where a manifest's audio paths may lead.

    audio_root:    folder relative paths are resolved against (default: the manifest's folder)
    allowed_roots: folders an absolute path in a manifest may point into (default: none)
    """

    audio_root: str | None = None
    allowed_roots: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg: dict | None) -> "AudioPaths":
        """From a config's `data` section (`audio_root`, `allowed_roots`)."""
        data = build_section(DataConfig, (cfg or {}).get("data"), "data")
        return cls(data.audio_root or None, tuple(data.allowed_roots))


def resolve_items_file(path: str) -> str:
    if os.path.isdir(path):
        path = os.path.join(path, "items.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such dataset file (give a folder with items.json, or a "
                                ".json / .jsonl manifest)")
    return path


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _audio_path(raw: dict, root: str, paths: AudioPaths) -> str:
    rel = next((raw[k] for k in AUDIO_KEYS if raw.get(k)), None)
    if not isinstance(rel, str):
        raise ValueError(f"no audio path (one of {', '.join(AUDIO_KEYS)})")
    if os.path.isabs(rel):
        full = os.path.normpath(rel)
        allowed = [os.path.normpath(os.path.abspath(r)) for r in paths.allowed_roots]
        if not any(_inside(full, r) for r in allowed):
            raise ValueError(f"audio path {rel!r} is absolute and outside data.allowed_roots "
                             f"({allowed or 'none set'}); write paths relative to the audio folder, or "
                             "list the folder in data.allowed_roots")
        return full
    base = os.path.abspath(paths.audio_root or root)
    full = os.path.normpath(os.path.join(base, rel))  # lexical: a link inside `base` is the user's own
    if not _inside(full, base):
        raise ValueError(f"audio path {rel!r} escapes the dataset folder {base}")
    return full


def offered_choices(released: Sequence[str]) -> tuple[str, ...]:
    """The choices the reasoner is offered: each distinct text once, stripped, empty ones never."""
    return tuple(dict.fromkeys(c.strip() for c in released if c.strip()))


def _answer_choice(answer: Any, offered: Sequence[str], released: Sequence[str]) -> str:
    """The offered choice the answer names: the same text (spaces around it aside), or failing
    that the one choice with the same word set (MMAU's string match sees no difference)."""
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError(f"answer {answer!r} is not among the choices {list(released)}")
    if answer.strip() in offered:
        return answer.strip()
    same_words = [c for c in offered if _words(c) == _words(answer)]
    if len(same_words) == 1:
        return same_words[0]
    raise ValueError(f"answer {answer!r} is not among the choices {list(released)}")


def parse_item(raw: Any, root: str, paths: AudioPaths | None = None) -> AudioQA:
    """One item, or ValueError saying what is wrong with it."""
    if not isinstance(raw, dict):
        raise ValueError("item is not a JSON object")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    released = raw["choices"]
    if not isinstance(released, list) or not all(isinstance(c, str) for c in released):
        raise ValueError("choices must be a list of strings")
    offered = offered_choices(released)
    if len(offered) < 2:
        raise ValueError(f"needs at least 2 choices, has {len(offered)} distinct non-empty in {released}")
    if "answer" in raw and raw["answer"] is not None:
        answer: str | None = _answer_choice(raw["answer"], offered, released)
    else:
        answer = None  # withheld (MMAU test): predictions only
    if not isinstance(raw["question"], str) or not raw["question"].strip():
        raise ValueError("question is empty")
    known = set(REQUIRED) | set(AUDIO_KEYS) | {"answer", "task", "category", "sub-category", "difficulty",
                                               "split", "expert_tool"}
    return AudioQA(
        id=str(raw["id"]), audio=_audio_path(raw, root, paths or AudioPaths()), question=raw["question"],
        choices=offered, answer=answer, task=str(raw.get("task", "")), category=str(raw.get("category", "")),
        sub_category=str(raw.get("sub-category", "")), difficulty=str(raw.get("difficulty", "")),
        split=str(raw.get("split", "")), expert_tool=str(raw.get("expert_tool", "")),
        extra={k: v for k, v in raw.items() if k not in known},
        released_choices=tuple(released) if tuple(released) != offered else ())


class BadEntry(ValueError):
    """A manifest entry that is not even JSON (a JSON Lines line that does not parse)."""


def is_json_lines(file: str) -> bool:
    """JSON Lines by content: a file that is not one JSON value and starts with an object."""
    with open(file, "rb") as f:
        head = f.read(4096).lstrip()
    if not head.startswith(b"{"):
        return False
    try:
        with open(file, encoding="utf-8") as f:
            json.load(f)
        return False  # one object over one or many lines: a one-item manifest
    except (UnicodeDecodeError, json.JSONDecodeError):
        return True


def read_entries(file: str) -> Iterator[tuple[str, Any]]:
    """(where, raw entry) for each entry of a manifest: a JSON list, or JSON Lines (MMAR's
    `MMAR-meta.jsonl`), told apart by content. `where` is "#n" (list index) or "line n". A JSON Lines
    line that does not parse comes as a BadEntry in place of the entry; a JSON file that does
    not parse is one ValueError for the whole file."""
    if is_json_lines(file):
        with open(file, "rb") as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    yield f"line {n}", json.loads(line.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    yield f"line {n}", BadEntry(f"not valid UTF-8 JSON ({exc})")
        return
    try:
        with open(file, encoding="utf-8") as f:
            loaded = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{file}: not valid UTF-8 JSON ({exc})") from exc
    if isinstance(loaded, dict):
        loaded = [loaded]
    if not isinstance(loaded, list):
        raise ValueError(f"{file}: expected a JSON list of items (or JSON Lines, one item per line)")
    for n, raw in enumerate(loaded):
        yield f"#{n}", raw


def _entry_split(raw: Any) -> str | None:
    return raw.get("split") if isinstance(raw, dict) and isinstance(raw.get("split"), str) else None


def resolve_split(path: str, split: str | None) -> str | None:
    """The split a run scores: `auto` is the file's only split value when it has one (MMAU
    test-mini's `test-mini`, or no split field at all: every item), else `test`; `all` is None."""
    if split == "all" or split is None:
        return None
    if split != AUTO_SPLIT:
        return split
    values = {_entry_split(raw) or "" for _, raw in read_entries(resolve_items_file(path))
              if not isinstance(raw, BadEntry)}
    return None if len(values) <= 1 else "test"


def load_items(path: str, split: str | None = None,
               paths: AudioPaths | None = None) -> tuple[list[AudioQA], list[dict]]:
    """(usable items, rejected [{id, stage, reason}]) from a folder with items.json or a manifest
    file (JSON list or JSON Lines).

    `split` keeps only entries whose `split` field matches (None or "all" keeps all, "auto" as
    `resolve_split`); a rejected entry counts for the split it names, and for every split when it
    names none.
    """
    file = resolve_items_file(path)
    split = resolve_split(file, split)
    root = os.path.dirname(os.path.abspath(file))
    items, rejected, seen, splits = [], [], set(), set()
    for where, raw in read_entries(file):
        item_id = str(raw.get("id", where)) if isinstance(raw, dict) else where
        at = f"{file} {where}" if where.startswith("line") else file
        raw_split = _entry_split(raw)
        if split is not None and raw_split is not None and raw_split != split:
            splits.add(raw_split)
            continue  # another split's entry, good or bad, is not this run's concern
        try:
            if isinstance(raw, BadEntry):
                raise raw
            item = parse_item(raw, root, paths)
        except ValueError as exc:
            rejected.append({"id": item_id, "stage": "manifest", "reason": f"{at} item {item_id}: {exc}"})
            continue
        if item.id in seen:
            rejected.append({"id": item_id, "stage": "manifest", "reason": f"{at} item {item_id}: duplicate id"})
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
