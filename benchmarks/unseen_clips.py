"""Questions about clips unlike the probe's, to check answers (not only routing) off the probe.

The probe benchmark (eval/probe_v2.py) words each family a few ways over sine tones, clicks and
espeak. This set asks the same ten kinds of question about other sounds (knocks, claps, chirps,
drips; square, triangle and sawtooth tones; hum, hiss, engine buzz, chords) in other words: positional
choices ("the first one", "tone A"), comparisons with a number ("longer than 9 seconds?"), negated
questions, other registers. It was written for this check by someone who had read neither the
probe's templates nor the tools' texts; every answer follows from the parameters drawn for its
clip. 100 items, 10 per family, a third yes/no; deterministic for a seed.

It is a validation set: contrast rule v19 was built on its failures (docs/RESULTS.md "Unfamiliar
clips and wordings"). The project's held-out check stays the one kept outside the repository.

    python benchmarks/unseen_clips.py --out data/unseen_clips
    audiorouter eval --data data/unseen_clips --systems none,all,expert,learned:runs/demo/router.pt \
        --out runs/unseen_clips/results.json --no-mlflow

`params.json` beside `items.json` holds each clip's drawn parameters, for auditing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

import numpy as np
import soundfile as sf

from eval.probe_signals import (SR, MALE_VOICES, FEMALE_VOICES, MORE_MALE_VOICES, MORE_FEMALE_VOICES, speak,
                                noise)

SEED = 777
FAMILIES = {"count": "events", "pitch_compare": "pitch", "note": "pitch", "duration": "duration",
            "loudness": "loudness", "phrase": "phrase_spot", "gender": "voice", "order": "vad",
            "gap": "loudness", "tempo": "tempo"}  # family -> the tool that measures what it asks
rng = np.random.default_rng(SEED)  # every draw below; `generate` reseeds it

ALL_MALE = MALE_VOICES + MORE_MALE_VOICES
ALL_FEMALE = FEMALE_VOICES + MORE_FEMALE_VOICES
ALL_VOICES = ALL_MALE + ALL_FEMALE

NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
             "eighteen", "nineteen", "twenty", "twenty-one", "twenty-two", "twenty-three",
             "twenty-four", "twenty-five", "twenty-six", "twenty-seven", "twenty-eight",
             "twenty-nine", "thirty"]


# ----------------------------------------------------------------------------- helpers
def pick(seq):
    return seq[int(rng.integers(len(seq)))]


def sil(sec):
    return np.zeros(int(round(sec * SR)), dtype=np.float32)


def ramp(w, sec=0.02):
    n = min(int(sec * SR), len(w) // 2)
    w = w.astype(np.float32).copy()
    if n > 0:
        w[:n] *= np.linspace(0, 1, n)
        w[-n:] *= np.linspace(1, 0, n)
    return w


def peak1(w):
    return (w / (np.max(np.abs(w)) + 1e-12)).astype(np.float32)


def finish(sig):
    """Light white/pink background 20-30 dB below the active level, peak 0.8."""
    sig = sig.astype(np.float64)
    active = np.abs(sig) > 1e-3 * np.max(np.abs(sig))
    power = np.mean(sig[active] ** 2)
    snr = rng.uniform(20, 30)
    colour = pick(["white", "pink"])
    mixed = sig + noise(len(sig), colour, rng) * np.sqrt(power / 10 ** (snr / 10))
    return (0.8 * mixed / np.max(np.abs(mixed))).astype(np.float32)


def shuffled(choices):
    c = list(choices)
    rng.shuffle(c)
    return c


def yn_choices():
    return ["yes", "no"] if rng.random() < 0.5 else ["no", "yes"]


def yn(b):
    return "yes" if b else "no"


# ----------------------------------------------------------------------------- waveforms
def periodic(freq, sec, shape):
    """Band-limited additive square / triangle / sawtooth / few-harmonics tone, peak 1."""
    t = np.arange(int(round(sec * SR))) / SR
    ph = rng.uniform(0, 2 * np.pi)
    w = np.zeros_like(t)
    kmax = int((SR / 2 - 200) // freq)
    for k in range(1, kmax + 1):
        if shape == "square":
            a = 1 / k if k % 2 else 0
        elif shape == "triangle":
            a = ((-1) ** ((k - 1) // 2)) / k ** 2 if k % 2 else 0
        elif shape == "sawtooth":
            a = 1 / k
        elif shape == "harmonics":
            a = {1: 1.0, 2: 0.5, 3: 0.3, 4: 0.15}.get(k, 0)
        else:  # sine
            a = 1.0 if k == 1 else 0
        if a:
            w += a * np.sin(2 * np.pi * freq * k * t + k * ph)
    return ramp(peak1(w), 0.015)


def knock():
    n = int(0.14 * SR)
    t = np.arange(n) / SR
    f = rng.uniform(120, 260)
    body = np.sin(2 * np.pi * f * t) * np.exp(-t / rng.uniform(0.025, 0.045))
    burst = rng.standard_normal(n) * np.exp(-t / 0.004) * 0.6
    return peak1(body + burst)


def clap():
    from scipy.signal import butter, sosfilt
    n = int(0.09 * SR)
    t = np.arange(n) / SR
    sos = butter(2, [rng.uniform(800, 1200), rng.uniform(2500, 4000)], btype="band", fs=SR, output="sos")
    x = sosfilt(sos, rng.standard_normal(n)) * np.exp(-t / rng.uniform(0.012, 0.02))
    return peak1(x)


def chirp():
    dur = rng.uniform(0.07, 0.12)
    n = int(dur * SR)
    t = np.arange(n) / SR
    f0, f1 = rng.uniform(1800, 2600), rng.uniform(3500, 5000)
    f = f0 + (f1 - f0) * t / dur
    x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.hanning(n)
    return peak1(x)


def drip():
    n = int(0.12 * SR)
    t = np.arange(n) / SR
    f0 = rng.uniform(1100, 1900)
    f = f0 * (1 + 0.6 * (1 - np.exp(-t / 0.02)))  # quick upward bloop
    x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / rng.uniform(0.015, 0.03))
    x[: int(0.002 * SR)] *= np.linspace(0, 1, int(0.002 * SR))
    return peak1(x)


def click():
    n = int(0.025 * SR)
    t = np.arange(n) / SR
    x = np.sin(2 * np.pi * rng.uniform(1500, 3000) * t) * np.exp(-t / 0.005)
    return peak1(x)


EVENT_MAKERS = {"knock": knock, "clap": clap, "chirp": chirp, "drip": drip}


def steady(kind, sec):
    """A steady continuous sound: hum, noise, buzz (engine-like), chord. Peak 1."""
    n = int(round(sec * SR))
    t = np.arange(n) / SR
    if kind == "hum":
        f = pick([50.0, 60.0]) * pick([1, 2, 3])
        w = sum(a * np.sin(2 * np.pi * f * k * t + rng.uniform(0, 6.28))
                for k, a in [(1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15)])
    elif kind == "noise":
        from scipy.signal import butter, sosfilt
        lo, hi = rng.uniform(150, 500), rng.uniform(2000, 6000)
        sos = butter(2, [lo, hi], btype="band", fs=SR, output="sos")
        w = sosfilt(sos, noise(n, pick(["white", "pink"]), rng))
    elif kind == "buzz":
        f0 = rng.uniform(35, 90)
        wob = 1 + 0.02 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t)
        phase = 2 * np.pi * np.cumsum(f0 * wob) / SR
        w = sum(np.sin(k * phase) / k for k in range(1, 30) if f0 * k < 7000)
        w = w * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(8, 20) * t))  # engine rumble
    elif kind == "chord":
        root = 2 ** rng.uniform(np.log2(150), np.log2(300))
        w = sum(periodic(root * 2 ** (s / 12), sec, "harmonics") for s in (0, pick([3, 4]), 7))
    else:
        raise ValueError(kind)
    return ramp(peak1(np.asarray(w, dtype=np.float64)), 0.02)


NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def midi_name(m):
    return f"{NOTE_NAMES[m % 12]}{m // 12 - 1}"


def midi_freq(m):
    return 440.0 * 2 ** ((m - 69) / 12)


SENTENCES = [
    "The kettle is boiling again",
    "Please close the back door",
    "My bus was late this morning",
    "We ran out of fresh milk",
    "Her garden needs more water",
    "The library opens at nine",
    "Can you pass the salt",
    "I left my keys upstairs",
    "The dog wants to go outside",
    "Let's paint the fence on Sunday",
    "The soup is too salty",
    "He forgot his umbrella at work",
    "Turn left after the bakery",
    "The printer is out of paper",
    "Our train leaves at noon",
    "She bought two green apples",
]

# yes/no targets, balanced within each family (17 yes, 16 no overall)
YN_TARGETS = {
    "count": [True, False],
    "pitch_compare": [True, False, True, False],
    "duration": [True, False, False, True],
    "loudness": [False, True, True, False],
    "phrase": [True, False, True],
    "gender": [True, False, False, True],
    "order": [False, True, True, False],
    "gap": [True, False, False, True, False],
    "tempo": [True, False, True],
}


def yn_plan(family, n_items=10):
    """Which item indices are yes/no, with their target answer."""
    targets = YN_TARGETS.get(family, [])
    idx = sorted(rng.choice(n_items, size=len(targets), replace=False).tolist())
    return dict(zip(idx, targets))


def item(task: str, question: str, choices: list[str], answer: str, form: str, audio: np.ndarray, meta: dict) -> dict:
    """One item before it is written: its family's expert tool from FAMILIES, its drawn parameters in `meta`."""
    return dict(task=task, expert_tool=FAMILIES[task], question=question, choices=choices, answer=answer,
                form=form, audio=audio, meta=meta)


