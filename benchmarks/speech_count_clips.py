"""Clips of someone speaking a known number of separate times, for `question_wordings.py --set speech_count`.

The probe's `speech_count` family asks how many utterances a clip holds in a handful of wordings;
nothing checked how the reasoner reads the speech segmenter's count when the question is worded
otherwise. These clips hold 3, 4, 5 or 6 sentences (benchmarks/unseen_clips.py's, not the probe's)
said by one espeak voice or two taking turns, with pauses of 0.7-1.4 s between them (the segmenter
splits at 0.4 s), at another speed per clip, over white, pink or brown noise 15-30 dB down. Two
clips per count, deterministic for a seed. `params.json` holds each clip's `n` (what the questions
ask about) and how it was drawn; there is no items.json: the questions come from the wording files.

    python benchmarks/speech_count_clips.py --out data/speech_count_clips
    python benchmarks/question_wordings.py --set speech_count --clips data/speech_count_clips
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import soundfile as sf

from eval.probe_signals import FEMALE_VOICES, MALE_VOICES, MORE_FEMALE_VOICES, MORE_MALE_VOICES, SR, add_noise, speak

SEED = 4242
COUNTS = (3, 4, 5, 6)
CLIPS_PER_COUNT = 2
VOICES = MALE_VOICES + MORE_MALE_VOICES + FEMALE_VOICES + MORE_FEMALE_VOICES


def sentences() -> list[str]:
    try:  # words the probe never says
        from benchmarks.unseen_clips import SENTENCES  # imported as a module (tests)
    except ImportError:
        from unseen_clips import SENTENCES  # run as a script: benchmarks/ is on the path
    return list(SENTENCES)


def clip(rng: np.random.Generator, n: int, lines: list[str]) -> tuple[np.ndarray, dict]:
    """`n` sentences with pauses between them, one voice or two in turn; (samples, how it was drawn)."""
    voices = [str(v) for v in rng.choice(VOICES, size=int(rng.integers(1, 3)), replace=False)]
    speed = int(rng.integers(140, 191))
    said = [lines[int(i)] for i in rng.choice(len(lines), size=n, replace=False)]
    audio, drawn = in_turns(rng, said, voices, speed)
    return audio, {"n": n, **drawn}


def in_turns(rng: np.random.Generator, said: list[str], voices: list[str], speed: int) -> tuple[np.ndarray, dict]:
    """The sentences `said` by the voices in turn (the k-th by voice k mod len(voices)), 0.7-1.4 s
    apart, over white, pink or brown noise 15-30 dB down; (samples, how it was drawn)."""
    pauses = rng.uniform(0.7, 1.4, size=len(said) - 1)
    lead, tail = rng.uniform(0.3, 0.8, size=2)
    parts = [np.zeros(int(lead * SR), np.float32)]
    for k, sentence in enumerate(said):
        parts.append(0.8 * speak(sentence, voices[k % len(voices)], speed))
        parts.append(np.zeros(int((pauses[k] if k < len(said) - 1 else tail) * SR), np.float32))
    colour = str(rng.choice(["white", "pink", "brown"]))
    snr = float(rng.uniform(15, 30))
    audio = add_noise(np.concatenate(parts), snr, rng, colour)
    return audio, {"voices": voices, "speed": speed, "sentences": said, "noise": colour,
                   "snr_db": round(snr, 1), "pauses": [round(float(p), 2) for p in pauses]}


def generate(out: str, seed: int = SEED) -> list[dict]:
    """Write audio/<id>.wav and params.json under `out`; return the params."""
    return write_clips(out, seed, COUNTS, CLIPS_PER_COUNT, clip, "sc", "speech_count")


def write_clips(out: str, seed: int, counts, per_count: int, draw, prefix: str, task: str) -> list[dict]:
    """`per_count` clips per count of `counts`, drawn by `draw(rng, n, sentences)` from one seeded
    generator, written as audio/<prefix>-<n><k>.wav with params.json under `out`; the params."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out, "audio"), exist_ok=True)
    lines, params = sentences(), []
    for n in counts:
        for k in range(per_count):
            audio, drawn = draw(rng, n, lines)
            cid = f"{prefix}-{n}{k}"
            sf.write(os.path.join(out, "audio", f"{cid}.wav"), audio, SR, subtype="PCM_16")
            params.append({"id": cid, "task": task, **drawn})
    with open(os.path.join(out, "params.json"), "w") as f:
        json.dump(params, f, indent=1)
    return params


def main(doc: str = __doc__, generate=generate, out: str = "data/speech_count_clips", seed: int = SEED) -> None:
    """The command line of this script and of benchmarks/speaker_clips.py: `--out`, `--seed`."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--out", default=out)
    p.add_argument("--seed", type=int, default=seed)
    args = p.parse_args()
    print(f"wrote {len(generate(args.out, args.seed))} clips to {args.out}")


if __name__ == "__main__":
    main()
