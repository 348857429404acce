"""Clips of one, two or three different people speaking in turn, for `question_wordings.py --set speakers`.

The probe's `speakers` family asks how many people speak in a handful of wordings; nothing checked
how the reasoner reads the speaker counter's line ("Two people speak in the clip.") when the
question is worded otherwise ("Is this a monologue?", "Can more than one voice be heard?"). These
clips hold 2-4 sentences (benchmarks/unseen_clips.py's, not the probe's) said in turn by one
voice, or by two or three voices of different pitch bands, at another speed per clip, over white,
pink or brown noise 15-30 dB down. Three clips per count, deterministic for a seed. `params.json`
holds each clip's `n` (the number of people, what the questions ask about) and how it was drawn.

Why pitch bands: the counter groups utterances by their median voice pitch, and two espeak
variants of one register are mostly one group (docs/BENCHMARKS.md, tool checks); that is the
counter's limit, measured there. This set measures how the reasoner reads the counter's line, so
its voices are ones the counter tells apart: the bands' median pitches (measured with the
counter's own pitch track, two sentences each) are 84-95 Hz, 129-146 Hz and 201-246 Hz, at least
5.3 semitones apart where the counter joins voices within 3.8.

    python benchmarks/speaker_clips.py --out data/speaker_clips
    python benchmarks/question_wordings.py --set speakers --clips data/speaker_clips
"""
from __future__ import annotations

import numpy as np

try:  # imported as a module (tests)
    from benchmarks.speech_count_clips import in_turns, main, write_clips
except ImportError:  # run as a script: benchmarks/ is on the path
    from speech_count_clips import in_turns, main, write_clips

SEED = 5151
COUNTS = (1, 2, 3)
CLIPS_PER_COUNT = 3
PITCH_BANDS = (
    ("en-us+m1", "en-us+m4", "en-us+Andy", "en-us+Mike", "en-us+m8", "en-us+paul"),  # 84-95 Hz
    ("en-us+Marco", "en-us+Nguyen"),  # 129-146 Hz
    ("en-us+f5", "en-us+f3", "en-us+belinda", "en-us+linda", "en-us+Annie", "en-us+Alicia"),  # 201-246 Hz
)


def clip(rng: np.random.Generator, n: int, lines: list[str]) -> tuple[np.ndarray, dict]:
    """2-4 sentences (at least one per person) said in turn by `n` voices of different pitch bands."""
    bands = sorted(int(b) for b in rng.choice(len(PITCH_BANDS), size=n, replace=False))
    voices = [str(rng.choice(PITCH_BANDS[b])) for b in bands]
    rng.shuffle(voices)
    speed = int(rng.integers(140, 191))
    said = [lines[int(i)] for i in rng.choice(len(lines), size=int(rng.integers(max(2, n), 5)), replace=False)]
    audio, drawn = in_turns(rng, said, voices, speed)
    return audio, {"n": n, **drawn}


def generate(out: str, seed: int = SEED) -> list[dict]:
    """Write audio/<id>.wav and params.json under `out`; return the params."""
    return write_clips(out, seed, COUNTS, CLIPS_PER_COUNT, clip, "sp", "speakers")


if __name__ == "__main__":
    main(__doc__, generate, "data/speaker_clips", SEED)
