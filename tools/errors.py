"""The project's error for what the user has to change, as the CLI reports it (one line, exit 2).

Bad input is a ValueError (a bad config key is `ConfigError`, bad audio `AudioError`, both
ValueErrors); `SetupError` is the rest the user fixes outside the code: a missing package or
program, data with no usable item, too many bad items, a server that cannot be reached. Anything
else that escapes is a bug and keeps its traceback.
"""
from __future__ import annotations


class SetupError(RuntimeError):
    """The machine, the data or a server must change before the command can run."""
