"""A tool: how many separate loud bursts the clip has (a crude beep counter)."""
import numpy as np

from tools.base import BaseTool


class BurstCounter(BaseTool):
    name = "bursts"
    description = "Counts separate loud bursts (frames over a threshold)."
    cost = 0.1
    version = "toy-1"

    def applicable(self, question, choices):
        return "how many" in question.lower()  # a precondition on the question: counting questions only

    def analyze(self, audio, question, choices):
        frame = audio.sample_rate // 100  # 10 ms
        n = len(audio.samples) // frame
        loud = np.abs(audio.samples[: n * frame]).reshape(n, frame).max(axis=1) > float(self.params.get("level", 0.1))
        bursts = int(np.sum(loud[1:] & ~loud[:-1]) + loud[0]) if n else 0
        return {"bursts": bursts}, f"Number of loud bursts: {bursts}."