# ----------------------------------------------------------------------------- families
def fam_count():
    items = []
    plan = yn_plan("count")
    noun = {"knock": ("knock", "knocks"), "clap": ("clap", "claps"),
            "chirp": ("chirp", "chirps"), "drip": ("drip", "drips")}
    kinds = ["knock", "clap", "chirp", "drip"] * 3
    rng.shuffle(kinds)
    for i in range(10):
        kind = kinds[i]
        sg, pl = noun[kind]
        if i in plan:
            target = plan[i]
            n = int(rng.integers(2, 9))
            style = i % 2
            if style == 0:
                # "more than k"
                k = n - int(rng.integers(1, 3)) if target else n + int(rng.integers(0, 2))
                k = max(1, k)
                if target and k >= n:
                    k = n - 1
                q = pick([f"Are there more than {k} {pl} in this recording?",
                          f"Do you hear more than {NUM_WORDS[k]} {pl}?"])
                ans = yn(n > k)
            else:
                k = n if target else n + pick([-2, -1, 1, 2])
                k = max(1, k) if k != n or target else k
                if not target and k == n:
                    k = n + 1
                q = pick([f"Is it exactly {k} {pl if k != 1 else sg} that we hear?",
                          f"Did the {sg} sound happen {NUM_WORDS[k]} times?"])
                ans = yn(n == k)
            choices = yn_choices()
            form = "yesno"
        else:
            n = int(rng.integers(2, 9))
            nch = pick([3, 4, 4, 4])
            pool = [v for v in range(1, 11) if v != n and abs(v - n) <= 3]
            distract = rng.choice(pool, size=nch - 1, replace=False).tolist()
            vals = [n] + distract
            fmt = pick(["digit", "word", "noun", "times"])
            def f(v):
                return {"digit": str(v), "word": NUM_WORDS[v],
                        "noun": f"{v} {sg if v == 1 else pl}",
                        "times": f"{NUM_WORDS[v]} time{'s' if v != 1 else ''}"}[fmt]
            choices = shuffled([f(v) for v in vals])
            ans = f(n)
            q = pick({
                "knock": ["How many times does someone knock?",
                          "Count the knocks on the door. How many are there?",
                          "How many knocks can be heard in total?",
                          "Someone's at the door - how many times did they knock?"],
                "clap": ["How many hand claps are in the clip?",
                         "Count the claps you hear.",
                         "How many times does somebody clap?",
                         "What's the total number of claps?"],
                "chirp": ["How many bird chirps do you hear?",
                          "Count the little chirping sounds.",
                          "How many times does the bird chirp?",
                          "How many short tweets are there in this audio?"],
                "drip": ["How many drops of water fall?",
                         "Count the drips.",
                         "How many dripping sounds are there?",
                         "How many times do you hear a drop land?"],
            }[kind])
            form = "choice"
        # audio
        parts = [sil(rng.uniform(0.3, 0.7))]
        for e in range(n):
            parts.append(EVENT_MAKERS[kind]() * rng.uniform(0.8, 1.0))
            if e < n - 1:
                parts.append(sil(rng.uniform(0.2, 0.6)))
        parts.append(sil(rng.uniform(0.3, 0.7)))
        audio = np.concatenate(parts)
        items.append(item("count", q, choices, ans, form, audio, {"kind": kind, "n": n}))
    return items


