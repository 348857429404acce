"""Third-party progress bars and misleading notices kept out of a run's own output (tool cache, PPO,
evaluation)."""
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


@contextlib.contextmanager
def deepspeed_cpu_guess_quiet():
    """Every `save_pretrained` goes through accelerate's `unwrap_model`, which imports deepspeed
    where it is installed (it is, for `engine: deepspeed`), and deepspeed's import guesses its
    accelerator: on a machine without CUDA it warns "Setting accelerator to CPU. If you have GPU or
    other accelerator, we were unable to detect it." beside the reasoner's first conversion, where
    no deepspeed runs. Where torch sees no CUDA device, `DS_ACCELERATOR=cpu` names the choice that
    guess makes anyway, so the import makes it without the warning; with a GPU, a choice already
    named, or deepspeed already imported, nothing changes. The variable is as it was afterwards."""
    import os
    import sys

    import torch

    name_it = ("deepspeed" not in sys.modules and "DS_ACCELERATOR" not in os.environ
               and not torch.cuda.is_available())
    if name_it:
        os.environ["DS_ACCELERATOR"] = "cpu"
    try:
        yield
    finally:
        if name_it:
            os.environ.pop("DS_ACCELERATOR", None)
