"""Reasoner backends by registered name, or a plug-in's `class:` (config section `reasoner:`).

    reasoner: {backend: smollm2, prompt_style: restate}      # a registered backend
    reasoner: {class: mypkg.reasoners.MyLALM, model: ...}     # a plug-in implementing ReasonerBackend

Backends are imported only when chosen: the LALM backends pull in large model classes, the
OpenAI one nothing but requests.
"""
from __future__ import annotations

import importlib

from env.reasoners.types import ReasonerBackend

BACKENDS = {"smollm2": "env.reasoners.smollm2:SmolLMReasoner",
            "transformers": "env.reasoners.lalm:TransformersLALMReasoner",
            "deepspeed": "env.reasoners.lalm:TransformersLALMReasoner",
            "openai": "env.reasoners.openai_http:OpenAIReasoner"}


def reasoner_class(section: dict | None) -> type:
    """The class config section `reasoner:` names: `backend` (a registered name, default smollm2)
    or `class: package.module.Class` (a plug-in implementing ReasonerBackend)."""
    section = section or {}
    if "class" in section:
        module, _, attr = str(section["class"]).rpartition(".")
        if not module:
            raise ValueError(f"reasoner class {section['class']!r} must be a dotted path like package.module.Class")
        return getattr(importlib.import_module(module), attr)
    backend = section.get("backend", "smollm2")
    if backend not in BACKENDS:
        raise ValueError(f"unknown reasoner backend {backend!r}; available: {', '.join(BACKENDS)} "
                         "(or class: package.module.Class for a plug-in)")
    module, _, attr = BACKENDS[backend].partition(":")
    return getattr(importlib.import_module(module), attr)


def build_reasoner(section: dict | None) -> ReasonerBackend:
    """The reasoner backend named by config section `reasoner: {backend: ..., ...}`:
    smollm2 (embedded, text only), transformers (an LALM that hears the clip, env/reasoners/lalm.py),
    deepspeed (the same through deepspeed.init_inference), openai (an OpenAI-compatible HTTP
    server such as `vllm serve`, env/reasoners/openai_http.py), or a plug-in's `class:`."""
    section = dict(section or {})
    cls = reasoner_class(section)
    backend = section.pop("backend", "smollm2")
    section.pop("class", None)
    if backend == "deepspeed":
        section["engine"] = "deepspeed"
    return cls(**section)
