"""Rendering a question and tool evidence into the reasoner's prompt.

The wording here decides much of a small cascade reasoner's accuracy. Styles are kept
side by side so `benchmarks/prompt_study.py` can measure them; docs/PROMPTS.md has the
numbers behind the default.

    evidence_first  user turn: tool lines, question, choices
    evidence_last   user turn: question, choices, tool lines
    restate         user turn: the question alone; the assistant's reply starts by
                    restating the tool lines, then "So the answer is:" and each choice is
                    scored right after. A 135M model copies from nearby text far better than
                    it reasons over a long context, so the evidence sits next to the answer;
                    and listing the choices in the prompt gives it every choice to copy,
                    which drowned the evidence (docs/PROMPTS.md: 94% vs 81% with expert tools).

A non-empty prefix ends without a space: the choice is scored as " " + choice, the way the
tokenizer splits words inside running text (a trailing space in the prompt puts the choice
on word pieces it rarely sees there, which cost about 20 points).
"""
from __future__ import annotations

from typing import Sequence

STYLES = ("evidence_first", "evidence_last", "restate")
SYSTEM = ("You answer multiple-choice questions about an audio clip. You cannot hear the clip, "
          "but audio analysis tools have measured it. Trust the tool measurements.")


def evidence_lines(tool_texts: Sequence[str]) -> list[str]:
    """Non-empty tool texts, stripped, in the order given (config order: ToolExecutor.evidence)."""
    return [t.strip() for t in tool_texts if t and t.strip()]


def render_prompt(question: str, choices: Sequence[str], tool_texts: Sequence[str],
                  style: str = "restate") -> tuple[list[dict], str]:
    """(chat messages, assistant reply prefix); a choice is scored as the text after the prefix."""
    if style not in STYLES:
        raise ValueError(f"unknown prompt style {style!r}; choose from {', '.join(STYLES)}")
    lines = evidence_lines(tool_texts)
    options = "\n".join(f"- {c}" for c in choices)
    ask = f"Question: {question}\nChoices:\n{options}\nAnswer with one of the choices."
    block = "Tool measurements:\n" + "\n".join(f"- {line}" for line in lines)
    prefix = ""
    if style == "restate":
        user = f"Question: {question}"
        prefix = ("The tools measured: " + " ".join(lines) + " So the answer is:") if lines else "The answer is:"
    elif not lines:
        user = ask
    elif style == "evidence_first":
        user = f"{block}\n\n{ask}"
    else:  # evidence_last
        user = f"Question: {question}\nChoices:\n{options}\n\n{block}\n\nUsing the measurements, answer with one of the choices."
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}], prefix


def render_question_check(tool_texts: Sequence[str]) -> tuple[list[dict], str]:
    """(messages, prefix) after which a question is scored as ' "question"': how well the tool
    lines explain being asked it. The contrast rule (smollm2.py) compares this score under the
    measured lines with the same under each tool's alternative lines; the user turn is neutral so
    the question appears only where it is scored."""
    lines = evidence_lines(tool_texts)
    return ([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Describe the clip."}],
            "The tools measured: " + " ".join(lines) + " So, to the question")


AUDIO_PROMPT_VERSION = 1  # part of the LALM reasoners' ids: bump when render_audio_prompt's wording changes
AUDIO_SYSTEM = ("You answer multiple-choice questions about an audio clip. Listen to the clip. Audio analysis "
                "tools may have measured it too; their measurements are exact where they apply.")


def render_audio_prompt(question: str, choices: Sequence[str], tool_texts: Sequence[str]) -> tuple[list[dict], str]:
    """The chat for a reasoner that hears the clip (an LALM): the audio as a content part, then
    the question, the choices and the tool lines; (messages, reply prefix) as render_prompt. The
    answer is scored right after "The answer is:", so no free text has to be parsed."""
    lines = evidence_lines(tool_texts)
    options = "\n".join(f"- {c}" for c in choices)
    text = f"Question: {question}\nChoices:\n{options}"
    if lines:
        text += "\n\nTool measurements:\n" + "\n".join(f"- {line}" for line in lines)
    text += "\n\nAnswer with one of the choices."
    return [{"role": "system", "content": [{"type": "text", "text": AUDIO_SYSTEM}]},
            {"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": text}]}], "The answer is:"
