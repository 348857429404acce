"""Tools that fail on purpose, for the server's fault tests: one raises, one overruns its time limit."""
import time

from tools.base import BaseTool


class Broken(BaseTool):
    name, description, cost, version = "broken", "Always raises.", 0.1, "toy-1"

    def analyze(self, audio, question, choices):
        raise RuntimeError("this tool is broken on purpose")


class Sleepy(BaseTool):
    name, description, cost, version = "sleepy", "Sleeps `seconds` (past tool_timeout_s).", 0.1, "toy-1"

    def analyze(self, audio, question, choices):
        time.sleep(float(self.params.get("seconds", 3.0)))
        return {}, "The sleepy tool woke up."
