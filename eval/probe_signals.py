"""Signal synthesis for the probe benchmarks and the tool tables (benchmarks/tool_signals.py).

Every function draws its randomness from the generator it is given, so a (seed, index) pair
always writes the same clip. Signals are 16 kHz mono float32 in [-1, 1].

    tone            sine, harmonic (a few overtones) or bright (sawtooth-like, many overtones)
    noise           white, pink or brown
    speak           espeak-ng, any voice variant and speed
    beat_track      clicks or a drum loop (kick, snare, hi-hat), steady or changing tempo
    music_bed       a slowly changing chord of harmonic tones, to sit under other sounds
    babble          several quieter voices talking over each other
    reverberate     a room: the signal convolved with a decaying noise tail
    mix_under       a background under a signal at a signal-to-background ratio
"""
from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np
import soundfile as sf

SR = 16000
NOISE_COLOURS = ("white", "pink", "brown")
TIMBRES = ("sine", "harmonic", "bright")
BEAT_KINDS = ("clicks", "kick_hat", "kick_snare_hat")
MALE_VOICES = ["en-us+m1", "en-us+m2", "en-us+m3", "en-us+m4", "en-us+m7"]
FEMALE_VOICES = ["en-us+f1", "en-us+f2", "en-us+f3", "en-us+f4", "en-us+f5"]
# other espeak voices of each register (probe v2 draws from these too; v1 only from the lists above).
# Spelled exactly as espeak-ng's variant files: a misspelt variant silently falls back to the
# default male voice (en-gb+f4, en-us+Belinda did), which would mislabel a female item.
MORE_MALE_VOICES = ["en-us+m5", "en-us+m6", "en+m3", "en+m1", "en-us+Andy", "en-us+john"]
MORE_FEMALE_VOICES = ["en+f3", "en+f4", "en-us+Annie", "en-us+belinda", "en-us+linda"]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.float32)


def fade(wave: np.ndarray, seconds: float = 0.01) -> np.ndarray:
    """Short linear fades at both ends: no clicks."""
    ramp = min(int(seconds * SR), len(wave) // 2)
    if ramp > 0:
        wave = wave.copy()
        wave[:ramp] *= np.linspace(0, 1, ramp)
        wave[-ramp:] *= np.linspace(1, 0, ramp)
    return wave


def tone(freq: float, seconds: float, rng: np.random.Generator, timbre: str = "sine") -> np.ndarray:
    """A steady tone at `freq` Hz, peak 1. `harmonic` adds the 2nd and 3rd partials (v1's
    `harmonics=True`, written as v1 wrote it so v1 clips stay byte-identical); `bright` adds
    partials 2-8 falling as 1/k, like a sawtooth."""
    if timbre not in TIMBRES:
        raise ValueError(f"timbre {timbre!r}: one of {TIMBRES}")
    t = np.arange(int(seconds * SR)) / SR
    wave = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    if timbre == "harmonic":
        wave = wave + 0.4 * np.sin(4 * np.pi * freq * t) + 0.2 * np.sin(6 * np.pi * freq * t)
    elif timbre == "bright":
        wave = wave + sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(2, 9) if freq * k < SR / 2)
    return (fade(wave) / np.max(np.abs(wave))).astype(np.float32)


def noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise: white (flat), pink (1/f power) or brown (1/f^2 power)."""
    white = rng.standard_normal(n)
    if colour in ("pink", "brown"):
        spec = np.fft.rfft(white)
        bins = np.maximum(np.arange(len(spec)), 1)
        spec /= np.sqrt(bins) if colour == "pink" else bins
        white = np.fft.irfft(spec, n)
    return (white / (np.std(white) + 1e-12)).astype(np.float32)


def add_noise(signal: np.ndarray, snr_db: float, rng: np.random.Generator, colour: str | None = None) -> np.ndarray:
    """Background noise at `snr_db` below the signal's active level, then normalized to peak 0.8.
    The colour is drawn from white and pink when not given (probe v1's draw)."""
    active = np.abs(signal) > 1e-4
    power = np.mean(signal[active] ** 2) if active.any() else 1e-6
    colour = colour or str(rng.choice(["white", "pink"]))
    mixed = signal + noise(len(signal), colour, rng) * np.sqrt(power / 10 ** (snr_db / 10))
    return (0.8 * mixed / np.max(np.abs(mixed))).astype(np.float32)


def speak(text: str, voice: str, speed: int) -> np.ndarray:
    """espeak-ng to 16 kHz float32, leading/trailing silence trimmed, peak 1."""
    import soxr

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", path, text],
                       check=True, capture_output=True)
        wav, rate = sf.read(path, dtype="float32")
    wav = soxr.resample(wav, rate, SR).astype(np.float32)
    loud = np.flatnonzero(np.abs(wav) > 0.01 * np.max(np.abs(wav)))
    wav = wav[loud[0]: loud[-1] + 1]
    return wav / np.max(np.abs(wav))


def _kick(rng) -> np.ndarray:
    """A bass drum: a sine sweeping down from ~120 to ~50 Hz under a fast decay."""
    t = np.arange(int(0.18 * SR)) / SR
    f0, f1 = rng.uniform(100, 140), rng.uniform(45, 60)
    freq = f1 + (f0 - f1) * np.exp(-t / 0.03)
    return (np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / 0.05)).astype(np.float32)


