"""Tools that fail on purpose, for the server's fault tests: one raises, one overruns its time limit."""
import time

from tools.base import BaseTool


class Broken(BaseTool):
    name = "broken"
    description = "Always raises."
    cost = 0.1
    version = "toy-1"

    def analyze(self, audio, question, choices):
        raise RuntimeError("this tool is broken on purpose")


class Sleepy(BaseTool):
    name = "sleepy"
    description = "Sleeps `seconds` (past tool_timeout_s), then says nothing useful."
    cost = 0.1
    version = "toy-1"

    def analyze(self, audio, question, choices):
        time.sleep(float(self.params.get("seconds", 3.0)))
        return {}, "The sleepy tool woke up."
