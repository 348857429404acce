"""Entry points: the `audiorouter` CLI and config loading (Ray cluster wiring lands here later)."""
