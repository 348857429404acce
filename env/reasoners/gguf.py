"""Loading a GGUF checkpoint as a transformers tokenizer and model, converted once per machine.

transformers reads a GGUF file in ~22 s on this CPU for a 98 MB SmolLM2: its gguf reader parses
the 49k-token vocabulary three times (config, weights, tokenizer) and dequantizes every tensor.
Every process that reasons (an eval, a Ray pool actor, a restarted actor, a job's driver, a test's
subprocess) paid that. The first load now also writes the converted model (float32 safetensors,
tokenizer.json, chat template) to the model cache, and every later load on the machine reads that
in ~0.3 s. The copy is bit-identical: the same weights in every dtype, the same vocabulary,
special tokens and chat template (tests/test_gguf.py), so answers and their cache keys do not
change. Where the cache cannot be written (read-only home, full disk) loading goes on from the GGUF
with a warning. Processes that start together (a pool's replicas) convert once: the first
converts under a file lock while the others wait, then read its copy.

The cache is `$AUDIOROUTER_MODEL_CACHE`, else `$XDG_CACHE_HOME/audiorouter/models`, else
`~/.cache/audiorouter/models`; `AUDIOROUTER_MODEL_CACHE=off` turns it off. A converted copy is keyed
by the file's name, size and modification time and the transformers version that converted it.
Reinstalling the wheel (a rebuilt venv) gives the file a new modification time, so each copy also
records the file it came from (source.json), and writing a copy removes the copies whose file is
gone or has changed since: nothing can load them again, and each is half a gigabyte.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings

from tools.cache import file_lock
from tools.quiet import deepspeed_cpu_guess_quiet, transformers_bars_off

OFF = ("off", "0", "false", "none")
SOURCE_RECORD = "source.json"


def model_cache_dir() -> str | None:
    """Where converted models live, or None when the cache is turned off."""
    chosen = os.environ.get("AUDIOROUTER_MODEL_CACHE", "").strip()
    if chosen.lower() in OFF:
        return None
    if chosen:
        return os.path.abspath(os.path.expanduser(chosen))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "audiorouter", "models")


def converted_folder(gguf_path: str) -> str | None:
    """The cache folder for this GGUF file as it is now (None with the cache off)."""
    import transformers

    root = model_cache_dir()
    if root is None:
        return None
    source = describe_source(gguf_path)
    stem = os.path.splitext(os.path.basename(gguf_path))[0]
    key = f"{os.path.basename(gguf_path)}:{source['size']}:{source['mtime_ns']}:{transformers.__version__}"
    return os.path.join(root, f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}")


def describe_source(gguf_path: str) -> dict:
    """The GGUF file as it is now: where it is, its size and modification time."""
    stat = os.stat(gguf_path)
    return {"path": os.path.realpath(gguf_path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def prune_stale_copies(root: str) -> list[str]:
    """Remove the copies in `root` whose GGUF file is gone or is no longer the file they were
    converted from; returns the folders removed. Folders without a source record (not ours, or
    being written: staging folders start with a dot) are left alone."""
    removed = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        folder = os.path.join(root, name)
        try:
            with open(os.path.join(folder, SOURCE_RECORD)) as f:
                recorded = json.load(f)
            path = recorded["path"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        try:
            current = describe_source(path)
        except OSError:
            current = None
        if current != recorded:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):  # nobody waits on it: nothing can load this copy again
                os.remove(os.path.join(root, f".{name}.lock"))
            removed.append(folder)
    return removed


def silence_gguf_progress_bar() -> None:
    """transformers draws a plain tqdm bar per GGUF load that no setting turns off; it would
    interleave with our own bars, so it is disabled at its one call site if it is there."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    if hasattr(gguf_utils, "tqdm") and not isinstance(gguf_utils.tqdm, functools.partial):
        gguf_utils.tqdm = functools.partial(gguf_utils.tqdm, disable=True)


