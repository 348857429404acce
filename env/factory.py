"""Building an AudioToolEnv from a plain config dict (what RLlib passes to each env runner).

    env_config = {"data": "data/probe", "split": "train", "max_items": 200,
                  "audio_root": None, "allowed_roots": [],   # data.audio_root / data.allowed_roots
                  "tools": [...], "reasoner": {...}, "cache_dir": ".cache/audiorouter",
                  "max_calls": 3, "reward": "relative", "cost_weight": 0.02,
                  "pools": {"tools": {"names": [...], "namespace": ...}, "reasoner": {...}}}

Without `pools`, each env runner builds its own tools and reasoner (one model copy per runner;
fine for one process). With `pools` (what `train` sets when it starts the shared worker pools),
the runner finds the pools' named actors and sends them its cache misses: it reads the on-disk
caches the pools write, and loads no tool or reasoner model itself.
With `num_envs` (RLlib's vector entry point) it returns a `BatchedVectorEnv` of that many envs
sharing one executor and reasoner, so a step makes one batched call to each pool.
"""
from __future__ import annotations


from dataclasses import dataclass
from typing import Any, Optional

from env.admission import admit_items
from env.audio_tool_env import AudioToolEnv, checked_confidence_floor, checked_confidence_span
from env.features import QuestionEncoder, check_relevance_match, relevance_text
from env.items import AudioPaths, load_items
from env.rewards import build_reward
from env.runtime import cached_reasoner, tool_executor
from tools.sections import option


@dataclass
class EnvConfig:
    """Config section `train.env`: the episodes PPO trains on (env/audio_tool_env.py)."""

    data: Optional[str] = option(None, "training data: a folder with items.json, or a manifest "
                                 "(demo/train: the generated probe benchmark)")
    split: Optional[str] = option("train", "split the episodes draw their items from (null or all: every item)")
    max_items: Optional[int] = option(None, "the first N items of the split only (null: all)")
    max_calls: int = option(3, "tool calls per episode at most")
    reward: Any = option("relative", "relative (with tools - without), relative_prob (the same in the reasoner's "
                         "probability of the correct choice), relative_mixed (relative + 0.25 x relative_prob's "
                         "gain), relative_sure (relative_mixed, a wrong-to-right turn paid the probability "
                         "of the correct choice, not 1), relative_expected (correct with tools - the no-tool "
                         "probability of the correct choice), outcome (with tools), or {class: pkg.mod.Reward, "
                         "...params}; minus cost_weight x cost (env/rewards.py)")
    cost_weight: float = option(0.0, "weight of the summed tool costs in the reward")
    call_cost: float = option(0.0, "a flat price per tool call in the reward, whatever the tool costs")
    result_features: bool = option(False, "the observation holds what each called tool found (its "
                                          "feature_vector); off: which tools were called and succeeded only")
    question_embedding: bool = option(True, "the observation holds the question's MiniLM embedding; false: "
                                             "only its relevance to each tool's description")
    audio_descriptors: bool = option(True, "the observation holds the clip's eight audio descriptors; false: left "
                                           "out (on families never trained on they sent questions to the tool of a "
                                           "trained family whose clips sound alike: docs/RESULTS.md)")
    relevance_of: str = option("question", "the relevance block is each tool description's cosine with the "
                                           "question, or with question_and_choices (the question, then its "
                                           "choices), or with question_without_quotes (quoted spans masked, "
                                           "in the question and the tools' example questions)")
    relevance_match: str = option("description", "how the question meets each tool's description: the whole "
                                                 "description, clauses (the mean of that cosine and the best of "
                                                 "its clauses'), examples (the mean of those two and the best "
                                                 "cosine with the tool's example questions), or "
                                                 "clauses_and_examples (the best clause's and the best example's), "
                                                 "or clauses_examples_and_classifier (that plus half a linear "
                                                 "classifier's probability of the tool, fit to all tools' texts)")
    reasoner_confidence: bool = option(False, "the observation holds how sure the reasoner is of its no-tool "
                                              "answer (top probability minus the runner-up's; one reasoner call "
                                              "per item before routing): with reasoner.hearing, where it heard")
    reasoner_confidence_floor: float = option(0.0, "with reasoner_confidence, the margin is observed less this floor, "
                                                   "at least 0: a toss-up's exact margin says nothing of the clip")
    reasoner_confidence_span: float = option(0.0, "with reasoner_confidence, > 0: the margin above the floor is "
                                                  "observed over this span, 0 to 1 (a margin the span or more above "
                                                  "the floor reads 1: a sure answer reads as sure, whatever its "
                                                  "exact margin); 0: as it is")
    shuffle: bool = option(True, "draw items in a shuffled order (false: in file order)")

    def __post_init__(self):
        build_reward(self.reward)  # an unknown name or a bad plug-in is refused when the config loads
        relevance_text("", (), self.relevance_of)  # so is an unknown relevance_of
        check_relevance_match(self.relevance_match)  # and an unknown relevance_match
        checked_confidence_floor(self.reasoner_confidence_floor)  # and a floor outside [0, 1)
        checked_confidence_span(self.reasoner_confidence_span)  # and a span outside [0, 1]


