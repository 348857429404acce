"""The probe benchmark: fine-grained perception questions with exact ground truth.

Every item is synthesized, so its answer is known exactly. Two versions, both reproducible:

- v1 (this module's `task_*`): ten families - how many beeps, which way the pitch moves, which
  note, the click-track tempo, the clip's length, the loudness trend, which phrase is spoken
  (espeak-ng), a male or female voice, how many speech segments, speech or tone first - in a
  few wordings each, with choices in the tools' words, in white or pink noise.
- v2 (eval/probe_v2.py): the same ten and four more, with many wordings, yes/no forms,
  paraphrased choices and varied signals (drum loops, music beds, babble, timbres, rooms).

All of it is drawn from a generator seeded by (seed, index), so the same arguments write the
same files. Items are written in MMAU test-mini's schema (`items.json` + `audio/`), plus
`expert_tool`: the tool that measures what the question asks (the `expert` baseline), and a
`probe.json` with the arguments. Held-out families or signal kinds go to the `holdout` split.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import soundfile as sf
from eval.probe_signals import FEMALE_VOICES, MALE_VOICES, SR, add_noise as _add_noise, noise as _noise
from eval.probe_signals import silence as _silence, speak as _speak, tone
from tools.errors import SetupError

NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
PHRASES = [
    "open the door", "turn on the light", "call my mother", "the cat is sleeping",
    "close the window", "play some music", "it is raining today", "where is the train",
    "good morning everyone", "the water is cold", "please sit down", "bring me the book",
    "the car is red", "we need more time", "the dog ran away", "see you tomorrow",
]


@dataclass
class Synth:
    """One synthesized item before it gets an id and a file."""

    audio: np.ndarray
    question: str
    choices: list[str]
    answer: str
    category: str  # MMAU's domain: sound | music | speech
    sub_category: str
    expert_tool: str


# ---------------------------------------------------------------- signal helpers (v1's names)

def _tone(freq: float, seconds: float, rng: np.random.Generator, harmonics: bool = False) -> np.ndarray:
    return tone(freq, seconds, rng, "harmonic" if harmonics else "sine")


def _number_choices(answer: int, lo: int, hi: int, rng: np.random.Generator, k: int = 4) -> list[str]:
    pool = [v for v in range(lo, hi + 1) if v != answer]
    picked = [answer] + list(rng.choice(pool, size=k - 1, replace=False))
    return [str(int(v)) for v in picked]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


# ---------------------------------------------------------------- task families

def task_count(rng) -> Synth:
    n = int(rng.integers(2, 7))
    parts = [_silence(rng.uniform(0.2, 0.5))]
    freq = rng.uniform(500, 1500)
    for _ in range(n):
        parts += [_tone(freq, rng.uniform(0.1, 0.25), rng) * rng.uniform(0.6, 1.0),
                  _silence(rng.uniform(0.2, 0.45))]
    q = _pick(rng, ["How many beeps are there in the recording?", "How many separate tones can you hear?",
                    "Count the beeps. How many are there?", "How many times does the beep sound?"])
    return Synth(np.concatenate(parts), q, _number_choices(n, 1, 8, rng), str(n), "sound",
                 "event counting", "events")


def task_pitch_compare(rng) -> Synth:
    f1 = 2 ** rng.uniform(np.log2(250), np.log2(900))
    direction = _pick(rng, ["higher", "lower"])
    step = rng.uniform(3, 8) * (1 if direction == "higher" else -1)
    f2 = f1 * 2 ** (step / 12)
    audio = np.concatenate([_silence(0.2), _tone(f1, rng.uniform(0.4, 0.7), rng), _silence(rng.uniform(0.2, 0.4)),
                            _tone(f2, rng.uniform(0.4, 0.7), rng), _silence(0.2)])
    q = _pick(rng, ["Is the second tone higher or lower than the first?",
                    "Compared with the first tone, is the second one higher or lower in pitch?",
                    "Does the pitch go higher or lower from the first tone to the second?"])
    return Synth(audio, q, ["higher", "lower"], direction, "music", "pitch comparison", "pitch")


def task_note(rng) -> Synth:
    midi_pool = list(range(60, 72))  # C4..B4
    midi = int(rng.choice(midi_pool))
    name = lambda m: f"{NOTE_NAMES[m % 12]}{m // 12 - 1}"  # noqa: E731
    others = rng.choice([m for m in midi_pool if m != midi], size=3, replace=False)
    hz = 440.0 * 2 ** ((midi - 69) / 12)
    audio = np.concatenate([_silence(0.2), _tone(hz, rng.uniform(0.8, 1.5), rng, harmonics=True), _silence(0.2)])
    q = _pick(rng, ["Which musical note is played?", "What note does the instrument play?",
                    "Which note is this tone?"])
    return Synth(audio, q, [name(midi)] + [name(int(m)) for m in others], name(midi), "music",
                 "note identification", "pitch")


def task_tempo(rng) -> Synth:
    bpm_pool = [60, 75, 90, 105, 120, 135, 150, 165, 180]
    bpm = int(rng.choice(bpm_pool))
    period = 60.0 / bpm
    seconds = rng.uniform(4.0, 6.0)
    audio = _silence(seconds)
    click = _tone(rng.uniform(1000, 2500), 0.03, rng)
    start = rng.uniform(0.05, 0.3)
    for t in np.arange(start, seconds - 0.05, period):
        i = int(t * SR)
        audio[i: i + len(click)] += click[: len(audio) - i]
    q = _pick(rng, ["What is the tempo of this click track?", "How fast is the beat, in beats per minute?",
                    "At what tempo do the clicks play?"])
    others = rng.choice([b for b in bpm_pool if b != bpm], size=3, replace=False)
    return Synth(audio, q, [f"{bpm} BPM"] + [f"{int(b)} BPM" for b in others], f"{bpm} BPM", "music",
                 "tempo", "tempo")


def task_duration(rng) -> Synth:
    seconds = int(rng.integers(1, 11))
    kind = _pick(rng, ["tone", "noise"])
    body = (_tone(rng.uniform(200, 1000), seconds, rng) if kind == "tone"
            else 0.5 * _noise(seconds * SR, "pink", rng) / 4)
    q = _pick(rng, ["How long is this audio clip?", "What is the duration of the recording?",
                    "How many seconds does the clip last?"])
    others = _number_choices(seconds, 1, 12, rng)[1:]
    label = lambda n: "1 second" if int(n) == 1 else f"{int(n)} seconds"  # noqa: E731
    return Synth(body.astype(np.float32), q, [label(seconds)] + [label(o) for o in others],
                 label(seconds), "sound", "duration", "duration")


def task_loudness(rng) -> Synth:
    direction = _pick(rng, ["louder", "quieter"])
    seconds = rng.uniform(2.0, 4.0)
    span = rng.uniform(15, 30)
    body = (_tone(rng.uniform(200, 1000), seconds, rng) if rng.random() < 0.5
            else _noise(int(seconds * SR), "white", rng) / 4)
    db = np.linspace(-span, 0, len(body)) if direction == "louder" else np.linspace(0, -span, len(body))
    q = _pick(rng, ["Does the sound get louder or quieter over time?",
                    "Over the clip, does the volume get louder or quieter?",
                    "Is the sound getting louder or quieter?"])
    return Synth((body * 10 ** (db / 20)).astype(np.float32), q, ["louder", "quieter"], direction, "sound",
                 "loudness trend", "loudness")


def task_phrase(rng) -> Synth:
    idx = rng.choice(len(PHRASES), size=4, replace=False)
    choices = [PHRASES[i] for i in idx]
    voice = _pick(rng, MALE_VOICES + FEMALE_VOICES)
    speech = _speak(choices[0], voice, int(rng.integers(130, 180)))
    audio = np.concatenate([_silence(rng.uniform(0.2, 0.6)), speech, _silence(rng.uniform(0.2, 0.6))])
    q = _pick(rng, ["Which phrase is spoken?", "What does the speaker say?", "Which of these sentences is said?"])
    return Synth(audio, q, choices, choices[0], "speech", "phrase recognition", "phrase_spot")


def task_gender(rng) -> Synth:
    gender = _pick(rng, ["male", "female"])
    voice = _pick(rng, MALE_VOICES if gender == "male" else FEMALE_VOICES)
    speech = _speak(_pick(rng, PHRASES), voice, int(rng.integers(130, 180)))
    audio = np.concatenate([_silence(0.3), speech, _silence(0.3)])
    q = _pick(rng, ["Is the speaker male or female?", "Is this a male or a female voice?",
                    "What is the gender of the speaker?"])
    return Synth(audio, q, ["male", "female"], gender, "speech", "speaker gender", "voice")


def task_speech_count(rng) -> Synth:
    n = int(rng.integers(1, 5))
    voice = _pick(rng, MALE_VOICES + FEMALE_VOICES)
    parts = [_silence(rng.uniform(0.2, 0.5))]
    for _ in range(n):
        parts += [_speak(_pick(rng, PHRASES), voice, int(rng.integers(140, 180))),
                  _silence(rng.uniform(0.8, 1.4))]
    q = _pick(rng, ["How many separate speech segments are there?",
                    "How many times does someone speak, with pauses in between?",
                    "How many separate utterances can you hear?"])
    return Synth(np.concatenate(parts), q, _number_choices(n, 1, 6, rng), str(n), "speech",
                 "speech segment counting", "vad")


def task_order(rng) -> Synth:
    first = _pick(rng, ["speech", "tone"])
    speech = _speak(_pick(rng, PHRASES), _pick(rng, MALE_VOICES + FEMALE_VOICES), int(rng.integers(140, 180)))
    tone = _tone(rng.uniform(400, 1200), rng.uniform(0.5, 1.0), rng)
    pair = [speech, tone] if first == "speech" else [tone, speech]
    audio = np.concatenate([_silence(0.3), pair[0], _silence(rng.uniform(0.4, 0.8)), pair[1], _silence(0.3)])
    q = _pick(rng, ["What comes first, the speech or the tone?", "Which is heard first: speech or a tone?",
                    "Does the clip start with speech or with a tone?"])
    return Synth(audio, q, ["speech", "tone"], first, "speech", "event order", "vad")


TASKS: dict[str, Callable[[np.random.Generator], Synth]] = {
    "count": task_count, "pitch_compare": task_pitch_compare, "note": task_note, "tempo": task_tempo,
    "duration": task_duration, "loudness": task_loudness, "phrase": task_phrase, "gender": task_gender,
    "speech_count": task_speech_count, "order": task_order,
}


def split_of(item_id: str) -> str:
    """Stable 60/20/20 split from a hash of the id (independent of generation order)."""
    bucket = int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 10
    return "train" if bucket < 6 else "validation" if bucket < 8 else "test"


HOLDOUT_SPLIT = "holdout"  # items of held-out families or signal kinds: never trained or validated on
VERSIONS = (1, 2)


def _difficulty(snr: float) -> str:
    return "easy" if snr >= 20 else "medium" if snr >= 12 else "hard"


def make_item(index: int, seed: int) -> tuple[dict, np.ndarray]:
    """Item `index` of the v1 benchmark with `seed`: families rotate so every family is equally common."""
    rng = np.random.default_rng([seed, index])
    task = list(TASKS)[index % len(TASKS)]
    synth = TASKS[task](rng)
    snr = float(rng.uniform(5, 30))
    audio = _add_noise(synth.audio, snr, rng)
    order = rng.permutation(len(synth.choices))
    item_id = f"probe-s{seed}-{index:05d}"
    item = {
        "id": item_id,
        "audio_id": f"./audio/{item_id}.wav",
        "question": synth.question,
        "choices": [synth.choices[i] for i in order],
        "answer": synth.answer,
        "dataset": "probe",
        "task": task,
        "split": split_of(item_id),
        "category": synth.category,
        "sub-category": synth.sub_category,
        "difficulty": _difficulty(snr),
        "snr_db": round(snr, 2),
        "expert_tool": synth.expert_tool,
    }
    return item, audio


def make_item_v2(index: int, seed: int) -> tuple[dict, np.ndarray]:
    """Item `index` of probe v2 (eval/probe_v2.py) with `seed`; families rotate as in v1."""
    from eval.probe_v2 import FAMILIES, background

    rng = np.random.default_rng([seed, 2, index])  # 2: v2 never draws v1's numbers for the same index
    family = list(FAMILIES)[index % len(FAMILIES)]
    q = FAMILIES[family](rng)
    audio, snr, noise_kind = background(q.audio, rng)
    order = rng.permutation(len(q.choices))
    item_id = f"probe2-s{seed}-{index:05d}"
    item = {
        "id": item_id, "audio_id": f"./audio/{item_id}.wav", "question": q.question,
        "choices": [q.choices[i] for i in order], "answer": q.answer, "dataset": "probe-v2", "task": family,
        "split": split_of(item_id), "category": q.category, "sub-category": q.sub_category,
        "difficulty": _difficulty(snr), "snr_db": round(snr, 2), "expert_tool": q.expert_tool,
        "form": q.form, "signal": q.signal, "background": noise_kind, "seconds": round(len(audio) / SR, 2),
    }
    return item, audio


def hold_out(item: dict, families: Sequence[str] = (), signals: Sequence[str] = ()) -> dict:
    """An item of a held-out family or signal kind moves to the `holdout` split (its hash split
    kept as `family_split`), so training and validation never see it and eval reports it apart."""
    if item["task"] in families or item.get("signal") in signals:
        return {**item, "split": HOLDOUT_SPLIT, "family_split": item["split"]}
    return item


def check_holdout(version: int, families: Sequence[str], signals: Sequence[str]) -> None:
    from eval.probe_v2 import FAMILIES

    known = FAMILIES if version == 2 else TASKS
    unknown = [f for f in families if f not in known]
    if unknown:
        raise ValueError(f"unknown family {unknown} to hold out; probe v{version} has {sorted(known)}")
    if signals and version != 2:
        raise ValueError("holding out signal kinds needs probe version 2 (v1 items carry no signal kind)")


def generate(out_dir: str, n: int, seed: int, progress: bool = True, version: int = 1,
             holdout_families: Sequence[str] = (), holdout_signals: Sequence[str] = ()) -> list[dict]:
    """Write `out_dir/items.json`, `out_dir/audio/*.wav` and `out_dir/probe.json` (the arguments,
    so a later run can tell whether the folder is what its config asks); returns the items.
    `version` 1 is the original ten-family generator, unchanged; 2 is eval/probe_v2.py."""
    if n < 1:
        raise ValueError("--n must be at least 1")
    if version not in VERSIONS:
        raise ValueError(f"probe version {version}: one of {VERSIONS}")
    check_holdout(version, holdout_families, holdout_signals)
    if shutil.which("espeak-ng") is None:
        raise SetupError("espeak-ng is not installed (apt-get install espeak-ng); the speech tasks need it")
    from tqdm import tqdm

    make = make_item if version == 1 else make_item_v2
    os.makedirs(os.path.join(out_dir, "audio"), exist_ok=True)
    items = []
    for index in tqdm(range(n), desc="probe items", unit="item", disable=not progress):
        item, audio = make(index, seed)
        sf.write(os.path.join(out_dir, item["audio_id"]), audio, SR, subtype="PCM_16")
        items.append(hold_out(item, holdout_families, holdout_signals))
    _write_json(os.path.join(out_dir, "items.json"), items)
    _write_json(os.path.join(out_dir, "probe.json"), _meta(n, seed, version, holdout_families, holdout_signals))
    return items


def _meta(n, seed, version, families, signals) -> dict:
    return {"n": int(n), "seed": int(seed), "version": int(version), "holdout_families": sorted(families),
            "holdout_signals": sorted(signals)}


def _write_json(path: str, value) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1)
    os.replace(path + ".tmp", path)


def ensure_probe(data: dict, progress: bool = True) -> str:
    """The probe benchmark config section `data` describes (`out`, `n`, `seed`, `version`,
    `holdout_families`, `holdout_signals`), generated unless a complete copy made with the same
    arguments is already there. Returns its folder."""
    folder = data["out"]
    want = _meta(data["n"], data["seed"], data.get("version", 1), data.get("holdout_families") or (),
                 data.get("holdout_signals") or ())
    meta_file, items_file = os.path.join(folder, "probe.json"), os.path.join(folder, "items.json")
    have, existing = None, []
    if os.path.exists(meta_file) and os.path.exists(items_file):
        with open(meta_file) as f:
            have = json.load(f)
        with open(items_file) as f:
            existing = json.load(f)
    complete = len(existing) == want["n"] and all(os.path.exists(os.path.join(folder, i["audio_id"])) for i in existing)
    if have != want or not complete:
        print(f"generating the probe benchmark v{want['version']}: {want['n']} items, seed {want['seed']} -> {folder}")
        generate(folder, want["n"], want["seed"], progress=progress, version=want["version"],
                 holdout_families=want["holdout_families"], holdout_signals=want["holdout_signals"])
    return folder
