"""Seconds per clip for each built-in tool at real benchmark clip lengths (MMAU ~10 s, MMAR mostly
10-30 s), cold result cache, one process.

    python benchmarks/tool_clip_length.py [--lengths 1,10,30] [--clips 3] [--out FILE.json]

Each clip mixes what real benchmark audio has: espeak speech with pauses, beeps, a harmonic
tone and a noise floor, laid out over the clip's length (seeded, so every run times the same
audio). Every tool is run once on a 1 s clip before the clock starts, so model loading and
numba compilation are not in the numbers; then each tool runs on `--clips` clips per length with
no cache, and the median seconds is reported. `per_second` divides by the clip length: a tool
whose cost per second of audio grows with the length is the finding to look at.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools.base import SAMPLE_RATE, Audio  # noqa: E402
from tools.registry import BUILTIN, build_tools  # noqa: E402

PHRASES = ["open the door", "turn on the light", "call my mother", "the cat is sleeping", "close the window"]
QUESTION = "What does the speaker say?"


def _speech(text: str, voice: str) -> np.ndarray:
    import soundfile as sf
    import soxr

    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", f.name, text], check=True)
        wav, rate = sf.read(f.name, dtype="float32")
    return soxr.resample(wav, rate, SAMPLE_RATE).astype(np.float32)


def _tone(freq: float, seconds: float, harmonics: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, harmonics + 1))
    ramp = np.minimum(1, np.minimum(t, t[::-1]) / 0.01)
    return (0.3 * wave * ramp).astype(np.float32)


def mixed_clip(seconds: float, seed: int) -> np.ndarray:
    """Speech, beeps and a harmonic tone in turns, over a noise floor, cut to `seconds`."""
    rng = np.random.default_rng(seed)
    parts, total = [], 0
    while total < seconds * SAMPLE_RATE:
        kind = rng.integers(3)
        if kind == 0:
            part = _speech(PHRASES[rng.integers(len(PHRASES))], ["en-us+m3", "en-us+f2"][rng.integers(2)])
        elif kind == 1:
            part = np.concatenate([np.concatenate([_tone(880, 0.12), np.zeros(int(0.15 * SAMPLE_RATE), np.float32)])
                                   for _ in range(int(rng.integers(2, 6)))])
        else:
            part = _tone(float(rng.uniform(200, 500)), float(rng.uniform(0.5, 1.5)), harmonics=4)
        gap = np.zeros(int(rng.uniform(0.2, 0.6) * SAMPLE_RATE), np.float32)
        parts += [part, gap]
        total += len(part) + len(gap)
    samples = np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]
    samples += 0.005 * rng.standard_normal(len(samples)).astype(np.float32)
    return samples


def _decode_times(clips: dict, lengths: list[float]) -> dict:
    """What every tool call's input costs first: reading a 44.1 kHz stereo WAV (as MMAU/MMAR
    clips come), mixing down and resampling to 16 kHz."""
    import soundfile as sf
    import soxr

    from tools.base import load_audio

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for s in lengths:
            times = []
            for k, audio in enumerate(clips[s]):
                path = os.path.join(folder, f"{s:g}-{k}.wav")
                wav = soxr.resample(audio.samples, SAMPLE_RATE, 44100)
                sf.write(path, np.stack([wav, wav], axis=1), 44100)
                start = time.perf_counter()
                load_audio(path)
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            out[s] = {"seconds": round(median, 4), "per_second": round(median / s, 4), "errors": 0}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lengths", default="1,10,30", help="clip lengths in seconds (default %(default)s)")
    p.add_argument("--clips", type=int, default=3, help="clips per length; the median is reported")
    p.add_argument("--tools", default=",".join(BUILTIN), help="comma-separated built-in tools (default all)")
    p.add_argument("--out", default="", help="write the measurements as JSON here")
    args = p.parse_args()
    lengths = [float(x) for x in args.lengths.split(",")]
    tools = build_tools([{"name": n} for n in args.tools.split(",")])
    choices = PHRASES[:4]
    for tool in tools:  # model loads and numba compilation, before the clock
        tool.run(Audio(mixed_clip(1.0, 99), SAMPLE_RATE, "warm", "warm"), QUESTION, choices)
    # clip k of every length comes from seed k: the 10 s clip is the 30 s clip's first third, so
    # lengths differ in length, not in content
    clips = {s: [Audio(mixed_clip(s, k), SAMPLE_RATE, f"clip{s}-{k}", f"clip{s}-{k}") for k in range(args.clips)]
             for s in lengths}
    rows = {"decode (load_audio, 44.1 kHz stereo WAV)": _decode_times(clips, lengths)}
    for tool in tools:
        rows[tool.name] = {}
        for s in lengths:
            times, errors = [], 0
            for audio in clips[s]:
                start = time.perf_counter()
                result = tool.run(audio, QUESTION, choices)
                times.append(time.perf_counter() - start)
                errors += not result.ok
            median = statistics.median(times)
            rows[tool.name][s] = {"seconds": round(median, 4), "per_second": round(median / s, 4), "errors": errors}
        print(f"{tool.name:12s} " + "  ".join(f"{s:>4g}s: {rows[tool.name][s]['seconds']:7.3f}" for s in lengths),
              flush=True)
    print("\nseconds per clip (seconds per second of audio)\n")
    print("| tool | " + " | ".join(f"{s:g} s clip" for s in lengths) + " |\n|" + "---|" * (len(lengths) + 1))
    for name, by_len in rows.items():
        cells = [f"{by_len[s]['seconds']:.3f} ({by_len[s]['per_second']:.3f})" for s in lengths]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| all nine tools | " + " | ".join(f"{sum(r[s]['seconds'] for n, r in rows.items() if n in BUILTIN):.3f}"
                                             for s in lengths) + " |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"lengths": lengths, "clips": args.clips, "tools": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
