"""One way to bound a call's wall time, for tools and the reasoner alike.

The call runs in a daemon thread and the caller waits at most `timeout_s`. Python cannot stop
a thread, so an overrunning call is abandoned, not killed: it keeps its CPU until it returns,
but the env runner, pool or evaluator that made it goes on. While an abandoned call of a name
is still running, a new call of that name fails at once instead of starting beside it: tool
and model objects are not made to be entered by two threads, and a stuck one stays stuck.
"""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")

DEFAULT_TOOL_TIMEOUT_S = 120.0  # config tool_timeout_s; the slowest built-in tool takes ~2 s per clip here
DEFAULT_REASONER_TIMEOUT_S = 600.0  # config reasoner_timeout_s; covers loading the model on the first call


class TimedCalls:
    """Calls bounded by `timeout_s` (None or 0: no limit and no thread)."""

    def __init__(self, timeout_s: float | None):
        self.timeout_s = float(timeout_s) if timeout_s else None
        self._abandoned: dict[str, threading.Thread] = {}

    def call(self, fn: Callable[[], T], name: str) -> T:
        """`fn()`, re-raising what it raises; TimeoutError naming `name` after `timeout_s`, or at
        once while an earlier call of `name` that overran is still running."""
        if not self.timeout_s:
            return fn()
        stuck = self._abandoned.get(name)
        if stuck is not None:
            if stuck.is_alive():
                raise TimeoutError(f"{name} is still running an earlier call that ran over {self.timeout_s:g} s; "
                                   "not started again")
            del self._abandoned[name]
        outcome: list = []

        def target() -> None:
            try:
                outcome.append((True, fn()))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append((False, exc))

        worker = threading.Thread(target=target, name=f"timed-{name}", daemon=True)
        worker.start()
        worker.join(self.timeout_s)
        if not outcome:
            self._abandoned[name] = worker
            raise TimeoutError(f"{name} ran over {self.timeout_s:g} s")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value
