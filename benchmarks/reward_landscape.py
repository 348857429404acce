"""What each reward pays every first action on every training item: the landscape PPO climbs.

    python benchmarks/reward_landscape.py --config configs/demo_hearing.yaml \
        --rewards relative,relative_mixed,relative_sure --json out.json
    python benchmarks/reward_landscape.py --config configs/demo_hearing.yaml --set train.env.cost_weight=0.2 \
        --rewards relative_mixed,config

No training: the env is built as `audiorouter train` builds it (its items, tools, reasoner and
caches), and on each training item every allowed first action is taken once (a tool, then the
answer; or the answer at once). Each reward named is read from the same outcomes, less the
config's `cost_weight` x tool cost + `call_cost` per call; `config` names the config's own reward
with its parameters (the hearing config's `guess_margin`). Printed per reward:

- the items whose no-tool answer is wrong: on how many the family's expert tool earns the most;
- the wordings (a question with its numbers and quoted spans masked, per family): on how many the
  action with the highest mean reward over the wording's items is the expert tool, or no tool
  where the no-tool answer is right on at least 90% of them; and the wordings that are not.

And once, whatever the reward: where the no-tool answer is wrong, how often a tool that is not
the family's expert turns it right anyway (by chance: any line in the prompt moves the answer),
and the reasoner's median probability of the correct choice when the expert's evidence made it
right vs when another tool's did. A wording with three training items whose "no"s another line
turns right by chance teaches the router that line (docs/RESULTS.md "The reward landscape").
One pass is a few thousand reasoner calls, cached: seconds once the demo has run.
(benchmarks/baseline_replay.py asks a different question of the same items: what a tool's line
is worth against the same tool on other clips.)
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tqdm import tqdm  # noqa: E402

from cluster.config import load_config  # noqa: E402
from env.factory import make_env  # noqa: E402
from env.features import without_quotes  # noqa: E402
from env.rewards import REWARDS, Outcome, Reward, build_reward  # noqa: E402
from policy.ppo import build_ppo_config  # noqa: E402
from tools.base import AudioError  # noqa: E402
from tools.mentions import without_numbers  # noqa: E402

NO_TOOL = "(no tool)"
HEARD = 0.9  # a wording's no-tool accuracy at which answering without a tool counts as right


def wording(question: str) -> str:
    """The question as a template: numbers and quoted spans masked ("Is this clip # s long?")."""
    return without_numbers(without_quotes(question))


def first_action_outcomes(env, progress: bool = True) -> tuple[list[dict], list[str]]:
    """Per training item, the Outcome of each allowed first action (tool name or NO_TOOL); and the
    ids of the items skipped because their audio does not decode (training skips them too)."""
    rows, skipped = [], []
    for item in tqdm(env.items, desc="first actions", unit="item", disable=not progress):
        try:
            mask = env.start(item)["action_mask"]
        except AudioError:
            skipped.append(item.id)
            continue
        outcomes = {}
        for action in range(env.n_tools + 1):
            if not mask[action]:
                continue
            tool = None if action == env.answer_action else env.tool_names[action]
            results = env.executor.run(item.audio, item.question, item.choices, [tool]) if tool else []
            requests = env.requests(results)
            with_tools, without = env.reasoner.answer_batch(requests)
            outcomes[tool or NO_TOOL] = Outcome(
                item, with_tools, without, [tool] if tool else [], float(env.costs[action]) if tool else 0.0,
                env.cost_weight, env.call_cost, reasoner_hears=env.reasoner_hears,
                evidence=any(t.strip() for t in requests[0].tool_texts))
        rows.append({"item": item, "outcomes": outcomes})
    return rows, skipped


def chance_turns(rows: list[dict]) -> dict:
    """Where the no-tool answer is wrong: how often the expert's and other tools' evidence turn it
    right, and the median probability of the correct choice where each did."""
    turned = {"expert": [], "other": []}
    p_right = {"expert": [], "other": []}
    for row in rows:
        item, outcomes = row["item"], row["outcomes"]
        for tool, outcome in outcomes.items():
            if tool == NO_TOOL:
                continue
            side = "expert" if tool == item.expert_tool else "other"
            if not outcome.correct_without_tools:
                turned[side].append(outcome.correct)
                if outcome.correct:
                    p_right[side].append(outcome.p_correct)
    return {side: {"wrong_turned_right": round(statistics.fmean(turned[side]), 3) if turned[side] else None,
                   "median_p_when_turned": round(statistics.median(p_right[side]), 3) if p_right[side] else None}
            for side in turned}


def rank(rows: list[dict], reward) -> dict:
    """Under `reward`: the expert's place on items answered wrong without a tool, and per wording."""
    expert_best = wrong_items = 0
    by_wording: dict[tuple, list[dict]] = collections.defaultdict(list)
    for row in rows:
        item, outcomes = row["item"], row["outcomes"]
        paid = {tool: reward(outcome) for tool, outcome in outcomes.items()}
        by_wording[(item.task, wording(item.question))].append(
            {"item": item, "paid": paid, "heard": outcomes[NO_TOOL].correct_without_tools})
        if not outcomes[NO_TOOL].correct_without_tools and item.expert_tool in paid:
            wrong_items += 1
            expert_best += max(paid, key=paid.get) == item.expert_tool
    right, misled = 0, []
    for (task, text), members in sorted(by_wording.items()):
        mean = collections.defaultdict(float)
        for member in members:
            for tool, value in member["paid"].items():
                mean[tool] += value / len(members)
        best = max(mean, key=mean.get)
        expert = members[0]["item"].expert_tool
        heard = statistics.fmean(float(m["heard"]) for m in members)
        if best == expert or (best == NO_TOOL and heard >= HEARD):
            right += 1
        else:
            misled.append({"family": task, "wording": text, "items": len(members), "best": best,
                           "best_mean": round(mean[best], 3), "expert_mean": round(mean.get(expert, float("nan")), 3),
                           "no_tool_accuracy": round(heard, 2)})
    return {"wrong_items": wrong_items, "expert_best": expert_best, "wordings": len(by_wording),
            "wordings_right": right, "misled": misled}


