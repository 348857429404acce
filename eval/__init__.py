"""Evaluation: dataset adapters and prediction files, routing systems, the benchmark runner, the
probe and hostile-dataset generators, MLflow logging, plots and reports."""