def fam_pitch_compare():
    items = []
    plan = yn_plan("pitch_compare")
    styles = ["pos", "pos_one", "AB", "dir_updown", "dir_higherlower", "dir_rise", "pos", "AB",
              "dir_updown", "pos_one"]
    ci = 0
    for i in range(10):
        shape = pick(["square", "triangle", "sawtooth", "harmonics"])
        up = bool(rng.random() < 0.5)
        if i in plan:
            target = plan[i]
            kind = i % 4
            # choose direction so answer == target
            if kind == 0:
                q = pick(["Is the second tone higher than the first?",
                          "Is the second note higher in pitch than the first one?"])
                up = target
            elif kind == 1:
                q = pick(["Is the first tone lower than the second?",
                          "Does the first note sound lower-pitched than the one after it?"])
                up = target
            elif kind == 2:
                q = pick(["Does the pitch drop from the first tone to the second?",
                          "Does the melody step down?"])
                up = not target
            else:
                q = pick(["Isn't the second tone lower than the first?",
                          "Wouldn't you say the first beep is the higher of the two?"])
                up = not target
            choices, form = yn_choices(), "yesno"
            ans = yn(target)
        else:
            st = styles[ci]
            ci += 1
            form = "choice"
            if st == "pos":
                if rng.random() < 0.5:
                    q = pick(["Which tone is higher?", "Which of the two tones has the higher pitch?"])
                    ans = "the second" if up else "the first"
                else:
                    q = pick(["Which tone is lower?", "Which of the two sounds is pitched lower?"])
                    ans = "the first" if up else "the second"
                choices = ["the first", "the second"]
            elif st == "pos_one":
                q = pick(["Two notes play in a row. Which one is lower?",
                          "You'll hear two beeps. Which one sits lower in pitch?"])
                ans = "the first one" if up else "the second one"
                choices = ["the first one", "the second one"]
            elif st == "AB":
                if rng.random() < 0.5:
                    q = "Call the first tone A and the second tone B. Which is higher?"
                    ans = "tone B" if up else "tone A"
                else:
                    q = "Let tone A be the one you hear first and tone B the one after it. Which tone is lower?"
                    ans = "tone A" if up else "tone B"
                choices = ["tone A", "tone B"]
            elif st == "dir_updown":
                q = pick(["From the first tone to the second, does the pitch go up or down?",
                          "Going from one note to the next, which way does the pitch move?"])
                ans = "up" if up else "down"
                choices = ["up", "down"]
            elif st == "dir_higherlower":
                q = "Compared with the first tone, the second tone is..."
                ans = "higher" if up else "lower"
                choices = ["higher", "lower"]
            else:  # dir_rise
                q = "How does the pitch change between the two notes?"
                ans = "it rises" if up else "it falls"
                choices = ["it rises", "it falls", "it stays the same"]
            choices = shuffled(choices)
        semis = int(rng.integers(3, 9))
        lo_lim, hi_lim = 150.0, 900.0
        if up:
            f1 = 2 ** rng.uniform(np.log2(lo_lim), np.log2(hi_lim / 2 ** (semis / 12)))
            f2 = f1 * 2 ** (semis / 12)
        else:
            f1 = 2 ** rng.uniform(np.log2(lo_lim * 2 ** (semis / 12)), np.log2(hi_lim))
            f2 = f1 / 2 ** (semis / 12)
        d1, d2 = rng.uniform(0.6, 1.2), rng.uniform(0.6, 1.2)
        audio = np.concatenate([sil(rng.uniform(0.2, 0.5)), periodic(f1, d1, shape),
                                sil(rng.uniform(0.25, 0.5)), periodic(f2, d2, shape),
                                sil(rng.uniform(0.2, 0.5))])
        items.append(item("pitch_compare", q, choices, ans, form, audio,
                          {"f1": round(f1, 2), "f2": round(f2, 2), "semitones": semis, "up": up, "shape": shape}))
    return items


