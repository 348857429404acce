"""Datasets (probe generator, MMAU-schema loader), scoring, fixed baselines, the benchmark runner."""
