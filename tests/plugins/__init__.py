"""Toy plug-ins, one per extension kind (docs/EXTENDING.md), living outside the project's
packages: each is named in a config by `class:` and runs end to end (tests/test_plugins.py)
with no change inside tools/, env/, policy/, eval/ or cluster/."""