def fam_note():
    items = []
    qs = ["Which note is being played?",
          "What note is this?",
          "Name the pitch of this sustained tone.",
          "Which of these notes matches what you hear?",
          "In scientific pitch notation, what note does the instrument hold?",
          "Identify the musical note (A4 = 440 Hz).",
          "What's the note here?",
          "The tone sits on a single note of the equal-tempered scale. Which one?",
          "Which pitch is sounding in this clip?",
          "If you had to write this note down, which would it be?"]
    rng.shuffle(qs)
    for i in range(10):
        m = int(rng.integers(48, 84))  # C3 .. B5
        shape = pick(["sine", "harmonics", "triangle", "sawtooth", "square"])
        dist_mode = pick(["near", "mixed", "octave"])
        cands = set()
        while len(cands) < 3:
            if dist_mode == "near":
                d = int(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]))
            elif dist_mode == "octave" and len(cands) == 0:
                d = int(rng.choice([-12, 12]))
            else:
                d = int(rng.choice([-9, -7, -5, -4, -3, -2, 2, 3, 4, 5, 7, 9]))
            c = m + d
            if 48 <= c <= 83 and c != m:
                cands.add(c)
        names = [midi_name(m)] + [midi_name(c) for c in sorted(cands)]
        assert len(set(names)) == 4
        choices = shuffled(names)
        f = midi_freq(m)
        audio = np.concatenate([sil(rng.uniform(0.1, 0.4)), periodic(f, rng.uniform(1.5, 3.0), shape),
                                sil(rng.uniform(0.1, 0.4))])
        items.append(item("note", qs[i], choices, midi_name(m), "choice", audio,
                          {"midi": m, "freq": round(f, 2), "shape": shape}))
    return items


