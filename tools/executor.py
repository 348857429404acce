"""Running tools on an item, with the on-disk result cache.

A tool result is a pure function of (tool, tool version, audio bytes), plus the choices
for the few tools that read them, so it is cached under that key and a second epoch or
a second run costs nothing.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

from tools.base import Audio, AudioError, Tool, ToolResult, load_audio
from tools.cache import ParquetCache


class ToolExecutor:
    def __init__(self, tools: Sequence[Tool], cache: ParquetCache | None = None):
        self.tools = {t.name: t for t in tools}
        self.cache = cache if cache is not None else ParquetCache(None)  # an empty cache is falsy
        self._hashes: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        return list(self.tools)

    def warm(self, clips: Sequence[tuple[str, str, Sequence[str]]], progress: bool = True) -> dict[str, int]:
        """Run every tool on every (audio path, question, choices) clip so later steps hit the
        cache; unreadable audio is counted and skipped (the env rejects it later with a reason)."""
        from tqdm import tqdm

        counts = {"clips": 0, "bad_audio": 0, "tool_errors": 0}
        for audio, question, choices in tqdm(clips, desc="tool cache", unit="clip", disable=not progress):
            try:
                results = self.run(audio, question, choices, self.names)
            except AudioError:
                counts["bad_audio"] += 1
                continue
            counts["clips"] += 1
            counts["tool_errors"] += sum(not r.ok for r in results)
        self.cache.flush()
        return counts

    def evidence(self, results: Sequence[ToolResult]) -> tuple[str, ...]:
        """The texts the reasoner sees: successful results in config order, whatever order the
        tools were called in, so the prompt (and its cached answer) depends only on which tools ran."""
        rank = {name: i for i, name in enumerate(self.tools)}
        ordered = sorted(results, key=lambda r: rank.get(r.tool, len(rank)))
        return tuple(r.text for r in ordered if r.ok and r.text)

    def audio_hash(self, path: str) -> str:
        if path not in self._hashes:
            # decoding validates: a bad file raises AudioError here, before any tool runs
            self._hashes[path] = load_audio(path).sha256
        return self._hashes[path]

    def cache_key(self, tool: Tool, audio_sha: str, choices: Sequence[str]) -> str:
        key = f"{tool.name}|{tool.version}|{audio_sha}"
        if getattr(tool, "uses_choices", False):
            key += "|" + hashlib.sha256(json.dumps(list(choices)).encode()).hexdigest()[:16]
        return key

    def run(self, audio_path: str, question: str, choices: Sequence[str], names: Sequence[str]) -> list[ToolResult]:
        """Results in the order of `names`; raises AudioError if the file is not usable audio."""
        sha = self.audio_hash(audio_path)
        audio: Audio | None = None
        results = []
        for name in names:
            if name not in self.tools:
                raise KeyError(f"unknown tool {name!r}; configured tools: {self.names}")
            tool = self.tools[name]
            key = self.cache_key(tool, sha, choices)
            cached = self.cache.get(key)
            if cached is not None:
                results.append(ToolResult.from_dict(cached))
                continue
            if audio is None:
                audio = load_audio(audio_path)
            result = tool.run(audio, question, choices)
            if result.ok:  # errors are not cached: a transient failure may pass next time
                self.cache.put(key, result.to_dict())
            results.append(result)
        return results
