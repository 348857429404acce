"""MMAU test-mini and MMAR manifests in their released schemas, at their released size, with their
quirks, over stand-in audio: to run the real-benchmark path end to end where the real audio is
not reachable.

    python benchmarks/standin_benchmarks.py --out DIR [--n 1000] [--seconds 1.0]

Writes DIR/mmau/mmau-test-mini.json (a JSON list, `split: test-mini`; 27 items with a repeated
choice; 948/27/24/1 items with 4/2/5/8 choices; `test-mini-audios` a link to DIR/storage, as
audio on shared storage is kept) and DIR/mmar/MMAR-meta.jsonl (JSON Lines; 4 items with an
empty choice; languages en, zh, ja, zh|en and null; the MMAR-Rubrics fields). The questions
and choices are invented, the counts and the shapes are the benchmarks'; each clip is a short
seeded tone, so nothing about accuracy can be read from a run on them, only that every item
is loaded, scored and written back.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import uuid

import numpy as np
import soundfile as sf

SR = 16000
MMAU_TASKS = ["sound", "music", "speech"]
MMAR_MODALITIES = ["sound", "music", "speech", "mix-sound-music", "mix-sound-speech", "mix-music-speech",
                   "mix-sound-music-speech"]
WORDS = ["one", "two", "three", "zero", "a dog barking", "rain", "a violin", "happy", "sad", "angry", "piano",
         "drums", "male", "female", "the first", "the second", "faster", "slower"]


def _clip(path: str, freq: float, seconds: float) -> None:
    t = np.arange(int(seconds * SR)) / SR
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR)


def _choices(rng: np.random.Generator, k: int) -> list[str]:
    return [str(c) for c in rng.choice(WORDS, size=k, replace=False)]


def mmau(folder: str, storage: str, n: int, seconds: float, rng: np.random.Generator) -> str:
    os.makedirs(folder, exist_ok=True)
    os.makedirs(storage, exist_ok=True)
    link = os.path.join(folder, "test-mini-audios")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(storage), link)
    sizes = [4] * n
    for k in range(min(27, n)):
        sizes[k * 37 % n] = 2
    for k in range(min(24, n)):
        sizes[(k * 41 + 5) % n] = 5
    sizes[n // 2] = 8
    repeated = {k for k in range(n) if sizes[k] >= 4}  # as released: among four or five choices
    repeated = set(sorted(repeated, key=lambda k: (k * 29 + 11) % n)[:27])
    items = []
    for k in range(n):
        uid = str(uuid.UUID(int=int(rng.integers(2**62)) << 64 | k))
        choices = _choices(rng, sizes[k])
        if k in repeated:  # as released: a choice repeated in place of another
            choices[-1] = choices[0]
        _clip(os.path.join(storage, f"{uid}.wav"), 200 + 5 * (k % 150), seconds)
        items.append({"id": uid, "audio_id": f"./test-mini-audios/{uid}.wav", "question": f"Question {k}?",
                      "choices": choices, "answer": choices[int(rng.integers(len(set(choices))))],
                      "dataset": "stand-in", "task": MMAU_TASKS[k % 3], "split": "test-mini",
                      "category": "Stand-in", "sub-category": f"sub-{k % 27}",
                      "difficulty": ["easy", "medium", "hard"][k % 3]})
    path = os.path.join(folder, "mmau-test-mini.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(items, f, indent=4, ensure_ascii=False)
    return path


def mmar(folder: str, n: int, seconds: float, rng: np.random.Generator) -> str:
    os.makedirs(os.path.join(folder, "audio"), exist_ok=True)
    empty = {(k * 211 + 3) % n for k in range(min(4, n))}
    with open(os.path.join(folder, "MMAR-meta.jsonl"), "w", encoding="utf-8") as f:
        for k in range(n):
            choices = _choices(rng, int(rng.integers(2, 7)))
            answer = choices[int(rng.integers(len(choices)))]
            if k in empty:
                choices = choices[:2] + [""]
                answer = choices[0]
            _clip(os.path.join(folder, "audio", f"{k}.wav"), 300 + 7 * (k % 100), seconds)
            entry = {"id": f"mmar-{k}", "audio_path": f"./audio/{k}.wav", "question": f"问题 {k}?" if k % 9 == 0
                     else f"Question {k}?", "choices": choices, "answer": answer,
                     "modality": MMAR_MODALITIES[k % 7], "category": ["Signal Layer", "Perception Layer",
                                                                       "Semantic Layer", "Cultural Layer"][k % 4],
                     "sub-category": f"sub-{k % 16}", "language": ["en", "zh", "ja", "zh|en", None][k % 5],
                     "source": "stand-in", "url": "", "timestamp": "", "thinking": "…", "cue": "…",
                     "rubric": ["…"]}
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return os.path.join(folder, "MMAR-meta.jsonl")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=1.0, help="stand-in clip length")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    print(mmau(os.path.join(args.out, "mmau"), os.path.join(args.out, "storage"), args.n, args.seconds, rng))
    print(mmar(os.path.join(args.out, "mmar"), args.n, args.seconds, rng))
    return 0


if __name__ == "__main__":
    sys.exit(main())
