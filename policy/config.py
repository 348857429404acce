"""Config section `train` (`TrainConfig`), apart from policy/ppo.py so that reading a config
does not import RLlib."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from env.factory import EnvConfig
from tools.sections import build_section, option

DEFAULT_HIDDEN = (128, 128)  # the router MLP's hidden layer widths


@dataclass
class TrainConfig:
    """Config section `train`: PPO, its runners and learners, checkpoints. Without the section,
    `demo` runs the fixed baselines only."""

    env: EnvConfig = option(EnvConfig(), "the episodes (train.env)")
    iterations: int = option(20, "PPO iterations")
    checkpoint_every: int = option(5, "iterations between checkpoints (and MLflow metric commits)")
    run_dir: Optional[str] = option(None, "checkpoints, router.pt, results (default runs/train-<time>; demo: runs/demo)")
    tool_workers: int = option(2, "Ray tool workers that fill the tool cache before PPO (0: in-process)")
    num_env_runners: int = option(0, "0: sample in the driver process (one reasoner copy)")
    num_envs_per_env_runner: int = option(1, ">1: a BatchedVectorEnv, one batched pool call per step")
    num_learners: int = option(0, "learner actors (0: learn in the driver)")
    num_gpus_per_learner: float = option(0.0, "GPUs per learner actor")
    lr: float = option(3e-4, "learning rate (RLlib's default 5e-5 barely learns on problems this small)")
    lr_final: Optional[float] = option(None, "anneal the learning rate linearly from lr to this over the run's "
                                             "iterations (null: constant lr)")
    train_batch_size: int = option(256, "env steps per iteration, per learner")
    minibatch_size: int = option(64, "SGD minibatch")
    num_epochs: int = option(6, "SGD passes over each batch")
    entropy_coeff: float = option(0.01, "entropy bonus")
    hidden: list[int] = option(list(DEFAULT_HIDDEN), "router MLP hidden layer widths")
    novelty_threshold: float = option(0.0, "route a question whose highest cosine with the training questions is "
                                           "below this by its relevance to the tools' descriptions, not by the "
                                           "trained policy (0: never; router.pt keeps the training questions)")
    novelty_reading: str = option("question", "what a question's familiarity (its cosine with the training questions) "
                                              "is read of: question, or question_without_numbers (the numbers it "
                                              "names masked: the values asked about are not the wording)")
    novelty_neighbour_weight: float = option(0.0, "such a question's score for a tool adds this times how far its "
                                                  "highest cosine with a training question the policy routes to "
                                                  "that tool lies above novelty_neighbour_floor (0: relevance only)")
    novelty_neighbour_floor: float = option(0.6, "the cosine with a training question below which it lends no support")
    novelty_relevance_of: str = option("", "what such a question's relevance is the relevance of (env.relevance_of's "
                                           "values; empty: what the policy reads, env.relevance_of). The demo's "
                                           "question_and_choices_without_words_said: a multiple-choice question's "
                                           "options name the kind of answer wanted, unless they are what is said")
    novelty_relevance_match: str = option("", "how such a question meets each tool's description (env.relevance_match's "
                                              "values; empty: the policy's). The demo's "
                                              "clauses_examples_and_classifier: without the whole description's "
                                              "cosine, which counts against a tool that does several things, and "
                                              "with a classifier that weighs the words telling tools apart")
    novelty_second_tool_margin: float = option(0.0, "such a question's fallback also calls the runner-up tool when its "
                                                    "relevance lies within this of the best one's (0: one tool; "
                                                    "the episode's budget grows to two for it)")
    seed: int = option(0, "RLlib seed")

    def __post_init__(self):
        if self.lr_final is not None and self.lr_final < 0:
            raise ValueError(f"lr_final must be at least 0 (or null), got {self.lr_final}")


def train_section(cfg: dict) -> TrainConfig:
    """The `train` section of a plain config, typed (a config from `load_config` is already valid)."""
    return build_section(TrainConfig, cfg.get("train"), "train")