def fam_duration():
    items = []
    plan = yn_plan("duration")
    kinds = ["hum", "noise", "buzz"]
    for i in range(10):
        kind = pick(kinds)
        what = {"hum": pick(["hum", "humming sound", "drone"]),
                "noise": pick(["hiss", "noise", "rushing sound"]),
                "buzz": pick(["engine noise", "buzzing", "motor sound"])}[kind]
        if i in plan:
            target = plan[i]
            form, choices = "yesno", yn_choices()
            sub = i % 2
            if sub == 0:  # longer than N
                if target:
                    D = int(rng.integers(4, 21))
                    N = max(1, int(round(D * rng.uniform(0.4, 0.65))))
                else:
                    D = int(rng.integers(1, 12))
                    N = int(np.ceil(D * rng.uniform(1.5, 2.2)))
                q = pick([f"Is it longer than {N} seconds?",
                          f"Does the {what} go on for more than {N} seconds?",
                          f"Is the sound over {N} s long?"])
                ans = yn(D > N)
            else:  # shorter than N
                if target:
                    D = int(rng.integers(1, 12))
                    N = int(np.ceil(D * rng.uniform(1.5, 2.2)))
                else:
                    D = int(rng.integers(4, 21))
                    N = max(1, int(round(D * rng.uniform(0.4, 0.65))))
                q = pick([f"Does the {what} last less than {N} seconds?",
                          f"Is this clip shorter than {N} seconds?",
                          f"Would you say the {what} stops before the {N}-second mark?"])
                ans = yn(D < N)
        else:
            form = "choice"
            D = int(rng.integers(1, 21))
            nch = pick([3, 4, 4])
            gap = max(2, int(np.ceil(0.35 * D)))
            pool = [v for v in range(1, 21) if abs(v - D) >= gap]
            distract = []
            for v in rng.permutation(pool).tolist():
                if all(abs(v - u) >= max(2, int(np.ceil(0.25 * min(u, v)))) for u in distract + [D]):
                    distract.append(v)
                if len(distract) == nch - 1:
                    break
            fmt = pick(["s", "about", "word", "sec", "secs_long"])
            def f(v):
                return {"s": f"{v} s", "about": f"about {v} second{'s' if v != 1 else ''}",
                        "word": f"{NUM_WORDS[v]} second{'s' if v != 1 else ''}",
                        "sec": f"roughly {v} sec", "secs_long": f"{v} seconds long" if v != 1 else "1 second long"}[fmt]
            assert len(distract) == nch - 1, (D, distract)
            choices = shuffled([f(v) for v in [D] + distract])
            ans = f(D)
            q = pick([f"How long does the {what} last?",
                      "What's the duration of this sound?",
                      f"For how many seconds can you hear the {what}?",
                      "Roughly how long is the sound in this recording?",
                      "How long does this go on for?",
                      f"Estimate the length of the {what}.",
                      "About how many seconds does the sound run?"])
        audio = steady(kind, float(D))
        items.append(item("duration", q, choices, ans, form, audio, {"kind": kind, "seconds": D}))
    return items


def fam_loudness():
    items = []
    plan = yn_plan("loudness")
    for i in range(10):
        kind = pick(["noise", "chord", "buzz"])
        sec = rng.uniform(3, 6)
        if i in plan:
            target = plan[i]
            sub = i % 4
            form, choices, ans = "yesno", yn_choices(), yn(target)
            if sub == 0:
                q = pick(["Does the sound get louder over time?", "Is it getting louder?"])
                rising = target
            elif sub == 1:
                q = pick(["Does the sound fade out?", "Does it die away toward the end?"])
                rising = not target
            elif sub == 2:
                q = pick(["Is the volume going down as the clip plays?", "Does it get quieter?"])
                rising = not target
            else:
                q = pick(["Does the sound swell up?", "Does it fade in from quiet?"])
                rising = target
        else:
            form = "choice"
            rising = bool(rng.random() < 0.5)
            sub = int(rng.integers(0, 6))
            if sub == 0:
                q = "How does the loudness change?"
                opts = ("it gets louder", "it gets quieter")
            elif sub == 1:
                q = pick(["Is this fading in or fading out?", "Does the sound fade in or out?"])
                opts = ("fading in", "fading out")
            elif sub == 2:
                q = "Which best describes the level of the sound?"
                opts = ("it swells", "it dies away")
            elif sub == 3:
                q = "What happens to the volume during the clip?"
                opts = ("it builds up", "it dies down")
            elif sub == 4:
                q = "Describe the dynamics of this recording."
                opts = ("starts quiet and ends loud", "starts loud and ends quiet")
            else:
                q = pick(["Over the course of the clip, the sound becomes...",
                          "By the end, compared with the start, it's..."])
                opts = ("louder", "softer")
            ans = opts[0] if rising else opts[1]
            choices = list(opts)
            if rng.random() < 0.35:
                extra = {0: "it stays the same", 1: "neither, it's steady", 2: "it stays level",
                         3: "nothing, it's constant", 4: "same level throughout",
                         5: "about the same"}[sub]
                choices.append(extra)
            choices = shuffled(choices)
        base = steady(kind, sec)
        span = rng.uniform(22, 32)
        db = np.linspace(-span, 0, len(base)) if rising else np.linspace(0, -span, len(base))
        audio = base * 10 ** (db / 20)
        audio = np.concatenate([sil(0.1), audio, sil(0.1)])
        items.append(item("loudness", q, choices, ans, form, audio,
                          {"kind": kind, "rising": rising, "span_db": round(span, 1)}))
    return items


