"""What the benchmarks' official scorers do with a prediction file, written from their documented
behaviour (the scripts themselves are not vendored): MMAU's `evaluation.py --input FILE` and
MMAR's `code/evaluation.py --input FILE`. Tests run our prediction files through these, so a
key renamed, an entry missing or a file in the wrong form fails as it would for a user.

MMAU: a JSON list; reads `model_output`, skips entries without it, divides by the number of
entries it scored (ZeroDivisionError when none). MMAR: `.jsonl` read line by line, anything
else as one JSON list (by extension, as the script does); reads `answer_prediction`. Both
score with MMAU's string match on the entry's own `answer` and `choices`, and print
"Total Accuracy: X% over N samples".
"""
from __future__ import annotations

import json
import re


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\b\w+\b", text.lower()))


def official_string_match(answer: str, prediction: str, choices: list[str]) -> bool:
    """MMAU's rule, written out again here on purpose (not imported from env/scoring.py) so that
    a test of our scoring against it is not a test of a function against itself."""
    prediction_tokens = _tokens(prediction)
    if not prediction_tokens:
        return False
    answer_tokens = _tokens(answer)
    incorrect = set()
    for choice in choices:
        choice_tokens = _tokens(choice)
        if choice_tokens != answer_tokens:
            incorrect |= choice_tokens - answer_tokens
    return answer_tokens <= prediction_tokens and not (prediction_tokens & incorrect)


def _score(entries: list[dict], key: str) -> tuple[float, int, str]:
    correct = total = 0
    for entry in entries:
        if key not in entry:
            continue  # the script skips an entry without its key
        total += 1
        correct += official_string_match(entry["answer"], entry[key], entry["choices"])
    accuracy = correct / total * 100  # ZeroDivisionError when no entry has the key, as in the script
    return accuracy, total, f"Total Accuracy: {accuracy:.2f}% over {total} samples"


def mmau_evaluate(path: str) -> tuple[float, int, str]:
    with open(path, encoding="utf-8") as f:
        return _score(json.load(f), "model_output")


def mmar_evaluate(path: str) -> tuple[float, int, str]:
    with open(path, encoding="utf-8") as f:
        if path.endswith(".jsonl"):
            entries = [json.loads(line) for line in f if line.strip()]
        else:
            entries = json.load(f)
    return _score(entries, "answer_prediction")