def training_items(items: list, max_items: int | None) -> tuple[list, list]:
    """(the items an env trains on, the answered items it leaves out): answered items in file order,
    the first `max_items` of them (None or 0: all). The second part is eval's `unused` split."""
    answered = [i for i in items if i.answer is not None]
    n = int(max_items) if max_items else len(answered)
    return answered[:n], answered[n:]


def make_env(env_config: dict):
    cfg = dict(env_config)
    paths = AudioPaths(cfg.get("audio_root"), tuple(cfg.get("allowed_roots") or ()))
    items, rejected = load_items(cfg["data"], split=cfg.get("split", EnvConfig.split), paths=paths)
    # the reward needs the answer: an item whose answer is withheld (MMAU test) cannot train a router
    rejected += [{"id": i.id, "stage": "manifest", "reason": f"{cfg['data']} item {i.id}: answer withheld, "
                  "nothing to train on"} for i in items if i.answer is None]
    items, _ = training_items(items, cfg.get("max_items"))
    pools = cfg.get("pools") or {}
    remote_tools = remote_reasoner = None  # a pool with no actors (replicas 0) is run here instead
    if (pools.get("tools") or {}).get("names"):
        from env.remote import ToolPoolClient

        remote_tools = ToolPoolClient(pools["tools"])
    if (pools.get("reasoner") or {}).get("names"):
        from env.remote import ReasonerPoolClient

        remote_reasoner = ReasonerPoolClient(pools["reasoner"])
    # a pool writes the cache it serves; the runner's copy only reads it
    executor = tool_executor(cfg, remote=remote_tools, read_only=remote_tools is not None, flush_every=64)
    reasoner = cached_reasoner(cfg, backend=remote_reasoner, read_only=remote_reasoner is not None, flush_every=64)
    encoder = QuestionEncoder()
    # bad manifest entries and audio that does not decode are known before the first episode
    # (the driver checks max_bad_fraction on them); files that go bad later, at reset
    items, bad_audio = admit_items(items, executor)
    known_bad = rejected + bad_audio
    if not items:
        raise ValueError(f"{cfg['data']}: no usable item in split {cfg.get('split', 'train')!r} "
                         f"({len(known_bad)} rejected, e.g. {known_bad[:1]})")

    def one_env() -> AudioToolEnv:
        env = AudioToolEnv(items, executor, reasoner, encoder, max_calls=int(cfg.get("max_calls", EnvConfig.max_calls)),
                           reward=cfg.get("reward", EnvConfig.reward),
                           cost_weight=float(cfg.get("cost_weight", EnvConfig.cost_weight)),
                           call_cost=float(cfg.get("call_cost", EnvConfig.call_cost)),
                           shuffle=bool(cfg.get("shuffle", EnvConfig.shuffle)),
                           result_features=bool(cfg.get("result_features", EnvConfig.result_features)),
                           question_embedding=bool(cfg.get("question_embedding", EnvConfig.question_embedding)),
                           audio_descriptors=bool(cfg.get("audio_descriptors", EnvConfig.audio_descriptors)),
                           relevance_of=str(cfg.get("relevance_of", EnvConfig.relevance_of)),
                           reasoner_confidence=bool(cfg.get("reasoner_confidence", EnvConfig.reasoner_confidence)),
                           relevance_match=str(cfg.get("relevance_match", EnvConfig.relevance_match)),
                           confidence_floor=float(cfg.get("reasoner_confidence_floor",
                                                          EnvConfig.reasoner_confidence_floor)),
                           confidence_span=float(cfg.get("reasoner_confidence_span",
                                                         EnvConfig.reasoner_confidence_span)))
        env.rejected = [dict(r) for r in known_bad]  # what the runner reports as bad_items
        return env

    if "num_envs" in cfg:
        from env.vector import BatchedVectorEnv

        return BatchedVectorEnv([one_env for _ in range(int(cfg["num_envs"]))])
    return one_env()


def cache_counters(env) -> dict[str, float]:
    """Hits and misses of the tool and reasoner caches behind `env` (a plain or vectorized
    AudioToolEnv, wrapped or not), and the seconds its reasoner spent on the misses; caches shared
    by sub-envs count once."""
    inner = getattr(env, "unwrapped", env)
    envs = [e.unwrapped for e in getattr(inner, "envs", [inner])]
    counts = {"tool_cache_hits": 0, "tool_cache_misses": 0, "reasoner_cache_hits": 0, "reasoner_cache_misses": 0,
              "reasoner_seconds": 0.0}
    reasoners = {id(e.reasoner): e.reasoner for e in envs if hasattr(e, "reasoner")}
    counts["reasoner_seconds"] = sum(getattr(r, "compute_seconds", 0.0) for r in reasoners.values())
    seen = set()
    for e in envs:
        for prefix, cache in (("tool", getattr(getattr(e, "executor", None), "cache", None)),
                              ("reasoner", getattr(getattr(e, "reasoner", None), "cache", None))):
            if cache is None or id(cache) in seen:
                continue
            seen.add(id(cache))
            counts[f"{prefix}_cache_hits"] += cache.hits
            counts[f"{prefix}_cache_misses"] += cache.misses
    return counts


def bad_item_count(env) -> int:
    """Items `env` (plain or vectorized) has rejected so far; sub-envs hold the same items, so
    the largest count among them."""
    inner = getattr(env, "unwrapped", env)
    return max((len(e.unwrapped.rejected) for e in getattr(inner, "envs", [inner])), default=0)
