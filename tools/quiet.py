"""Third-party progress bars kept out of a run's own (tool cache, PPO, evaluation)."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def transformers_bars_off():
    """transformers 5 draws a "Loading weights" bar per model load and a "Writing model shards" bar
    per save. A run loads models in many places (the reasoner in every pool actor, the sentence
    encoder in every env and evaluation, model tools in the tool workers), and each bar broke the
    PPO or evaluation bar it landed in, so they are off while a model loads and as they were
    afterwards."""
    from transformers.utils import logging as transformers_logging

    was_on = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            transformers_logging.enable_progress_bar()
