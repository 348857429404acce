"""The environment side of routing: the frozen reasoner backends and prompt rendering."""