def fam_phrase():
    items = []
    plan = yn_plan("phrase")
    order = rng.permutation(len(SENTENCES)).tolist()
    for i in range(10):
        said = SENTENCES[order[i % len(order)]]
        voice = pick(ALL_VOICES)
        speed = int(rng.integers(140, 181))
        if i in plan:
            target = plan[i]
            asked = said if target else pick([s for s in SENTENCES if s != said])
            q = pick([f'Does the speaker say "{asked}"?',
                      f'Is the sentence "{asked}" spoken in this clip?',
                      f'Did you hear someone say "{asked}"?',
                      f'Is "{asked}" what the person says?'])
            form, choices, ans = "yesno", yn_choices(), yn(target)
        else:
            others = [s for s in SENTENCES if s != said]
            distract = rng.choice(others, size=3, replace=False).tolist()
            choices = shuffled([said] + distract)
            ans = said
            form = "choice"
            q = pick(["Which sentence is spoken?", "What does the speaker say?",
                      "Which of these did the voice say?", "Pick the phrase you hear.",
                      "What's being said here?", "Which line matches the recording?",
                      "Select the sentence that the talker utters."])
        audio = np.concatenate([sil(rng.uniform(0.2, 0.5)), speak(said, voice, speed),
                                sil(rng.uniform(0.2, 0.5))])
        items.append(item("phrase", q, choices, ans, form, audio, {"sentence": said, "voice": voice, "speed": speed}))
    return items


