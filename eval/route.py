"""One clip through route -> execute -> reason with a trained router.pt (`audiorouter route`)."""
from __future__ import annotations

import os
from typing import Sequence

from env.items import AudioQA, offered_choices
from eval.benchmark import build_evaluator
from eval.systems import LearnedRouter


def route_clip(cfg: dict, router_path: str, audio: str, question: str, choices: Sequence[str]) -> dict:
    """{"tools": the tools the router called, in order, "results": their ToolResults, "answer":
    the reasoner's choice, "scores": its score per choice, "first_decision": why the first tool
    (`Router.first_decision`)}. An empty question or fewer than two
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
    return {"tools": tools, "results": results, "answer": answer.choice, "scores": answer.scores,
            "first_decision": router.last_decision}


def explained_decision(decision: dict) -> str:
    """`route --explain`: who chose the first tool, and each tool's relevance and policy probability."""
    nearest = decision["nearest_training_cosine"]
    near = "no training questions in router.pt" if nearest is None else (
        f"nearest training question at cosine {nearest:.2f}; "
        f"the policy decides at {decision['novelty_threshold']:.2f} or nearer")
    by = "the trained policy" if decision["by"] == "policy" else "relevance (an unfamiliar question)"
    lines = [f"first tool chosen by: {by} ({near})", f"  {'tool':12s} {'relevance':>9s} {'policy p':>8s}"]
    policy = decision["policy"] or {}
    for name, relevance in sorted(decision["relevance"].items(), key=lambda kv: -policy.get(kv[0], kv[1])):
        p = f"{policy[name]:8.2f}" if name in policy else f"{'':8s}"
        lines.append(f"  {name:12s} {relevance:9.3f} {p}")
    if "answer" in policy:
        lines.append(f"  {'(answer)':12s} {'':9s} {policy['answer']:8.2f}")
    return "\n".join(lines)
