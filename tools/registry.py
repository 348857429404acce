"""Building the tool set from YAML config.

    tools:
      - name: pitch                    # a built-in tool
        cost: 0.3                      # optional override
      - name: whisper                  # a tool that needs weights: a local path (tools/model_tools.py)
        params: {model_path: /models/whisper-small}
      - name: beats                    # a plug-in: any class implementing the Tool protocol
        class: mypkg.tools.BeatsTool
        params: {model_path: /models/beats}

BUILTIN tools run with no settings (all of them when the config has no `tools:`); WITH_WEIGHTS
tools are named explicitly, with their model_path.
"""
from __future__ import annotations

import importlib
from typing import Any

from tools.base import Tool
from tools.basic import DurationTool, LoudnessTool
from tools.events import EventCountTool, TempoTool
from tools.model_tools import ClapEventsTool, WhisperASRTool
from tools.pitch import PitchTool, VoicePitchTool
from tools.speakers import SpeakerCountTool
from tools.speech import ASRTool, PhraseSpotTool, SpeechSegmentsTool

BUILTIN: dict[str, type] = {cls.name: cls for cls in (
    DurationTool, LoudnessTool, EventCountTool, TempoTool, PitchTool, VoicePitchTool,
    SpeechSegmentsTool, ASRTool, PhraseSpotTool, SpeakerCountTool)}
WITH_WEIGHTS: dict[str, type] = {cls.name: cls for cls in (WhisperASRTool, ClapEventsTool)}


def _import(path: str) -> type:
    module, _, attr = path.rpartition(".")
    if not module:
        raise ValueError(f"tool class {path!r} must be a dotted path like package.module.Class")
    return getattr(importlib.import_module(module), attr)


def build_tools(specs: list[dict[str, Any]] | None = None) -> list[Tool]:
    """Tools in config order; None means every built-in tool with its default settings."""
    if specs is None:
        return [cls() for cls in BUILTIN.values()]
    tools: list[Tool] = []
    for spec in specs:
        if not isinstance(spec, dict) or "name" not in spec:
            raise ValueError(f"each tool entry needs a 'name': {spec!r}")
        name = spec["name"]
        if "class" in spec:
            cls = _import(spec["class"])
        elif name in BUILTIN or name in WITH_WEIGHTS:
            cls = BUILTIN.get(name) or WITH_WEIGHTS[name]
        else:
            raise ValueError(f"unknown tool {name!r}; built-in tools are {sorted(BUILTIN)}, with weights from a "
                             f"local path {sorted(WITH_WEIGHTS)} (or give 'class: package.module.Class' for a plug-in)")
        tool = cls(cost=spec.get("cost"), **(spec.get("params") or {}))
        if "class" in spec:
            tool.name = name
        if spec.get("description") is not None:
            # what the router's relevance reads: a deployment words it for the questions it gets
            # (router.pt records the descriptions it was trained with and refuses others)
            if not isinstance(spec["description"], str) or not spec["description"].strip():
                raise ValueError(f"tool {name!r}: description must be a non-empty string")
            tool.description = spec["description"]
        if spec.get("examples") is not None:
            examples = spec["examples"]
            if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
                raise ValueError(f"tool {name!r}: examples must be a list of non-empty questions")
            tool.examples = tuple(examples)
        if not isinstance(tool, Tool):
            raise TypeError(f"{cls.__name__} does not implement the Tool protocol")
        tools.append(tool)
    names = [t.name for t in tools]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate tool names in config: {names}")
    return tools
