"""The converted-GGUF model cache (env/reasoners/gguf.py): where it lives, that a converted copy
is the GGUF bit for bit, that later loads never read the GGUF, and that a cache that cannot be
written or a damaged copy never stops a load."""
import json
import os
import types

import pytest

from env.reasoners.gguf import (SOURCE_RECORD, converted_folder, describe_source, load_converted, model_cache_dir,
                                write_converted)


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("AUDIOROUTER_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_dir() == str(tmp_path / "xdg" / "audiorouter" / "models")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert model_cache_dir() == str(tmp_path / "home" / ".cache" / "audiorouter" / "models")
    monkeypatch.setenv("AUDIOROUTER_MODEL_CACHE", str(tmp_path / "mine"))
    assert model_cache_dir() == str(tmp_path / "mine")
    for off in ("off", "0", "OFF"):
        monkeypatch.setenv("AUDIOROUTER_MODEL_CACHE", off)
        assert model_cache_dir() is None
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"x" * 10)
    assert converted_folder(str(gguf)) is None  # cache off: nothing to look up or write


def test_a_copy_is_keyed_by_the_file_as_it_is_now(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIOROUTER_MODEL_CACHE", str(tmp_path / "cache"))
    gguf = tmp_path / "Model.Q4.gguf"
    gguf.write_bytes(b"x" * 10)
    first = converted_folder(str(gguf))
    assert os.path.basename(first).startswith("Model.Q4-") and first == converted_folder(str(gguf))
    gguf.write_bytes(b"y" * 11)  # replaced by another file: another copy
    assert converted_folder(str(gguf)) != first


def test_an_unwritable_cache_warns_and_loading_goes_on(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="not writable"):
        assert write_converted(None, None, str(blocker / "models" / "m")) is False

    def full_disk(folder):
        open(os.path.join(folder, "model.safetensors"), "w").write("half")
        raise OSError(28, "No space left on device")

    model = types.SimpleNamespace(config=types.SimpleNamespace(quantization_config=1), save_pretrained=full_disk)
    with pytest.warns(UserWarning, match="No space left"):
        assert write_converted(model, None, str(tmp_path / "cache" / "m")) is False
    assert os.listdir(tmp_path / "cache") == []  # the half-written staging folder is gone


def test_a_damaged_copy_is_removed_so_it_is_converted_again(tmp_path):
    folder = tmp_path / "m-123"
    assert load_converted(str(folder), "float32") is None  # no copy yet
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.warns(UserWarning, match="does not load"):
        assert load_converted(str(folder), "float32") is None
    assert not folder.exists()


def test_writing_a_copy_removes_the_copies_nothing_can_load_again(tmp_path):
    """A reinstalled wheel is the same path with a new modification time, a deleted venv is a path
    that is gone: their copies go when a copy is written. A copy of a file as it still is stays
    (another transformers version converted it), and so do folders that are not copies."""
    gguf, gone, cache = tmp_path / "m.gguf", tmp_path / "gone.gguf", tmp_path / "cache"
    gguf.write_bytes(b"x" * 10)
    gone.write_bytes(b"x" * 10)

    def copy(name, source):
        (cache / name).mkdir(parents=True)
        (cache / name / SOURCE_RECORD).write_text(json.dumps(source))

    copy("m-current", describe_source(str(gguf)))  # another transformers version's copy of it
    copy("gone-1", describe_source(str(gone)))
    copy("m-reinstalled", {**describe_source(str(gguf)), "mtime_ns": 1})
    (cache / ".m-reinstalled.lock").write_text("")  # its conversion lock goes with it
    (cache / "not-a-copy").mkdir()
    (cache / ".converting-x").mkdir()  # another process writing its copy
    gone.unlink()

    def save_pretrained(folder):
        open(os.path.join(folder, "model.safetensors"), "w").write("weights")

    model = types.SimpleNamespace(config=types.SimpleNamespace(), save_pretrained=save_pretrained)
    tokenizer = types.SimpleNamespace(save_pretrained=lambda folder: None)
    assert write_converted(model, tokenizer, str(cache / "m-new"), describe_source(str(gguf))) is True
    assert sorted(os.listdir(cache)) == [".converting-x", "m-current", "m-new", "not-a-copy"]
    assert json.loads((cache / "m-new" / SOURCE_RECORD).read_text()) == describe_source(str(gguf))


def test_processes_that_start_together_convert_once(monkeypatch, tmp_path):
    """While one process converts (holding the lock), another waits for it and then reads its copy
    instead of reading the GGUF beside it (flock also excludes a second open in this process)."""
    import threading

    from env.reasoners import gguf

    monkeypatch.setenv("AUDIOROUTER_MODEL_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "m.gguf"
    path.write_bytes(b"x" * 10)
    folder = converted_folder(str(path))

    def read_gguf(gguf_path):
        raise AssertionError("converted the GGUF beside the process converting it")

    def copy_if_there(folder, dtype):
        return ("tokenizer", "model") if os.path.isfile(os.path.join(folder, "model.safetensors")) else None

    monkeypatch.setattr(gguf, "read_gguf", read_gguf)
    monkeypatch.setattr(gguf, "load_converted", copy_if_there)
    loaded = []
    with gguf.conversion_lock(folder):  # this process is converting
        waiter = threading.Thread(target=lambda: loaded.append(gguf.load_gguf(str(path))))
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive() and not loaded  # it waits rather than converting too
        os.makedirs(folder)
        open(os.path.join(folder, "model.safetensors"), "w").write("weights")
    waiter.join(timeout=10)
    assert loaded == [("tokenizer", "model")]


def test_a_conversion_on_a_cpu_machine_does_not_warn_about_a_gpu(monkeypatch, tmp_path):
    """save_pretrained imports deepspeed (accelerate's unwrap_model), whose import warned "Setting
    accelerator to CPU. If you have GPU ..." beside the reasoner's first conversion. The conversion
    saves with deepspeed's guess named; the same import in two fresh processes, named and bare: the
    bare one shows the warning is real, the named one picks the same accelerator without it and
    leaves the environment as it was."""
    import subprocess
    import sys

    import torch

    monkeypatch.delitem(sys.modules, "deepspeed", raising=False)  # as in a process that converts
    monkeypatch.delenv("DS_ACCELERATOR", raising=False)
    named = []
    model = types.SimpleNamespace(config=types.SimpleNamespace(),
                                  save_pretrained=lambda _: named.append(os.environ.get("DS_ACCELERATOR")))
    assert write_converted(model, types.SimpleNamespace(save_pretrained=lambda _: None), str(tmp_path / "copy"))
    assert named == [None if torch.cuda.is_available() else "cpu"] and "DS_ACCELERATOR" not in os.environ

    probe = ("import os, contextlib\n"
             "from tools.quiet import deepspeed_cpu_guess_quiet\n"
             "with {}:\n"
             "    import deepspeed\n"
             "from deepspeed.accelerator import get_accelerator\n"
             "print(get_accelerator().device_name(), os.environ.get('DS_ACCELERATOR'))\n")
    env = {k: v for k, v in os.environ.items() if k != "DS_ACCELERATOR"}
    runs = {how: subprocess.Popen([sys.executable, "-c", probe.format(how)], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for how in ("deepspeed_cpu_guess_quiet()", "contextlib.nullcontext()")}
    quiet, bare = (runs[how].communicate(timeout=120)[0] for how in runs)
    assert "Setting accelerator to CPU" in bare and bare.strip().endswith("cpu None"), bare
    assert "Setting accelerator" not in quiet and quiet.strip().endswith("cpu None"), quiet


@pytest.mark.slow
def test_the_converted_copy_is_the_gguf_bit_for_bit_and_later_loads_skip_the_gguf(monkeypatch, tmp_path, capfd):
    import torch
    from transformers import modeling_gguf_pytorch_utils
    from transformers.utils import logging as transformers_logging

    from env.reasoners.gguf import load_gguf
    from env.reasoners.smollm2 import packaged_smollm2_gguf

    monkeypatch.setenv("AUDIOROUTER_MODEL_CACHE", str(tmp_path / "cache"))
    path = packaged_smollm2_gguf()
    tok_gguf, model_gguf = load_gguf(path)  # reads the GGUF, writes the copy
    assert "Writing model shards" not in capfd.readouterr().err
    folder = converted_folder(path)
    copies = [name for name in os.listdir(tmp_path / "cache") if not name.endswith(".lock")]
    assert copies == [os.path.basename(folder)]  # no staging left
    assert os.path.isfile(os.path.join(folder, SOURCE_RECORD))

    def no_gguf(*args, **kwargs):
        raise AssertionError("the GGUF was read although a converted copy exists")

    monkeypatch.setattr(modeling_gguf_pytorch_utils, "load_gguf_checkpoint", no_gguf)
    assert transformers_logging.is_progress_bar_enabled()
    tok_copy, model_copy = load_gguf(path)
    # no transformers bars between a run's own, and the setting is as it was
    assert "Loading weights" not in capfd.readouterr().err and transformers_logging.is_progress_bar_enabled()
    gguf_weights, copy_weights = model_gguf.state_dict(), model_copy.state_dict()
    assert gguf_weights.keys() == copy_weights.keys()
    assert all(torch.equal(gguf_weights[k], copy_weights[k]) for k in gguf_weights)
    assert model_copy.lm_head.weight.data_ptr() == model_copy.model.embed_tokens.weight.data_ptr()  # still tied
    assert tok_gguf.get_vocab() == tok_copy.get_vocab() and tok_gguf.all_special_ids == tok_copy.all_special_ids
    chat = [{"role": "user", "content": "Is the second tone higher or lower?"}]
    prompt = tok_gguf.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert prompt == tok_copy.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    ids = torch.tensor([tok_gguf.encode(prompt + "higher", add_special_tokens=False)])
    assert ids.tolist() == [tok_copy.encode(prompt + "higher", add_special_tokens=False)]
    with torch.inference_mode():
        assert torch.equal(model_gguf(ids).logits, model_copy(ids).logits)
    # bfloat16 from the copy is the float32 GGUF rounded, as transformers rounds it reading the GGUF
    _, model_bf16 = load_gguf(path, "bfloat16")
    assert all(torch.equal(w.to(torch.bfloat16), model_bf16.state_dict()[k]) for k, w in gguf_weights.items())
    # a second writer (another pool replica that converted at the same time) finds the copy there
    assert write_converted(model_gguf, tok_gguf, folder) is True
    name = os.path.basename(folder)
    assert sorted(os.listdir(tmp_path / "cache")) == sorted([name, f".{name}.lock"])