def _hat(rng, seconds: float = 0.05) -> np.ndarray:
    """A closed hi-hat: high-passed noise with a very fast decay."""
    n = int(seconds * SR)
    burst = np.diff(rng.standard_normal(n + 1))  # first difference: tilts the noise to the highs
    return (0.5 * burst / np.max(np.abs(burst)) * np.exp(-np.arange(n) / SR / 0.012)).astype(np.float32)


def _snare(rng) -> np.ndarray:
    """A snare: a ~190 Hz body plus broadband noise, decaying in ~0.1 s."""
    t = np.arange(int(0.15 * SR)) / SR
    body = 0.5 * np.sin(2 * np.pi * rng.uniform(170, 210) * t)
    return ((body + 0.6 * rng.standard_normal(len(t))) * np.exp(-t / 0.04)).astype(np.float32)


def beat_times(start_bpm: float, end_bpm: float, seconds: float, first: float) -> np.ndarray:
    """Onset times of a beat whose tempo moves linearly (in beats per minute over time) from
    start_bpm to end_bpm across the clip; equal tempi give a steady beat."""
    times, t = [], first
    while t < seconds - 0.05:
        times.append(t)
        bpm = start_bpm + (end_bpm - start_bpm) * t / seconds
        t += 60.0 / bpm
    return np.array(times)


def beat_track(start_bpm: float, seconds: float, rng: np.random.Generator, kind: str = "clicks",
               end_bpm: float | None = None) -> np.ndarray:
    """One hit per beat. `clicks`: a short high tone (probe v1's click track); `kick_hat`: kick
    and hi-hat alternating; `kick_snare_hat`: kick, hat, snare, hat. Peak 1."""
    audio = silence(seconds)
    click = tone(rng.uniform(1000, 2500), 0.03, rng)
    hits = {"clicks": [click], "kick_hat": [_kick(rng), _hat(rng)],
            "kick_snare_hat": [_kick(rng), _hat(rng), _snare(rng), _hat(rng)]}[kind]
    times = beat_times(start_bpm, end_bpm or start_bpm, seconds, rng.uniform(0.05, 0.3))
    for k, t in enumerate(times):
        hit, i = hits[k % len(hits)], int(t * SR)
        audio[i: i + len(hit)] += hit[: len(audio) - i]
    return (audio / np.max(np.abs(audio))).astype(np.float32)


def music_bed(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Chords of harmonic tones (a triad per chord, 1-2 s each, cross-faded): a sustained,
    tonal background like a pad or an organ. Peak 1."""
    out = silence(seconds)
    at = 0
    while at < len(out):
        length = min(int(rng.uniform(1.0, 2.0) * SR), len(out) - at)
        root = 2 ** rng.uniform(np.log2(110), np.log2(330))
        chord = sum(tone(root * 2 ** (step / 12), length / SR, rng, "harmonic")
                    for step in (0, int(rng.choice([3, 4])), 7))
        out[at: at + len(chord)] += fade(chord, 0.1)
        at += length
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def babble(seconds: float, rng: np.random.Generator, phrases: list[str], talkers: int = 4) -> np.ndarray:
    """`talkers` voices saying phrases over each other, looped to fill the clip. Peak 1."""
    out = silence(seconds)
    for _ in range(talkers):
        voice = str(rng.choice(MALE_VOICES + FEMALE_VOICES))
        at = int(rng.uniform(0, 0.8) * SR)
        while at < len(out):
            words = speak(str(rng.choice(phrases)), voice, int(rng.integers(140, 190)))
            part = words[: len(out) - at]
            out[at: at + len(part)] += part
            at += len(words) + int(rng.uniform(0.05, 0.3) * SR)
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def reverberate(signal: np.ndarray, rng: np.random.Generator, rt60: float) -> np.ndarray:
    """A room: the dry signal plus its convolution with noise decaying 60 dB in `rt60` s."""
    from scipy.signal import fftconvolve

    t = np.arange(int(rt60 * SR)) / SR
    tail = rng.standard_normal(len(t)) * 10 ** (-3 * t / rt60)
    wet = fftconvolve(signal, tail)[: len(signal)]
    wet *= np.std(signal) / (np.std(wet) + 1e-12)
    out = signal + 0.5 * wet
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def mix_under(signal: np.ndarray, background: np.ndarray, ratio_db: float) -> np.ndarray:
    """`background` (looped or cut to length) `ratio_db` below the signal's active level; peak 0.8."""
    reps = int(np.ceil(len(signal) / max(1, len(background))))
    bed = np.tile(background, reps)[: len(signal)]
    active = np.abs(signal) > 1e-4
    level = np.sqrt(np.mean(signal[active] ** 2)) if active.any() else 1e-3
    bed = bed * level / (np.sqrt(np.mean(bed ** 2)) + 1e-12) * 10 ** (-ratio_db / 20)
    mixed = signal + bed
    return (0.8 * mixed / (np.max(np.abs(mixed)) + 1e-12)).astype(np.float32)
