"""Rendering a question and tool evidence into the reasoner's chat prompt.

The wording here decides much of the accuracy of a small cascade reasoner; the
variants are kept side by side so `benchmarks/prompt_study.py` can measure them on the
validation split (docs/PROMPTS.md has the numbers that chose the default).
"""
from __future__ import annotations

from typing import Sequence

SYSTEM = ("You answer multiple-choice questions about an audio clip. You cannot hear the clip, "
          "but audio analysis tools have measured it. Trust the tool measurements.")


def render_evidence(tool_texts: Sequence[str]) -> str:
    """The evidence block: one line per successful tool result, in call order."""
    lines = [t.strip() for t in tool_texts if t and t.strip()]
    return "\n".join(f"- {line}" for line in lines)


def render_messages(question: str, choices: Sequence[str], tool_texts: Sequence[str],
                    style: str = "evidence_last") -> list[dict]:
    """Chat messages (system, user) for one question; the answer is scored as the assistant turn.

    style:
      evidence_first  tool lines, then question and choices
      evidence_last   question and choices, then tool lines, then a reminder to use them
    """
    evidence = render_evidence(tool_texts)
    options = "\n".join(f"- {c}" for c in choices)
    if not evidence:
        user = f"Question: {question}\nChoices:\n{options}\nAnswer with one of the choices."
    elif style == "evidence_first":
        user = (f"Tool measurements:\n{evidence}\n\nQuestion: {question}\nChoices:\n{options}\n"
                "Answer with one of the choices.")
    elif style == "evidence_last":
        user = (f"Question: {question}\nChoices:\n{options}\n\nTool measurements:\n{evidence}\n\n"
                "Using the measurements, answer with one of the choices.")
    else:
        raise ValueError(f"unknown prompt style {style!r} (evidence_first, evidence_last)")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
