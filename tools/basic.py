"""Level and length: clip duration and the loudness trend."""
from __future__ import annotations

import numpy as np

from tools.base import Audio, BaseTool
from tools.signal import HOP_SECONDS, frame_db


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


class DurationTool(BaseTool):
    name = "duration"
    description = "Length of the clip in seconds."
    cost = 0.05

    def analyze(self, audio: Audio, question, choices):
        seconds = audio.duration
        return {"seconds": round(seconds, 3)}, f"The clip lasts {seconds:.1f} seconds, about {_seconds(round(seconds))}."


class LoudnessTool(BaseTool):
    name = "loudness"
    description = "Loudness over time: level at start and end and whether it rises or falls."
    cost = 0.1

    def analyze(self, audio: Audio, question, choices):
        db = frame_db(audio.samples, audio.sample_rate)
        t = np.arange(len(db)) * HOP_SECONDS
        active = db > np.max(db) - 50  # ignore digital silence around the sound
        slope, intercept = np.polyfit(t[active], db[active], 1)
        start_db = float(intercept + slope * t[active][0])
        end_db = float(intercept + slope * t[active][-1])
        change = end_db - start_db
        if change > 3:
            trend, text = "louder", f"The level rises from {start_db:.0f} dB to {end_db:.0f} dB: the sound gets louder."
        elif change < -3:
            trend, text = "quieter", f"The level falls from {start_db:.0f} dB to {end_db:.0f} dB: the sound gets quieter."
        else:
            trend, text = "steady", f"The level stays around {np.mean(db[active]):.0f} dB: the loudness is steady."
        data = {"start_db": round(start_db, 2), "end_db": round(end_db, 2), "slope_db_per_s": round(float(slope), 3),
                "trend": trend, "peak_db": round(float(np.max(db)), 2)}
        return data, text