def write_converted(model, tokenizer, folder: str, source: dict | None = None) -> bool:
    """Save a model read from a GGUF (float32) and its tokenizer as `folder`, atomically: written
    to a temporary sibling and renamed, so a concurrent loader (two pool replicas starting at once)
    sees either nothing or the whole copy. `source` (describe_source of the GGUF) is recorded with
    it, and once it is written the copies of files that are gone or changed are removed. True when
    `folder` holds a copy afterwards."""
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".converting-", dir=os.path.dirname(folder))
    except OSError as err:
        warnings.warn(f"model cache {os.path.dirname(folder)} is not writable ({err}); the GGUF is "
                      "converted again by every process (~20 s each)", stacklevel=2)
        return False
    try:
        # the loaded model is plain float tensors; only the GGUF marker stops save_pretrained
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        with deepspeed_cpu_guess_quiet():
            model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if source is not None:
            with open(os.path.join(staging, SOURCE_RECORD), "w") as f:
                json.dump(source, f)
        os.rename(staging, folder)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        if os.path.isdir(folder):  # another process finished first: its copy is the same
            return True
        warnings.warn(f"could not write the converted model to {folder} ({err}); the GGUF is "
                      "converted again by every process (~20 s each)", stacklevel=2)
        return False
    prune_stale_copies(os.path.dirname(folder))
    return True


def load_converted(folder: str, dtype: str):
    """(tokenizer, model) from a converted copy, or None when there is none or it does not load
    (a disk that filled up mid-copy elsewhere): a damaged copy is removed so it is converted again."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not os.path.isfile(os.path.join(folder, "model.safetensors")):
        return None
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype))
    except Exception as err:
        warnings.warn(f"the converted model in {folder} does not load ({err}); converting the GGUF again",
                      stacklevel=2)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return tokenizer, model.eval()


def read_gguf(gguf_path: str):
    """(tokenizer, float32 model) read from the GGUF file itself (~22 s here). float32 because the
    copy must serve every dtype, and float32 -> bfloat16 afterwards is the same rounding
    transformers does when it reads the GGUF as bfloat16 directly."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    silence_gguf_progress_bar()
    gguf_folder, name = os.path.dirname(gguf_path), os.path.basename(gguf_path)
    tokenizer = AutoTokenizer.from_pretrained(gguf_folder, gguf_file=name)
    return tokenizer, AutoModelForCausalLM.from_pretrained(gguf_folder, gguf_file=name, dtype=torch.float32)


def conversion_lock(folder: str):
    """The lock that makes the processes that start together (a pool's replicas, an eval's workers)
    convert once: the first converts and writes, the others wait ~22 s and read its copy rather
    than each converting beside it on the same cores. No lock where the cache cannot be written."""
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        lock_path = os.path.join(os.path.dirname(folder), f".{os.path.basename(folder)}.lock")
        open(lock_path, "a").close()
    except OSError:
        return contextlib.nullcontext()
    return file_lock(lock_path)


def load_gguf(gguf_path: str, dtype: str = "float32"):
    """(tokenizer, model in eval mode on the CPU, in `dtype`) for a GGUF file: from the converted
    copy when there is one, else from the GGUF, writing the copy for the next process."""
    import torch
    import transformers

    transformers.logging.set_verbosity_error()  # GGUF conversion is chatty
    folder = converted_folder(gguf_path)
    with transformers_bars_off():
        if folder is None:
            tokenizer, model = read_gguf(gguf_path)
        else:
            loaded = load_converted(folder, dtype)
            if loaded:
                return loaded
            with conversion_lock(folder):  # held while converting, not while reading a copy
                waited_for_a_copy = os.path.isfile(os.path.join(folder, "model.safetensors"))
                if not waited_for_a_copy:
                    tokenizer, model = read_gguf(gguf_path)
                    write_converted(model, tokenizer, folder, describe_source(gguf_path))
            if waited_for_a_copy:
                loaded = load_converted(folder, dtype)
                if loaded:
                    return loaded
                tokenizer, model = read_gguf(gguf_path)  # that copy was damaged (and is removed now)
    return tokenizer, model.to(getattr(torch, dtype)).eval()