def fam_gender():
    items = []
    plan = yn_plan("gender")
    ch_sets = [("male", "female"), ("a man", "a woman"), ("a male voice", "a female voice"),
               ("man", "woman"), ("a guy", "a woman"), ("masculine", "feminine")]
    n_choice = 10 - len(plan)
    female_flags = [True] * (n_choice // 2) + [False] * (n_choice - n_choice // 2)
    rng.shuffle(female_flags)
    fc = 0
    for i in range(10):
        if i in plan:
            target = plan[i]
            sub = i % 4
            if sub == 0:
                q = pick(["Is the speaker a woman?", "Is this a woman talking?"])
                female = target
            elif sub == 1:
                q = pick(["Is this a male voice?", "Is it a man speaking?"])
                female = not target
            elif sub == 2:
                q = pick(["Would you say the talker is female?", "Does a female voice say this?"])
                female = target
            else:
                q = pick(["Is it a guy talking here?", "Does the voice belong to a man?"])
                female = not target
            form, choices, ans = "yesno", yn_choices(), yn(target)
        else:
            female = female_flags[fc]
            fc += 1
            opts = ch_sets[int(rng.integers(len(ch_sets)))]
            q = pick(["Is the speaker male or female?", "Who is speaking, a man or a woman?",
                      "What is the gender of the voice?", "Does this sound like a man or a woman?",
                      "How would you describe the speaker's voice?",
                      "Which best describes who is talking?"])
            ans = opts[1] if female else opts[0]
            choices = shuffled(list(opts))
            form = "choice"
        voice = pick(ALL_FEMALE if female else ALL_MALE)
        text = pick(SENTENCES)
        speed = int(rng.integers(140, 181))
        audio = np.concatenate([sil(rng.uniform(0.2, 0.5)), speak(text, voice, speed),
                                sil(rng.uniform(0.2, 0.5))])
        items.append(item("gender", q, choices, ans, form, audio, {"female": female, "voice": voice, "text": text}))
    return items


def nonspeech(kind):
    if kind == "knocks":
        parts = []
        k = int(rng.integers(2, 5))
        for j in range(k):
            parts.append(knock())
            if j < k - 1:
                parts.append(sil(rng.uniform(0.15, 0.3)))
        return np.concatenate(parts)
    if kind == "whistle":
        sec = rng.uniform(0.8, 1.5)
        t = np.arange(int(sec * SR)) / SR
        f = rng.uniform(1200, 2200) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
        return ramp(np.sin(2 * np.pi * np.cumsum(f) / SR).astype(np.float32), 0.05)
    if kind == "tone":
        return periodic(rng.uniform(400, 1000), rng.uniform(0.8, 1.5), pick(["sine", "harmonics"]))
    if kind == "chirp":
        parts = []
        k = int(rng.integers(2, 4))
        for j in range(k):
            parts.append(chirp())
            if j < k - 1:
                parts.append(sil(rng.uniform(0.1, 0.2)))
        return np.concatenate(parts)
    raise ValueError(kind)


def fam_order():
    items = []
    plan = yn_plan("order")
    names = {"knocks": ("the knocking", "knocks"), "whistle": ("the whistle", "a whistle"),
             "tone": ("the beep", "a tone"), "chirp": ("the chirping", "bird chirps")}
    for i in range(10):
        kind = pick(["knocks", "whistle", "tone", "chirp"])
        the_ns, a_ns = names[kind]
        if i in plan:
            target = plan[i]
            sub = i % 4
            if sub == 0:
                q = pick(["Does the clip start with speech?", "Is speech the first thing you hear?"])
                speech_first = target
            elif sub == 1:
                q = pick(["Does the recording end with someone speaking?",
                          "Is the voice the last thing in the clip?"])
                speech_first = not target
            elif sub == 2:
                q = f"Is the voice heard before {the_ns}?"
                speech_first = target
            else:
                q = f"Does {the_ns} come first, before anyone talks?"
                speech_first = not target
            form, choices, ans = "yesno", yn_choices(), yn(target)
        else:
            speech_first = bool(rng.random() < 0.5)
            sub = int(rng.integers(0, 4))
            form = "choice"
            if sub == 0:
                q = f"Which comes first, the talking or {the_ns}?"
                opts = ("the talking", the_ns)
                ans = opts[0] if speech_first else opts[1]
            elif sub == 1:
                q = "What do you hear last?"
                opts = ("speech", a_ns)
                ans = opts[1] if speech_first else opts[0]
            elif sub == 2:
                q = "In what order do the sounds occur?"
                opts = (f"speech, then {a_ns}", f"{a_ns}, then speech")
                ans = opts[0] if speech_first else opts[1]
            else:
                q = "What opens the recording?"
                opts = ("a person speaking", a_ns)
                ans = opts[0] if speech_first else opts[1]
            choices = shuffled(list(opts))
        sp = speak(pick(SENTENCES), pick(ALL_VOICES), int(rng.integers(140, 181)))
        ns = nonspeech(kind) * rng.uniform(0.7, 1.0)
        a, b = (sp, ns) if speech_first else (ns, sp)
        audio = np.concatenate([sil(rng.uniform(0.2, 0.4)), a, sil(0.4), b, sil(rng.uniform(0.2, 0.4))])
        items.append(item("order", q, choices, ans, form, audio, {"speech_first": speech_first, "other": kind}))
    return items


def fam_gap():
    items = []
    plan = yn_plan("gap")
    for i in range(10):
        kind = pick(["hum", "noise", "chord"])
        what = {"hum": "hum", "noise": "noise", "chord": "chord"}[kind]
        if i in plan:
            target = plan[i]
            sub = i % 5
            if sub == 0:
                q = pick(["Is the sound interrupted at any point?", f"Is the {what} interrupted anywhere?"])
                has_gap = target
            elif sub == 1:
                q = pick(["Does the sound play continuously without a break?",
                          f"Does the {what} keep going without stopping?"])
                has_gap = not target
            elif sub == 2:
                q = pick(["Is there a short pause in the middle?", "Is there a break partway through?"])
                has_gap = target
            elif sub == 3:
                q = pick(["Is the sound unbroken from start to finish?",
                          "Is it one continuous sound the whole way through?"])
                has_gap = not target
            else:
                q = pick([f"Does the {what} stop briefly and then come back?",
                          "Does the sound cut out for a moment?"])
                has_gap = target
            form, choices, ans = "yesno", yn_choices(), yn(target)
        else:
            has_gap = bool(rng.random() < 0.5)
            form = "choice"
            sets = [("it's continuous", "it has a break"),
                    ("unbroken", "interrupted"),
                    ("it never stops", "it cuts out for a moment"),
                    ("no gap", "a silent gap"),
                    ("steady all the way through", "it drops out briefly in the middle")]
            opts = sets[int(rng.integers(len(sets)))]
            q = pick(["Which describes the sound better?", "Is the sound continuous or interrupted?",
                      f"What best describes the {what}?", "Listen to the whole clip. Which is true?",
                      "Does it have a gap, or is it continuous?"])
            ans = opts[1] if has_gap else opts[0]
            choices = shuffled(list(opts))
        sec = rng.uniform(3, 7)
        if has_gap:
            g = rng.uniform(0.4, 1.2)
            centre = sec * rng.uniform(0.4, 0.6)
            s0 = centre - g / 2
            full = steady(kind, sec)  # one continuous source, then silenced in the gap
            a = ramp(full[: int(s0 * SR)], 0.015)
            b = ramp(full[int((s0 + g) * SR):], 0.015)
            audio = np.concatenate([a, sil(g), b])
            meta = {"kind": kind, "gap": True, "gap_s": round(g, 3), "gap_start": round(s0, 3)}
        else:
            audio = steady(kind, sec)
            meta = {"kind": kind, "gap": False}
        audio = np.concatenate([sil(0.15), audio, sil(0.15)])
        items.append(item("gap", q, choices, ans, form, audio, meta))
    return items


def fam_tempo():
    items = []
    plan = yn_plan("tempo")
    for i in range(10):
        kind = pick(["knocks", "clicks"])
        bpm = int(rng.integers(60, 181))
        if i in plan:
            target = plan[i]
            sub = i % 2
            delta = int(5 * round(rng.uniform(20, 40) / 5))
            if sub == 0:
                N = bpm - delta if target else bpm + delta
                q = pick([f"Is it faster than {N} BPM?",
                          f"Is the beat quicker than {N} beats per minute?"])
                ans = yn(bpm > N)
            else:
                N = bpm + delta if target else bpm - delta
                q = pick([f"Is the tempo slower than {N} BPM?",
                          f"Are the {kind} coming at fewer than {N} per minute?"])
                ans = yn(bpm < N)
            form, choices = "yesno", yn_choices()
        else:
            form = "choice"
            vals = [bpm]
            tries = 0
            while len(vals) < 4:
                tries += 1
                assert tries < 10000, (bpm, vals)
                v = int(rng.integers(60, 181))  # same range and granularity as the true tempo
                octave = any(abs(v - r * bpm) <= 0.08 * r * bpm for r in (0.5, 2.0))
                if all(abs(v - u) >= 20 for u in vals) and not octave:
                    vals.append(v)
            fmt = pick(["bpm", "beats", "plain"])
            def f(v):
                return {"bpm": f"{v} BPM", "beats": f"about {v} beats per minute", "plain": str(v)}[fmt]
            choices = shuffled([f(v) for v in vals])
            ans = f(bpm)
            q = pick(["What is the tempo of this beat?",
                      "How fast is the beat, in BPM?",
                      f"At what rate do the {kind} repeat (beats per minute)?",
                      "Estimate the tempo.",
                      "Roughly how many beats per minute is this?",
                      "What BPM would you tap along at?"])
        sec = rng.uniform(6, 10)
        audio = sil(sec)
        period = 60.0 / bpm
        t = rng.uniform(0.05, 0.3)
        onsets = []
        while t < sec - 0.2:
            hit = knock() if kind == "knocks" else click()
            j = int(t * SR)
            seg = hit[: len(audio) - j]
            audio[j: j + len(seg)] += seg * rng.uniform(0.9, 1.0)
            onsets.append(round(t, 4))
            t += period
        items.append(item("tempo", q, choices, ans, form, audio,
                          {"kind": kind, "bpm": bpm, "seconds": round(sec, 3), "hits": len(onsets)}))
    return items


# ----------------------------------------------------------------------------- main
def generate(out: str, seed: int = SEED) -> list[dict]:
    """Write the clips to `out`/audio, `out`/items.json and `out`/params.json; return the items."""
    global rng
    rng = np.random.default_rng(seed)
    audio_dir = os.path.join(out, "audio")
    if os.path.isdir(audio_dir):
        shutil.rmtree(audio_dir)
    os.makedirs(audio_dir)
    items = []
    for fam in [fam_count, fam_pitch_compare, fam_note, fam_duration, fam_loudness, fam_phrase,
                fam_gender, fam_order, fam_gap, fam_tempo]:
        got = fam()
        assert len(got) == 10, fam.__name__
        items += got
    order = rng.permutation(len(items)).tolist()
    written, params = [], []
    for k, j in enumerate(order, 1):
        it = items[j]
        iid = f"h2-{k:03d}"
        sf.write(os.path.join(audio_dir, f"{iid}.wav"), finish(it["audio"]), SR, subtype="PCM_16")
        assert it["answer"] in it["choices"], (iid, it)
        assert len(set(it["choices"])) == len(it["choices"]), (iid, it["choices"])
        written.append({"id": iid, "audio_id": f"./audio/{iid}.wav", "question": it["question"],
                        "choices": it["choices"], "answer": it["answer"], "task": it["task"],
                        "split": "test", "expert_tool": it["expert_tool"], "dataset": "unseen_clips",
                        "form": it["form"]})
        params.append({"id": iid, "task": it["task"], **{key: (bool(v) if isinstance(v, np.bool_) else v)
                                                          for key, v in it["meta"].items()}})
    with open(os.path.join(out, "items.json"), "w") as fh:
        json.dump(written, fh, indent=1)
    with open(os.path.join(out, "params.json"), "w") as fh:
        json.dump(params, fh, indent=1)
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="data/unseen_clips")
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args()
    items = generate(args.out, args.seed)
    print(f"wrote {len(items)} items to {args.out}/items.json")


if __name__ == "__main__":
    main()
