"""A hostile dataset: a probe benchmark with every kind of bad input added to it.

`audiorouter data hostile --out DIR` writes the probe benchmark to DIR and then, for each split,
one entry per kind of bad input (docs/RELIABILITY.md): files that are not usable audio, audio
that is odd but usable, and manifest entries that break the schema or point outside the folder.
A run over it must score every usable item (the probe's and the odd-but-usable ones), reject
every bad entry with a reason, and finish. `expected.json` says which is which.
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import soundfile as sf

from tools.base import SAMPLE_RATE

# kind -> the words the rejection reason must contain
BAD_AUDIO = {
    "missing_file": "file not found",
    "empty_file": "file is empty",
    "zero_length": "audio has no samples",
    "not_audio": "not readable as audio",
    "truncated_header": "not readable as audio",
    "unsupported_codec": "not readable as audio",
    "two_hours": "over the limit of",
    "nan_samples": "NaN or infinite samples",
    "inf_samples": "NaN or infinite samples",
}
BAD_MANIFEST = {
    "missing_fields": "missing field(s) question",
    "answer_not_in_choices": "is not among the choices",
    "one_choice": "needs at least 2 choices",
    "one_distinct_choice": "needs at least 2 choices",
    "duplicate_id": "duplicate id",
    "question_not_text": "question is empty",
    "parent_path": "escapes the dataset folder",
    "absolute_path": "is absolute",
    "not_an_object": "item is not a JSON object",
}
ODD_BUT_USABLE = ("stereo", "six_channels", "rate_8k", "rate_96k", "silent")
# entries as released benchmarks have them (docs/RELIABILITY.md): scored, never rejected
ODD_MANIFEST = ("repeated_choice", "empty_choice", "symlink_outside")


def write_wav_with_codec_tag(path: str, tag: int) -> str:
    """A well-formed 16-bit RIFF/WAVE file whose fmt chunk names codec `tag`: 1 (PCM) decodes;
    one libsndfile does not know (0x0161, Windows Media Audio) is the "unsupported codec" case."""
    data = b"\x00" * 3200
    fmt = struct.pack("<HHIIHH", tag, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def _write_bad_audio(folder: str, template: np.ndarray) -> dict[str, str]:
    """One file per kind of bad audio under `folder` (ROOT/hostile); kind -> path relative to ROOT."""
    os.makedirs(folder, exist_ok=True)
    paths = {kind: os.path.join(folder, f"{kind}.wav") for kind in BAD_AUDIO}
    open(paths["empty_file"], "wb").close()
    sf.write(paths["zero_length"], np.zeros(0, np.float32), SAMPLE_RATE)
    with open(paths["not_audio"], "wb") as f:
        f.write(b"<html>this is a web page, not a wav file</html>" * 20)
    sf.write(paths["truncated_header"], template, SAMPLE_RATE)
    with open(paths["truncated_header"], "r+b") as f:
        f.truncate(30)  # cut inside the fmt chunk
    write_wav_with_codec_tag(paths["unsupported_codec"], 0x0161)  # Windows Media Audio
    with sf.SoundFile(paths["two_hours"], "w", samplerate=8000, channels=1, subtype="PCM_U8") as f:
        block = np.zeros(8000 * 60, np.float32)  # 8-bit PCM at 8 kHz: 58 MB for two hours
        for _ in range(120):
            f.write(block)
    for kind, value in (("nan_samples", np.nan), ("inf_samples", np.inf)):
        broken = template.copy()
        broken[len(broken) // 2] = value
        sf.write(paths[kind], broken, SAMPLE_RATE, subtype="FLOAT")
    return {kind: f"hostile/{kind}.wav" for kind in BAD_AUDIO}  # missing_file.wav is never written


def _write_odd_audio(folder: str, item: dict, root: str, tag: str) -> dict[str, str]:
    """Usable variants of a good item's clip: kind -> relative path (the item's answer still holds)."""
    import soxr

    samples, rate = sf.read(os.path.join(root, item["audio_id"]), dtype="float32")
    variants = {
        "stereo": (np.stack([samples, samples], axis=1), rate),
        "six_channels": (np.stack([samples] * 6, axis=1), rate),
        "rate_8k": (soxr.resample(samples, rate, 8000), 8000),
        "rate_96k": (soxr.resample(samples, rate, 96000), 96000),
        "silent": (np.zeros(2 * SAMPLE_RATE, np.float32), SAMPLE_RATE),
    }
    out = {}
    for kind, (data, r) in variants.items():
        sf.write(os.path.join(folder, f"{kind}-{tag}.wav"), data, r)
        out[kind] = f"hostile/{kind}-{tag}.wav"
    return out


def add_hostile_entries(root: str, splits: tuple[str, ...] = ("train", "test")) -> dict:
    """Append the bad and odd entries to `root/items.json` (a dataset folder such as the probe's),
    for each split, and write `root/expected.json`:
    {"usable": {split: [ids a run must score]}, "bad": {split: {id: words its rejection reason holds}}}."""
    items_path = os.path.join(root, "items.json")
    with open(items_path, encoding="utf-8") as f:
        items = json.load(f)
    folder = os.path.join(root, "hostile")
    template, _ = sf.read(os.path.join(root, items[0]["audio_id"]), dtype="float32")
    bad_paths = _write_bad_audio(folder, template)
    outside = os.path.join(os.path.dirname(os.path.abspath(root)), "outside-the-dataset.wav")
    sf.write(outside, template, SAMPLE_RATE)
    link = os.path.join(folder, "link_outside.wav")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(outside, link)
    expected: dict = {"usable": {s: [i["id"] for i in items if i.get("split") == s] for s in splits},
                      "bad": {s: {} for s in splits}}
    silent = {"question": "Is anything audible in this clip?", "choices": ["yes", "no"], "answer": "no",
              "task": "silence"}
    for split in splits:
        good = next(i for i in items if i.get("split") == split)
        base = {k: good[k] for k in ("question", "choices", "answer", "task", "expert_tool") if k in good}
        odd_paths = _write_odd_audio(folder, good, root, split)
        for kind in ODD_BUT_USABLE:
            entry_id = f"odd-{kind}-{split}"
            items.append({"id": entry_id, "audio_id": odd_paths[kind], "split": split,
                          **(silent if kind == "silent" else base)})
            expected["usable"][split].append(entry_id)
        for kind, path in bad_paths.items():
            items.append({"id": f"bad-{kind}-{split}", "audio_id": path, "split": split, **base})
            expected["bad"][split][f"bad-{kind}-{split}"] = BAD_AUDIO[kind]
        audio = good["audio_id"]
        manifest = {
            "missing_fields": {"audio_id": audio, "choices": ["a", "b"], "answer": "a"},
            "answer_not_in_choices": {**base, "audio_id": audio, "answer": "none of these"},
            "one_choice": {**base, "audio_id": audio, "choices": [base["answer"]]},
            "one_distinct_choice": {**base, "audio_id": audio, "choices": [base["answer"], " ", base["answer"]]},
            "question_not_text": {**base, "audio_id": audio, "question": {"text": "nested"}},
            "parent_path": {**base, "audio_id": "../" * 3 + "etc/hosts"},
            "absolute_path": {**base, "audio_id": "/etc/hosts"},
        }
        for kind, entry in manifest.items():
            items.append({"id": f"bad-{kind}-{split}", "split": split, **entry})
            expected["bad"][split][f"bad-{kind}-{split}"] = BAD_MANIFEST[kind]
        odd = {  # MMAU's repeated choices, MMAR's empty ones, audio the user linked in from elsewhere
            "repeated_choice": {**base, "audio_id": audio, "choices": base["choices"] + [base["answer"]]},
            "empty_choice": {**base, "audio_id": audio, "choices": base["choices"] + [""]},
            "symlink_outside": {**base, "audio_id": "hostile/link_outside.wav"},
        }
        for kind in ODD_MANIFEST:
            items.append({"id": f"odd-{kind}-{split}", "split": split, **odd[kind]})
            expected["usable"][split].append(f"odd-{kind}-{split}")
        items.append(dict(good))  # the same id again: the first is kept and scored, this one rejected
        expected["bad"][split][good["id"]] = BAD_MANIFEST["duplicate_id"]
    items.append(["not", "an", "object"])  # no split to read: every split's run sees and rejects it
    for split in splits:
        expected["bad"][split][f"#{len(items) - 1}"] = BAD_MANIFEST["not_an_object"]
    with open(items_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(items, f, indent=1)
    os.replace(items_path + ".tmp", items_path)
    with open(os.path.join(root, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1)
    return expected
