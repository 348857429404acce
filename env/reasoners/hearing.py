"""The embedded reasoner's own coarse hearing (`reasoner.hearing: true`), as an audio LM has.

SmolLM2 is text only: without tools it is at chance on every question, so the best policy always
calls a tool and the question the router exists for, whether a tool is needed at all, never
arises. A real LALM hears coarse properties of a clip (is there speech, roughly how long, does
it get louder) and fails on fine ones (a pitch in Hz, a count of seven beeps, who said what).
This front end gives SmolLM2 the coarse part: one line per clip, rendered as its own perception
in front of the tools' evidence, in every request of that clip except those where a tool measured
something the contrast rules can weigh (a measurement outranks an impression). It costs no tool
call and is the same under every routing policy, so it moves the `none` baseline and the reward's
no-tool side alike; the router then has to learn where a tool adds nothing.

What it hears (one clip decode, one level track, one silero-vad pass, ~0.1 s a clip):
- how long, coarsely: the nearest whole second below FINE_SECONDS (7.5 s), the nearest 5 s above;
- whether there is speech (silero-vad);
- the level's trend, only when it is large (more than 6 dB between the first and last quarter
  of the sound): a coarse listener hears a fade, not a 3 dB drift.

Each property also gets the line it would have been for the other outcomes (`contrasts`), so the
contrast rules read it as they read a tool's line.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from env.reasoners.types import ReasonRequest
from tools.base import load_audio
from tools.signal import frame_db

HEARING_VERSION = 3  # part of the reasoner id: bump when what it hears or how it says it changes
TREND_DB = 6.0  # the level change a coarse listener notices
FINE_SECONDS = 7.5  # below it a length is heard to the second, above it to 5 s


def coarse_seconds(seconds: float) -> int:
    """The nearest whole second below FINE_SECONDS, the nearest 5 s above (at least 1)."""
    return max(1, int(round(seconds))) if seconds < FINE_SECONDS else int(5 * round(seconds / 5))


def describe(seconds: int, speech: bool, trend: str) -> str:
    """Said without negation ("only other sounds", not "no speech"): the contrast rules tell
    which of two lines a question echoes, and "without speech" echoes a question about speech
    as much as "with speech" does."""
    text = f"Heard directly: a clip of about {seconds} second{'s' if seconds != 1 else ''}, "
    text += "in which someone speaks." if speech else "of other sounds only."
    if trend != "steady":
        text += f" It gets {trend}."
    return text


class CoarseHearing:
    """(line, contrasts) for a clip's path, memoized per path: a clip is heard once per process."""

    def __init__(self):
        self._heard: dict[str, tuple[str, tuple[str, ...]]] = {}

    def hear(self, path: str) -> tuple[str, tuple[str, ...]]:
        if path not in self._heard:
            self._heard[path] = self._listen(path)
        return self._heard[path]

    @staticmethod
    def _listen(path: str) -> tuple[str, tuple[str, ...]]:
        from tools.speech import speech_segments

        audio = load_audio(path)
        seconds = coarse_seconds(audio.duration)
        speech = bool(speech_segments(audio))
        db = frame_db(audio.samples, audio.sample_rate)
        sound = db[db > np.max(db) - 30]  # the sound, not the silence around it
        quarter = max(1, len(sound) // 4)
        change = float(np.mean(sound[-quarter:]) - np.mean(sound[:quarter]))
        trend = "louder" if change > TREND_DB else "quieter" if change < -TREND_DB else "steady"
        step = 1 if seconds < FINE_SECONDS else 5  # the alternatives at the resolution it hears
        alternatives = [describe(s, speech, trend) for s in (seconds - 2 * step, seconds - step, seconds + step,
                                                             seconds + 2 * step) if s >= 1]
        alternatives.append(describe(seconds, not speech, trend))
        alternatives += [describe(seconds, speech, t) for t in ("louder", "quieter", "steady") if t != trend]
        return describe(seconds, speech, trend), tuple(alternatives)

    def with_hearing(self, requests: Sequence[ReasonRequest]) -> list[ReasonRequest]:
        """Each request with the clip's line first in its evidence, with its contrasts; a request
        without a clip is unchanged. A measurement outranks an impression: a request where a tool's
        line has alternatives (a measurement the contrast rules can weigh) is left as it is.
        Hearing v2 kept the heard line there as context without its alternatives; it still moved
        the answers the tool settled ("It gets quieter." heard and measured, and "Does it die away
        over time?" went from yes to no), since a yes/no question about no word of either line
        is scored after every line (docs/PROMPTS.md "Hearing v3")."""
        out = []
        for r in requests:
            if not r.audio or any(r.contrasts):
                out.append(r)
                continue
            line, alternatives = self.hear(r.audio)
            contrasts = tuple(r.contrasts) + ((),) * max(0, len(r.tool_texts) - len(r.contrasts))
            out.append(ReasonRequest(r.question, r.choices, (line,) + tuple(r.tool_texts), r.audio,
                                     (alternatives,) + contrasts))
        return out
