"""The AudioQA item: one vocabulary for datasets, the environment and evaluation.

It lives in `env/` because the environment needs it and `eval/` (which loads datasets)
sits above `env/` in the import order.
"""
from __future__ import annotations

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
