"""One clip through route -> execute -> reason with a trained router.pt (`audiorouter route`)."""
from __future__ import annotations

import os
from typing import Sequence

from env.items import AudioQA, offered_choices
from eval.benchmark import build_evaluator
from eval.systems import LearnedRouter


def route_clip(cfg: dict, router_path: str, audio: str, question: str, choices: Sequence[str]) -> dict:
    """{"tools": the tools the router called, in order, "results": their ToolResults, "answer":
    the reasoner's choice, "scores": its score per choice}. An empty question or fewer than two
    distinct choices is a ValueError and a bad file an AudioError naming it, before any model work."""
    if not question.strip():  # as an eval item or a served request is refused
        raise ValueError("question is empty")
    choices = offered_choices(choices)
    if len(choices) < 2:
        raise ValueError(f"needs at least 2 distinct choices, got {list(choices)}")
    evaluator = build_evaluator(cfg, progress=False)
    router = LearnedRouter(router_path)
    item = AudioQA("clip", os.path.abspath(audio), question, choices, answer=None)
    evaluator.executor.audio_hash(item.audio)
    router.prepare(evaluator, None)
    try:
        tools = router.route(item, evaluator.tool_names)
        results = evaluator.execute(item, tools)
        answer = evaluator.reason(item, results)
    finally:
        evaluator.executor.cache.flush()
        evaluator.reasoner.cache.flush()
    return {"tools": tools, "results": results, "answer": answer.choice, "scores": answer.scores}