def reward_named(name: str, env) -> Reward:
    """A registered reward, or (`config`) the env's own: the reward the config trains with."""
    return env.reward if name == "config" else build_reward(name)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/demo_hearing.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a config override, as train's")
    p.add_argument("--rewards", default=",".join(REWARDS) + ",config",
                   help="registered reward names, comma-separated; `config`: the config's own train.env.reward "
                        "(a {class: ...} mapping with its parameters, e.g. the hearing config's guess_margin)")
    p.add_argument("--json", help="also write the tables here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args()
    env_config = dict(build_ppo_config(load_config(args.config, args.set)).env_config)
    env_config.pop("num_envs", None)  # one plain env: the items in file order
    env = make_env(env_config)
    rows, skipped = first_action_outcomes(env, progress=not args.quiet)
    if skipped:
        print(f"{len(skipped)} items skipped, their audio does not decode: {', '.join(skipped[:5])}")
    report = {"config": args.config, "overrides": args.set, "items": len(rows), "skipped": skipped,
              "cost_weight": env.cost_weight,
              "call_cost": env.call_cost, "chance": chance_turns(rows), "rewards": {}}
    chance = report["chance"]
    print(f"{len(rows)} training items; where the no-tool answer is wrong, the expert's evidence turns it right "
          f"{chance['expert']['wrong_turned_right']:.0%} of the time, another tool's "
          f"{chance['other']['wrong_turned_right']:.0%}; median p(correct) where it did: expert "
          f"{chance['expert']['median_p_when_turned']}, other {chance['other']['median_p_when_turned']}")
    print("\n| reward | expert earns most (no-tool wrong) | wordings whose best action is right |\n|---|---|---|")
    for name in args.rewards.split(","):
        ranked = report["rewards"][name] = rank(rows, reward_named(name, env))
        print(f"| {name} | {ranked['expert_best']} / {ranked['wrong_items']} | "
              f"{ranked['wordings_right']} / {ranked['wordings']} |")
    for name, ranked in report["rewards"].items():
        for m in ranked["misled"]:
            print(f"  {name}: {m['family']} \"{m['wording']}\" ({m['items']} items, no tool right on "
                  f"{m['no_tool_accuracy']:.0%}): {m['best']} {m['best_mean']:+.2f} vs expert {m['expert_mean']:+.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
