"""Running tools on an item, with the on-disk result cache.

A tool result is a pure function of (tool, tool version, audio bytes), plus the choices
for the few tools that read them, so it is cached under that key and a second epoch or
a second run costs nothing.
"""
from __future__ import annotations

import hashlib
import json
from typing import Protocol, Sequence

from tools.base import MAX_AUDIO_SECONDS, Audio, AudioError, Tool, ToolResult, load_audio
from tools.cache import ParquetCache
from tools.timeouts import DEFAULT_TOOL_TIMEOUT_S, TimedCalls


ToolCall = tuple[str, str, Sequence[str], Sequence[str]]  # audio path, question, choices, tool names


class RemoteTools(Protocol):
    """Where an executor sends its cache misses instead of running them itself (a tool pool)."""

    def run_batch(self, calls: Sequence[ToolCall]) -> list[list[dict]]: ...


class ToolExecutor:
    """Runs tools through the cache. With `remote` (an env runner's view of a tool pool) the
    misses go to the pool in one call and this process never loads a tool model; `tools` then
    only supply names, costs and preconditions (their models load lazily, on first run)."""

    def __init__(self, tools: Sequence[Tool], cache: ParquetCache | None = None, remote: RemoteTools | None = None,
                 timeout_s: float | None = DEFAULT_TOOL_TIMEOUT_S, max_audio_seconds: float | None = MAX_AUDIO_SECONDS):
        self.tools = {t.name: t for t in tools}
        self.cache = cache if cache is not None else ParquetCache(None)  # an empty cache is falsy
        self.remote = remote
        self.timed = TimedCalls(timeout_s)
        self.max_audio_seconds = max_audio_seconds
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
        return tuple(r.text for r in self._shown(results))

    def contrasts(self, results: Sequence[ToolResult], question: str = "",
                  choices: Sequence[str] = ()) -> tuple[tuple[str, ...], ...]:
        """Per evidence text (same order as `evidence`), the tool's texts for other outcomes: its
        own (cached with the result), then those for the values the question or choices name."""
        out = []
        for r in self._shown(results):
            tool = self.tools.get(r.tool)
            asked = tool.question_contrasts(r.data, question, choices) if hasattr(tool, "question_contrasts") else []
            out.append(tuple(dict.fromkeys([*r.contrasts, *(t for t in asked if t and t != r.text)])))
        return tuple(out)

    def _shown(self, results: Sequence[ToolResult]) -> list[ToolResult]:
        rank = {name: i for i, name in enumerate(self.tools)}
        return [r for r in sorted(results, key=lambda r: rank.get(r.tool, len(rank))) if r.ok and r.text]

    def load_audio(self, path: str) -> Audio:
        """The decoded clip, or AudioError (bad file, or longer than `max_audio_seconds`)."""
        return load_audio(path, self.max_audio_seconds)

    def audio_hash(self, path: str) -> str:
        if path not in self._hashes:
            # decoding validates: a bad file raises AudioError here, before any tool runs
            self._hashes[path] = self.load_audio(path).sha256
        return self._hashes[path]

    def cache_key(self, tool: Tool, audio_sha: str, question: str, choices: Sequence[str]) -> str:
        key = f"{tool.name}|{tool.version}|{audio_sha}"
        if getattr(tool, "uses_choices", False):  # phrase spotting reads the choices, or a phrase the question quotes
            key += "|" + hashlib.sha256(json.dumps([question, list(choices)]).encode()).hexdigest()[:16]
        return key

    def run(self, audio_path: str, question: str, choices: Sequence[str], names: Sequence[str]) -> list[ToolResult]:
        """Results in the order of `names`; raises AudioError if the file is not usable audio."""
        return self.run_many([(audio_path, question, choices, names)])[0]

    def run_many(self, calls: Sequence[ToolCall]) -> list[list[ToolResult]]:
        """Each call's results in the order of its names: cached ones from the cache, the rest run
        here or, with `remote`, in one batched call to the pool (vectorized envs step together)."""
        results: list[list[ToolResult | None]] = []
        missing: list[tuple[int, list[int]]] = []  # call index -> positions still to run
        for c, (audio_path, question, choices, names) in enumerate(calls):
            sha = self.audio_hash(audio_path)
            row: list[ToolResult | None] = []
            for name in names:
                if name not in self.tools:
                    raise ValueError(f"unknown tool {name!r}; configured tools: {self.names}")
                cached = self.cache.get(self.cache_key(self.tools[name], sha, question, choices))
                row.append(ToolResult.from_dict(cached) if cached is not None else None)
            results.append(row)
            todo = [k for k, r in enumerate(row) if r is None]
            if todo:
                missing.append((c, todo))
        if missing and self.remote is not None:
            fresh = self.remote.run_batch([(calls[c][0], calls[c][1], calls[c][2], [calls[c][3][k] for k in todo])
                                           for c, todo in missing])
            fresh = [[ToolResult.from_dict(d) for d in row] for row in fresh]
        else:
            fresh = [self._run_here(calls[c], todo) for c, todo in missing]
        for (c, todo), row in zip(missing, fresh):
            audio_path, question, choices, names = calls[c]
            sha = self.audio_hash(audio_path)
            for k, result in zip(todo, row):
                results[c][k] = result
                if result.ok:  # errors are not cached: a transient failure may pass next time
                    self.cache.put(self.cache_key(self.tools[names[k]], sha, question, choices), result.to_dict())
        return results  # type: ignore[return-value]

    def _run_here(self, call: ToolCall, positions: Sequence[int]) -> list[ToolResult]:
        audio_path, question, choices, names = call
        audio: Audio = self.load_audio(audio_path)
        return [self._run_tool(self.tools[names[k]], audio, question, choices) for k in positions]

    def _run_tool(self, tool: Tool, audio: Audio, question: str, choices: Sequence[str]) -> ToolResult:
        """`tool.run`, or an error result if it raises or runs over `timeout_s` (tools/timeouts.py:
        the overrunning tool is abandoned, so it never stalls the env runner or pool that called it)."""
        try:
            return self.timed.call(lambda: tool.run(audio, question, choices), tool.name)
        except TimeoutError as exc:
            return ToolResult(tool.name, False, {}, "", f"TimeoutError: {exc}", self.timed.timeout_s or 0.0)
        except Exception as exc:  # a plug-in outside BaseTool that raises: an error result all the same
            return ToolResult(tool.name, False, {}, "", f"{type(exc).__name__}: {exc}", 0.0)
