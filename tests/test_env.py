"""AudioToolEnv: gymnasium's checker, masking, budget, rewards (real tools, MiniLM; stand-in reasoner)."""
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from conftest import EchoReasoner
from env.audio_tool_env import AudioToolEnv
from env.features import QuestionEncoder
from env.reasoners import CachedReasoner
from eval.datasets import load_items
from eval.probe import generate
from tools.cache import ParquetCache
from tools.executor import ToolExecutor
from tools.registry import build_tools


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    generate(str(folder), 20, seed=11, progress=False)
    return load_items(str(folder))[0]


def test_loading_the_sentence_encoder_draws_no_transformers_bar(capfd):
    """transformers' "Loading weights" bar broke the PPO and evaluation bars in every env and
    evaluation that loads the encoder; it is off while the encoder loads and as it was afterwards."""
    from transformers.utils import logging as transformers_logging

    assert transformers_logging.is_progress_bar_enabled()
    QuestionEncoder()
    assert "Loading weights" not in capfd.readouterr().err and transformers_logging.is_progress_bar_enabled()


def make_env(probe, encoder, tmp_path, **kw):
    executor = ToolExecutor(build_tools(), ParquetCache(str(tmp_path / "tools")))
    reasoner = CachedReasoner(EchoReasoner(), ParquetCache(None))
    return AudioToolEnv(probe, executor, reasoner, encoder, **kw)


def test_passes_gymnasium_env_checker(probe, encoder, tmp_path):
    env = make_env(probe, encoder, tmp_path)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs["action_mask"][env.answer_action] == 1


def test_mask_budget_and_relative_reward(probe, encoder, tmp_path):
    pitch_item = next(i for i in probe if i.task == "pitch_compare")
    env = make_env([pitch_item], encoder, tmp_path, max_calls=2, cost_weight=0.1)
    obs, _ = env.reset(seed=0)
    names = env.tool_names
    # "higher"/"lower" are dictionary words, but the question does not ask what is said
    assert obs["action_mask"][names.index("phrase_spot")] == 0
    obs, r, done, trunc, info = env.step(names.index("pitch"))
    assert not done and r == 0.0 and obs["action_mask"][names.index("pitch")] == 0
    obs, r, done, trunc, info = env.step(names.index("duration"))  # second call spends the budget
    assert done and info["tools"] == ["pitch", "duration"]
    cost = env.costs[[names.index("pitch"), names.index("duration")]].sum()
    assert info["cost"] == pytest.approx(cost)
    # the stand-in answers from the pitch text; without tools it says the first choice
    expected = float(info["correct"]) - float(info["correct_without_tools"]) - 0.1 * cost
    assert r == pytest.approx(expected) and info["correct"] is True
    # a flat price per call comes on top, whatever the tools cost: two calls, twice the price
    flat = make_env([pitch_item], encoder, tmp_path, max_calls=2, cost_weight=0.1, call_cost=0.25)
    flat.reset(seed=0)
    flat.step(names.index("pitch"))
    _, r_flat, done, _, _ = flat.step(names.index("duration"))
    assert done and r_flat == pytest.approx(expected - 2 * 0.25)


def test_a_routing_only_episode_never_asks_the_reasoner(probe, encoder, tmp_path):
    """score=False (a trained router choosing tools in eval or serving): the same tools and costs,
    no reasoner call (no reward to compute: the caller asks the reasoner once, with the tools)."""
    pitch_item = next(i for i in probe if i.task == "pitch_compare")
    env = make_env([pitch_item], encoder, tmp_path, max_calls=2, score=False)
    asked = []
    env.reasoner.answer_batch = lambda requests: asked.append(requests)
    env.reset(seed=0)
    env.step(env.tool_names.index("pitch"))
    obs, r, done, _, info = env.step(env.tool_names.index("duration"))
    assert done and r == 0.0 and asked == [] and info["tools"] == ["pitch", "duration"] and "correct" not in info
    assert info["cost"] == pytest.approx(env.costs[[env.tool_names.index(n) for n in info["tools"]]].sum())


def test_outcome_reward_and_masked_action_ends_episode(probe, encoder, tmp_path):
    env = make_env(probe[:3], encoder, tmp_path, reward="outcome")
    env.reset(seed=1)
    env.step(0)
    obs, r, done, _, info = env.step(0)  # tool 0 again: masked
    assert done and info["masked_action"] and info["tools"] == [env.tool_names[0]]
    assert r in (0.0, 1.0)


def test_precondition_masks_phrase_spotting(probe, encoder, tmp_path):
    from dataclasses import replace
    item = replace(probe[0], choices=("xqzt", "vvkr"), answer="xqzt")
    env = make_env([item], encoder, tmp_path)
    obs, _ = env.reset(seed=0)
    assert obs["action_mask"][env.tool_names.index("phrase_spot")] == 0


def test_bad_audio_item_is_skipped(probe, encoder, tmp_path):
    from dataclasses import replace
    bad = replace(probe[0], id="bad", audio=str(tmp_path / "missing.wav"))
    env = make_env([bad, probe[1]], encoder, tmp_path, shuffle=False)
    _, info = env.reset(seed=0)
    assert info["item_id"] == probe[1].id and env.rejected[0]["id"] == "bad"
    assert "file not found" in env.rejected[0]["reason"]


def test_random_masked_policy_never_takes_masked_action(probe, encoder, tmp_path):
    env = make_env(probe, encoder, tmp_path, max_calls=3)
    rng = np.random.default_rng(0)
    for episode in range(15):
        obs, _ = env.reset(seed=episode)
        done = False
        while not done:
            allowed = np.flatnonzero(obs["action_mask"])
            obs, r, done, _, info = env.step(int(rng.choice(allowed)))
        assert not info["masked_action"] and len(info["tools"]) <= 3
        assert len(set(info["tools"])) == len(info["tools"])


def test_tampered_router_file_is_refused(tmp_path):
    import torch

    from policy.export import Router

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"format": "audiorouter-router/1", "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="refused, not a plain-tensor router file"):
        Router(str(tmp_path / "evil.pt"))
    torch.save({"format": "audiorouter-router/1", "state_dict": {}}, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="audiorouter-router/1 file, which this version cannot run.*Train the router again"):
        Router(str(tmp_path / "old.pt"))
    torch.save({"format": "audiorouter-router/2", "state_dict": {}}, tmp_path / "v2.pt")
    with pytest.raises(ValueError, match="router/2 file, which this version cannot run: it was trained before the "
                                         "tools' result features.*Train the router again"):
        Router(str(tmp_path / "v2.pt"))
    torch.save({"format": "audiorouter-router/3", "state_dict": {}}, tmp_path / "v3.pt")
    with pytest.raises(ValueError, match="router/3 file, which this version cannot run: its trunk read the raw "
                                         "relevance.*Train the router again"):
        Router(str(tmp_path / "v3.pt"))
    torch.save({"format": "other"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a audiorouter-router/4 file"):
        Router(str(tmp_path / "other.pt"))


def test_rllib_env_runner_builds_checks_and_samples_the_env(probe, encoder, tmp_path):
    """RLlib 2.60's new stack has no separate single-agent env check: its SingleAgentEnvRunner
    builds the env with gymnasium's `make_vec`, which wraps every sub-env in gymnasium's
    PassiveEnvChecker (space and API checks on reset/step). This builds the runner exactly as
    training does, samples with the router module, and checks the episodes it returns."""
    from gymnasium.wrappers.common import PassiveEnvChecker
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

    from policy.ppo import build_ppo_config

    items = probe[:6]
    config = build_ppo_config({"train": {"hidden": [16], "seed": 0}}).environment(
        env=lambda ctx: make_env(items, encoder, tmp_path, max_calls=2))
    runner = SingleAgentEnvRunner(config=config)
    wrapper, checked = runner.env.unwrapped.envs[0], False
    while hasattr(wrapper, "env"):
        checked |= isinstance(wrapper, PassiveEnvChecker)
        wrapper = wrapper.env
    assert checked and isinstance(wrapper, AudioToolEnv)
    episodes = runner.sample(num_episodes=12, random_actions=False)
    done = [ep for ep in episodes if ep.is_done]
    assert len(done) >= 12
    for ep in done:
        masks = ep.get_observations()["action_mask"][:-1]  # a dict space comes back as arrays
        actions = ep.get_actions()
        assert len(actions) == len(masks) and all(m[a] == 1 for m, a in zip(masks, actions))
        assert not ep.get_infos(-1)["masked_action"] and len(ep.get_infos(-1)["tools"]) <= 2
    runner.stop()


def test_observation_holds_tool_relevance_where_the_router_prior_reads_it(probe, encoder, tmp_path):
    """The relevance block is the question's cosine with each tool's description, and the
    router's RelevancePrior finds it by its place from the end of the observation."""
    import torch

    from env.features import tool_relevance
    from policy.networks import RelevancePrior

    env = make_env(probe, encoder, tmp_path, max_calls=2)
    executor = env.executor
    obs, _ = env.reset(seed=0)
    n = env.n_tools
    question = encoder.encode(env.item.question)
    relevance = tool_relevance(question, env.tool_vectors)
    expected = np.stack([encoder.encode(executor.tools[t].description) for t in env.tool_names]) @ question
    assert np.allclose(relevance, expected, atol=1e-5)
    block = obs["observations"][-(3 * n + 1): -(2 * n + 1)]
    assert np.allclose(block, np.clip(relevance, -10, 10), atol=1e-6)
    prior = RelevancePrior(n, gain=2.0)
    with torch.no_grad():
        logits = prior(torch.zeros(1, n + 1), torch.as_tensor(obs["observations"])[None])[0].numpy()
    assert np.allclose(logits[:n], 2.0 * (relevance - relevance.mean()), atol=1e-5) and logits[n] == 0.0


def test_relative_prob_reward_is_the_gain_in_the_correct_choices_probability(probe, encoder, tmp_path):
    """relative_prob = p(correct | evidence) - p(correct | no tools) - cost: here the stand-in's
    scores are where each choice appears in the evidence, so the probabilities are their softmax."""
    from env.reasoners import ReasonRequest, choice_probabilities

    pitch_item = next(i for i in probe if i.task == "pitch_compare")
    env = make_env([pitch_item], encoder, tmp_path, max_calls=1, cost_weight=0.1, reward="relative_prob")
    env.reset(seed=0)
    _, r, done, _, info = env.step(env.tool_names.index("pitch"))
    assert done and info["correct"]
    k = list(pitch_item.choices).index(pitch_item.answer)
    evidence = env.executor.evidence(env.results)
    with_tools = EchoReasoner().answer_batch([ReasonRequest(pitch_item.question, tuple(pitch_item.choices), evidence)])[0]
    p_with = choice_probabilities(with_tools.scores, with_tools.index, len(pitch_item.choices))[k]
    n = len(pitch_item.choices)
    p_without = choice_probabilities([-1.0] * n, 0, n)[k]  # no evidence: every choice at -1, a uniform draw
    cost = env.costs[env.tool_names.index("pitch")]
    assert 0.5 < p_with <= 1.0 and p_without == pytest.approx(1 / n)
    assert r == pytest.approx(p_with - p_without - 0.1 * cost, abs=1e-5)


class BiasedEcho(EchoReasoner):
    """EchoReasoner, but with no evidence it leans to the last choice (as the 135M model leans to
    "no" after some wordings); `hears_audio` as given."""

    def __init__(self, hears_audio):
        self.hears_audio = hears_audio

    def answer_batch(self, requests):
        from env.reasoners import Answer

        leaning = lambda r: Answer(r.choices[-1], len(r.choices) - 1, [0.0] * (len(r.choices) - 1) + [2.0])  # noqa: E731
        return [super(BiasedEcho, self).answer_batch([r])[0] if r.tool_texts else leaning(r) for r in requests]


def test_an_answer_without_evidence_from_a_reasoner_that_does_not_hear_counts_as_a_guess(probe, encoder, tmp_path):
    """relative_prob against a reasoner that does not hear: its no-tool ranking of the choices (a
    wording's bias, the same for every clip) counts as 1/k, so answering without a tool earns 0 and
    a tool earns what its evidence is worth against a guess. A reasoner that hears is measured
    against what it heard."""
    from env.reasoners import ReasonRequest, choice_probabilities

    pitch_item = next(i for i in probe if i.task == "pitch_compare" and i.choices[-1] != i.answer)
    n, k = len(pitch_item.choices), list(pitch_item.choices).index(pitch_item.answer)
    executor = ToolExecutor(build_tools(), ParquetCache(str(tmp_path / "tools")))
    rewards = {}
    for hears in (False, True):
        reasoner = CachedReasoner(BiasedEcho(hears), ParquetCache(None))
        assert reasoner.hears_audio is hears
        env = AudioToolEnv([pitch_item], executor, reasoner, encoder, max_calls=1, cost_weight=0.1, reward="relative_prob")
        env.reset(seed=0)
        _, skipped, done, _, _ = env.step(env.answer_action)
        assert done and skipped == 0.0
        env.reset(seed=0)
        _, rewards[hears], done, _, info = env.step(env.tool_names.index("pitch"))
        assert done and info["correct"] and not info["correct_without_tools"]
    with_tools = EchoReasoner().answer_batch([ReasonRequest(pitch_item.question, pitch_item.choices,
                                                            executor.evidence(env.results))])[0]
    p_with = choice_probabilities(with_tools.scores, with_tools.index, n)[k]
    p_heard = choice_probabilities([0.0] * (n - 1) + [2.0], n - 1, n)[k]
    penalty = 0.1 * env.costs[env.tool_names.index("pitch")]
    assert p_heard < 1 / n
    assert rewards[False] == pytest.approx(p_with - 1 / n - penalty, abs=1e-5)
    assert rewards[True] == pytest.approx(p_with - p_heard - penalty, abs=1e-5)


def test_a_call_whose_tools_all_failed_is_a_guess_too(probe):
    """Tools called, none gave evidence: the with-tools answer is the no-tool one, so without
    hearing it is a guess as well and the call earns only its penalty."""
    from env.reasoners import Answer
    from env.rewards import Outcome, RelativeExpectedReward, RelativeProbReward

    item = next(i for i in probe if i.task == "pitch_compare")
    n, k = len(item.choices), list(item.choices).index(item.answer)
    leaning = Answer(item.answer, k, [2.0 if j == k else 0.0 for j in range(n)], probabilities=[0.8 if j == k else 0.2 / (n - 1) for j in range(n)])
    failed = Outcome(item, leaning, leaning, ["pitch"], 1.0, 0.1, reasoner_hears=False, evidence=False)
    assert failed.p_correct == failed.p_correct_without_tools == pytest.approx(1 / n)
    assert RelativeProbReward()(failed) == pytest.approx(-0.1)
    assert RelativeExpectedReward()(failed) == pytest.approx(1.0 - 1 / n - 0.1)  # its 0/1 side is the answer
    heard = Outcome(item, leaning, leaning, ["pitch"], 1.0, 0.1, reasoner_hears=True, evidence=False)
    assert heard.p_correct == heard.p_correct_without_tools == pytest.approx(0.8)


def test_relative_mixed_and_expected_rewards_mix_the_0_1_and_probability_terms(probe, encoder, tmp_path):
    """relative_mixed = relative's 0/1 gain + prob_weight x relative_prob's gain, and relative_expected
    = correct with the tools - the no-tool probability of the correct choice, each less the same
    penalty: the rewards of one episode, read from the same outcome, agree to those identities."""
    from env.reasoners import ReasonRequest
    from env.rewards import RelativeMixedReward, build_reward, correct_choice_probability

    pitch_item = next(i for i in probe if i.task == "pitch_compare")
    rewards = {}
    for name in ("relative", "relative_prob", "relative_mixed", "relative_expected"):
        env = make_env([pitch_item], encoder, tmp_path, max_calls=1, cost_weight=0.1, reward=name)
        env.reset(seed=0)
        _, rewards[name], done, _, info = env.step(env.tool_names.index("pitch"))
        assert done and info["correct"]
    penalty = 0.1 * env.costs[env.tool_names.index("pitch")]
    gain_01, gain_p = rewards["relative"] + penalty, rewards["relative_prob"] + penalty
    assert gain_p > 0.1  # the evidence moved the reasoner: the probability term is not zero here
    assert rewards["relative_mixed"] == pytest.approx(gain_01 + 0.25 * gain_p - penalty, abs=1e-5)
    no_tool = env.reasoner.answer_batch([ReasonRequest(pitch_item.question, pitch_item.choices, (), pitch_item.audio)])[0]
    p_without = correct_choice_probability(no_tool, pitch_item)
    assert 0.0 < p_without < 1.0
    assert rewards["relative_expected"] == pytest.approx(1.0 - p_without - penalty, abs=1e-5)
    heavier = build_reward({"class": "env.rewards.RelativeMixedReward", "prob_weight": 1.0})
    assert isinstance(heavier, RelativeMixedReward) and heavier.prob_weight == 1.0


def test_relative_sure_pays_a_wrong_to_right_turn_the_probability_the_evidence_gave_it(probe):
    """relative_sure = relative_mixed, except that a wrong no-tool answer turned right earns the
    reasoner's probability of the correct choice with the evidence, not 1: a line that turned it
    right by chance (the reasoner unsure) earns less than one that argued for it (the reasoner sure).
    Every other case (right kept, wrong kept, right turned wrong) is relative_mixed's."""
    from env.reasoners import Answer
    from env.rewards import Outcome, RelativeMixedReward, build_reward

    item = next(i for i in probe if i.task == "pitch_compare")
    n, k = len(item.choices), list(item.choices).index(item.answer)
    wrong_k = (k + 1) % n

    def answer(index: int, p_correct: float) -> Answer:
        probabilities = [p_correct if j == k else (1 - p_correct) / (n - 1) for j in range(n)]
        return Answer(item.choices[index], index, list(probabilities), probabilities=probabilities)

    sure = build_reward("relative_sure")
    mixed = RelativeMixedReward()
    wrong = answer(wrong_k, 0.2)
    lucky, argued = answer(k, 0.55), answer(k, 0.95)
    rewards = {}
    for name, with_tools in (("lucky", lucky), ("argued", argued)):
        outcome = Outcome(item, with_tools, wrong, ["pitch"], 1.0, 0.1, call_cost=0.2)
        rewards[name] = sure(outcome)
        p_gain = with_tools.probabilities[k] - 0.2
        assert rewards[name] == pytest.approx(with_tools.probabilities[k] + 0.25 * p_gain - 0.3)
        assert mixed(outcome) == pytest.approx(1.0 + 0.25 * p_gain - 0.3)
    assert rewards["argued"] - rewards["lucky"] > 0.4  # relative_mixed: 0.1 apart
    for with_tools, without in ((argued, lucky), (wrong, lucky), (wrong, wrong)):
        outcome = Outcome(item, with_tools, without, ["pitch"], 1.0, 0.1, call_cost=0.2)
        assert sure(outcome) == pytest.approx(mixed(outcome))


def test_relative_mixed_counts_an_unsure_no_tool_answer_as_its_probability(probe):
    """With a guess_margin, a no-tool answer whose margin is under it enters the 0/1 term as its
    probability of being right: skipping earns 0 whether the toss-up landed right or wrong, and the
    tool that answers right earns 1 - p either way. A sure no-tool answer, and any answer without
    the margin, keep relative_mixed's 0/1 term."""
    from env.reasoners import Answer
    from env.rewards import Outcome, RelativeMixedReward, answer_margin, build_reward

    item = next(i for i in probe if i.task == "pitch_compare" and len(i.choices) == 2)
    k = list(item.choices).index(item.answer)

    def answer(p_correct: float) -> Answer:
        probabilities = [p_correct if j == k else 1 - p_correct for j in range(2)]
        index = k if p_correct >= 0.5 else 1 - k
        return Answer(item.choices[index], index, list(probabilities), probabilities=probabilities)

    guess = build_reward({"class": "env.rewards.RelativeMixedReward", "guess_margin": 0.3})
    plain = RelativeMixedReward()
    lucky, unlucky, sure, tool_right = answer(0.53), answer(0.47), answer(0.9), answer(0.95)
    assert answer_margin(lucky) == pytest.approx(0.06) and answer_margin(sure) == pytest.approx(0.8)
    for without in (lucky, unlucky):
        skip = Outcome(item, without, without, [], 0.0, 0.2, call_cost=0.2)
        assert guess(skip) == 0.0
        call = Outcome(item, tool_right, without, ["pitch"], 0.3, 0.2, call_cost=0.2)
        p_without = without.probabilities[k]
        assert guess(call) == pytest.approx(1.0 - p_without + 0.25 * (0.95 - p_without) - 0.26)
        failed = Outcome(item, without, without, ["pitch"], 0.3, 0.2, call_cost=0.2, evidence=False)
        assert guess(failed) == pytest.approx(-0.26)  # no evidence: the no-tool answer again, less the price
    # the lucky toss-up paid 0/1: the right tool earned only its small probability term, under the price
    assert plain(Outcome(item, tool_right, lucky, ["pitch"], 0.3, 0.2, call_cost=0.2)) < 0
    assert guess(Outcome(item, tool_right, lucky, ["pitch"], 0.3, 0.2, call_cost=0.2)) > 0.2
    for with_tools in (tool_right, answer(0.2)):  # a sure no-tool answer: relative_mixed's terms
        outcome = Outcome(item, with_tools, sure, ["pitch"], 0.3, 0.2, call_cost=0.2)
        assert guess(outcome) == pytest.approx(plain(outcome))
    with pytest.raises(ValueError, match="guess_margin"):
        RelativeMixedReward(guess_margin=1.5)


def test_observation_holds_each_called_tools_result_features(probe, encoder, tmp_path):
    """Zeros until a tool is called; then its feature_vector in its own slots, between the audio
    descriptors and the relevance block, which stays where the router's prior reads it."""
    from env.features import DESCRIPTORS

    pitch_item = next(i for i in probe if i.task == "pitch_compare")
    without = make_env([pitch_item], encoder, tmp_path, max_calls=3)  # the default: no result features
    assert without.n_features == 0 and without.obs_dim == encoder.dim + len(DESCRIPTORS) + 3 * without.n_tools + 1
    assert all(features == [] for _, features in without.feature_layout)
    env = make_env([pitch_item], encoder, tmp_path, max_calls=3, result_features=True)
    obs, _ = env.reset(seed=0)
    n, start = env.n_tools, encoder.dim + len(DESCRIPTORS)
    assert env.obs_dim == start + env.n_features + 3 * n + 1 and obs["observations"].shape == (env.obs_dim,)
    assert [name for name, _ in env.feature_layout] == env.tool_names
    assert env.n_features == sum(len(env.executor.tools[t].features) for t in env.tool_names)
    found = lambda o: o["observations"][start: start + env.n_features]  # noqa: E731
    relevance = obs["observations"][-(3 * n + 1): -(2 * n + 1)].copy()
    assert not found(obs).any()
    k = env.tool_names.index("pitch")
    obs, _, done, _, _ = env.step(k)
    pitch = env.executor.tools["pitch"]
    expected = np.zeros(env.n_features, np.float32)
    expected[env.feature_slots[k]] = pitch.feature_vector(env.results[0].data)
    assert not done and np.allclose(found(obs), expected) and abs(expected[env.feature_slots[k]][1]) > 0.1
    assert np.allclose(obs["observations"][-(3 * n + 1): -(2 * n + 1)], relevance)
    # a failed result shows zeros, never a stale or partial finding
    from tools.base import ToolResult
    assert not env.result_features(k, ToolResult("pitch", False, {}, "", "boom")).any()


def test_without_the_question_embedding_the_router_sees_the_question_as_relevance_only(probe, encoder, tmp_path):
    """question_embedding=False leaves the 384 MiniLM columns out; every other column is what the
    default observation holds after them, and router.pt records the choice so eval builds the same env."""
    from policy.export import Router, export_router

    full = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    short = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False, question_embedding=False)
    assert short.obs_dim == full.obs_dim - encoder.dim
    a, _ = full.reset(seed=0)
    b, _ = short.reset(seed=0)
    assert full.item.id == short.item.id and np.allclose(a["observations"][encoder.dim:], b["observations"])
    check_env(short, skip_render_check=True)

    export_router(untrained_module(short), short, [8], str(tmp_path / "router.pt"))
    router = Router(str(tmp_path / "router.pt"))
    assert not router.reads_question and router.act(b) == router.act_torch(b)
    from types import SimpleNamespace

    from eval.systems import LearnedRouter
    learned = LearnedRouter(str(tmp_path / "router.pt"))  # eval routes with the observation it was trained on
    learned.prepare(SimpleNamespace(executor=short.executor, reasoner=short.reasoner, tool_names=short.tool_names), [])
    assert set(learned.route(probe[0], None)) <= set(short.tool_names)
    export_router(untrained_module(full), full, [8], str(tmp_path / "full.pt"))
    assert Router(str(tmp_path / "full.pt")).reads_question


def test_route_explains_its_first_decision(probe, encoder, tmp_path):
    """`route --explain`: the first decision's reading (policy or relevance fallback, the nearest
    training question, each tool's relevance as the observation holds it) and the policy's
    probabilities, whose most probable allowed action is the tool the route calls first."""
    from eval.route import explained_decision
    from policy.export import Router, export_router

    env = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False, question_embedding=False)
    export_router(untrained_module(env), env, [8], str(tmp_path / "router.pt"), novelty_threshold=0.9)
    router = Router(str(tmp_path / "router.pt"))
    obs, _ = router.routing_env(probe[:1], env.executor, env.reasoner, encoder).reset(seed=0)
    relevance = obs["observations"][-(3 * env.n_tools + 1): -(2 * env.n_tools + 1)]
    info = router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder))
    decision = info["first_decision"]
    assert decision["by"] == "policy" and decision["nearest_training_cosine"] == pytest.approx(1.0, abs=1e-5)
    assert list(decision["relevance"]) == env.tool_names
    assert np.allclose(list(decision["relevance"].values()), relevance)
    policy = decision["policy"]
    assert list(policy) == env.tool_names + ["answer"] and sum(policy.values()) == pytest.approx(1.0)
    first = max(policy, key=policy.get)
    assert (info["tools"][:1] or ["answer"]) == [first]
    shown = explained_decision(decision)
    assert "the trained policy" in shown and f"{policy[env.tool_names[0]]:.2f}" in shown

    unfamiliar = router.first_decision(obs, -encoder.encode(probe[0].question))  # no training question near it
    assert unfamiliar["by"] == "relevance" and unfamiliar["policy"] is None
    assert "relevance (an unfamiliar question)" in explained_decision(unfamiliar)


def untrained_module(env):
    """The weights RouterModule exports (trunk, pi, vf, prior), untrained, for an env's observation."""
    import torch

    from policy.networks import RelevancePrior, build_trunk

    module = torch.nn.Module()
    module.trunk, module.pi = build_trunk(env.obs_dim, [8]), torch.nn.Linear(8, env.n_tools + 1)
    module.vf, module.prior = torch.nn.Linear(8, 1), RelevancePrior(env.n_tools)
    return module


def test_without_audio_descriptors_the_observation_leaves_them_out(probe, encoder, tmp_path):
    """audio_descriptors=False leaves the eight descriptor columns out (after the question embedding);
    every other column is as before, and router.pt records it so eval routes with the same env."""
    from env.features import DESCRIPTORS
    from policy.export import Router, export_router

    full = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    bare = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False, audio_descriptors=False)
    assert bare.obs_dim == full.obs_dim - len(DESCRIPTORS) and bare.descriptors == ()
    a, _ = full.reset(seed=0)
    b, _ = bare.reset(seed=0)
    d = encoder.dim
    assert np.allclose(np.concatenate([a["observations"][:d], a["observations"][d + len(DESCRIPTORS):]]), b["observations"])
    check_env(bare, skip_render_check=True)
    export_router(untrained_module(bare), bare, [8], str(tmp_path / "bare.pt"))
    router = Router(str(tmp_path / "bare.pt"))
    assert not router.reads_audio_descriptors and router.act(b) == router.act_torch(b)
    routed = router.routing_env(probe[:3], bare.executor, bare.reasoner, encoder)
    assert routed.obs_dim == bare.obs_dim and routed.descriptors == ()
    export_router(untrained_module(full), full, [8], str(tmp_path / "full.pt"))
    assert Router(str(tmp_path / "full.pt")).reads_audio_descriptors


def test_relevance_of_the_question_and_its_choices(probe, encoder, tmp_path):
    """relevance_of=question_and_choices: the relevance block is each tool description's cosine with
    the question followed by its choices; every other column is as before, the choice is recorded
    in router.pt so eval routes with the same relevance, and an unknown name is refused."""
    from env.features import relevance_text, tool_relevance
    from policy.export import Router, export_router

    plain = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    both = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False, relevance_of="question_and_choices")
    a, _ = plain.reset(seed=0)
    b, _ = both.reset(seed=0)
    n = both.n_tools
    item = both.item
    text = relevance_text(item.question, item.choices, "question_and_choices")
    assert text.startswith(item.question) and all(c in text for c in item.choices)
    relevance = b["observations"][-(3 * n + 1): -(2 * n + 1)]
    assert np.allclose(relevance, tool_relevance(encoder.encode(text), both.tool_vectors), atol=1e-6)
    assert not np.allclose(relevance, a["observations"][-(3 * n + 1): -(2 * n + 1)])
    assert np.allclose(a["observations"][: -(3 * n + 1)], b["observations"][: -(3 * n + 1)])
    export_router(untrained_module(both), both, [8], str(tmp_path / "both.pt"))
    router = Router(str(tmp_path / "both.pt"))
    assert router.relevance_of == "question_and_choices"
    assert router.routing_env(probe[:3], both.executor, both.reasoner, encoder).relevance_of == "question_and_choices"
    export_router(untrained_module(plain), plain, [8], str(tmp_path / "plain.pt"))
    assert Router(str(tmp_path / "plain.pt")).relevance_of == "question"
    with pytest.raises(ValueError, match="relevance_of 'words'"):
        make_env(probe[:3], encoder, tmp_path, relevance_of="words")


def test_relevance_of_the_question_without_its_quotes(encoder):
    """relevance_of=question_without_quotes: quoted spans ("...", “...”, ‘...’, '...' outside a word) are
    masked in the question and in the tools' example questions alike, so the words asked about do
    not decide the kind of question; an apostrophe inside a word stays."""
    from env.features import ToolMatcher, relevance_text, tool_texts, without_quotes

    assert without_quotes('Do you hear someone say "my phone is ringing"?') == 'Do you hear someone say "..."?'
    assert without_quotes("Is the phrase 'the dog is barking' spoken?") == 'Is the phrase "..." spoken?'
    assert without_quotes("Did I hear \u201cdinner is ready\u201d?") == 'Did I hear "..."?'
    assert without_quotes("What's the sentence here? It's said twice.") == "What's the sentence here? It's said twice."
    assert without_quotes("Is \u2018open the door\u2019 said?") == 'Is "..." said?'
    # a phrase named after "the sentence:" at the question's end, as `quoted_phrase` names it
    colon = "Does the person utter the following sentence: the kettle is boiling?"
    assert without_quotes(colon) == 'Does the person utter the following sentence: "..."?'
    assert without_quotes("Which sentence is said: the first or the second one here?") == \
        "Which sentence is said: the first or the second one here?"  # no "sentence:" before the colon
    # the same pattern says what a question quotes (the phrase spotter's yes/no check)
    from tools.mentions import quoted_phrase
    assert quoted_phrase("Is the phrase 'the dog is barking' spoken?") == "the dog is barking"
    assert quoted_phrase("Did I hear \u201cdinner is ready\u201d?") == "dinner is ready"
    assert quoted_phrase("What's the sentence here? It's said twice.") is None
    assert quoted_phrase(colon) == "the kettle is boiling"
    assert relevance_text('Did she say "hi"?', ("yes", "no"), "question_without_quotes") == 'Did she say "..."?'
    tools = build_tools()
    descriptions, examples = tool_texts(tools)
    masked = ToolMatcher(encoder, descriptions, "examples", examples, "question_without_quotes")
    plain = ToolMatcher(encoder, descriptions, "examples", examples)
    spot = [t.name for t in tools].index("phrase_spot")
    quoted = next(e for e in examples[spot] if '"' in e)
    assert np.allclose(masked.example_vectors[spot][examples[spot].index(quoted)], encoder.encode(without_quotes(quoted)))
    assert np.allclose(plain.example_vectors[spot][examples[spot].index(quoted)], encoder.encode(quoted))


def test_reasoner_confidence_puts_the_no_tool_margin_after_the_descriptors(probe, encoder, tmp_path):
    """reasoner_confidence=True adds one column after the audio descriptors: the reasoner's
    probability of its no-tool answer minus the runner-up's, where it hears the clip; 0 where it
    does not (its no-tool answer is a guess, however it leans). The other columns are as before,
    and router.pt records the option so eval routes with the same observation."""
    from env.features import DESCRIPTORS
    from env.reasoners import ReasonRequest
    from policy.export import Router, export_router

    plain = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    executor = ToolExecutor(build_tools(), ParquetCache(str(tmp_path / "tools")))
    sure, deaf = (AudioToolEnv(probe[:3], executor, CachedReasoner(BiasedEcho(hears), ParquetCache(None)), encoder,
                               max_calls=2, shuffle=False, reasoner_confidence=True) for hears in (True, False))
    assert sure.obs_dim == plain.obs_dim + 1
    a, _ = plain.reset(seed=0)
    b, _ = sure.reset(seed=0)
    k = encoder.dim + len(DESCRIPTORS)
    item = sure.item
    p = sorted(sure.reasoner.answer_batch([ReasonRequest(item.question, item.choices, (), item.audio)])[0].probabilities)
    assert np.isclose(b["observations"][k], p[-1] - p[-2]) and 0.1 < b["observations"][k] <= 1
    assert np.allclose(np.delete(b["observations"], k), a["observations"])
    c, _ = deaf.reset(seed=0)
    assert c["observations"][k] == 0.0 and np.allclose(np.delete(c["observations"], k), a["observations"])
    check_env(sure, skip_render_check=True)
    export_router(untrained_module(sure), sure, [8], str(tmp_path / "sure.pt"))
    router = Router(str(tmp_path / "sure.pt"))
    assert router.reads_reasoner_confidence and router.act(b) == router.act_torch(b)
    assert router.routing_env(probe[:3], sure.executor, sure.reasoner, encoder).obs_dim == sure.obs_dim
    export_router(untrained_module(plain), plain, [8], str(tmp_path / "plain.pt"))
    assert not Router(str(tmp_path / "plain.pt")).reads_reasoner_confidence


def test_confidence_floor_observes_the_margin_less_the_floor_and_router_pt_keeps_it(probe, encoder, tmp_path):
    """confidence_floor=f observes max(0, margin - f): a margin under the floor (a toss-up) is 0,
    one above keeps its excess; router.pt records the floor and the span so eval routes with the same
    column, a file without them routes with neither, and a floor outside [0, 1) is refused."""
    import torch

    from env.features import DESCRIPTORS
    from policy.export import Router, export_router

    executor = ToolExecutor(build_tools(), ParquetCache(str(tmp_path / "tools")))
    reasoner = CachedReasoner(BiasedEcho(True), ParquetCache(None))
    envs = {f: AudioToolEnv(probe[:3], executor, reasoner, encoder, max_calls=2, shuffle=False,
                            reasoner_confidence=True, confidence_floor=f) for f in (0.0, 0.05, 0.99)}
    k = encoder.dim + len(DESCRIPTORS)
    observed = {f: env.reset(seed=0)[0]["observations"] for f, env in envs.items()}
    margin = observed[0.0][k]
    assert 0.1 < margin < 0.99  # BiasedEcho leans: the floors fall on either side of its margin
    assert np.isclose(observed[0.05][k], margin - 0.05) and observed[0.99][k] == 0.0
    assert all(np.allclose(np.delete(observed[f], k), np.delete(observed[0.0], k)) for f in observed)
    spanned = AudioToolEnv(probe[:3], executor, reasoner, encoder, max_calls=2, shuffle=False,
                           reasoner_confidence=True, confidence_floor=0.05, confidence_span=0.2)
    export_router(untrained_module(spanned), spanned, [8], str(tmp_path / "floor.pt"))
    router = Router(str(tmp_path / "floor.pt"))
    assert (router.confidence_floor, router.confidence_span) == (0.05, 0.2)
    routing = router.routing_env(probe[:3], executor, reasoner, encoder)
    assert (routing.confidence_floor, routing.confidence_span) == (0.05, 0.2)
    blob = torch.load(str(tmp_path / "floor.pt"), weights_only=False)
    del blob["confidence_floor"], blob["confidence_span"]  # a router.pt written before the options
    torch.save(blob, str(tmp_path / "before.pt"))
    routing = Router(str(tmp_path / "before.pt")).routing_env(probe[:3], executor, reasoner, encoder)
    assert (routing.confidence_floor, routing.confidence_span) == (0.0, 0.0)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="confidence_floor"):
            AudioToolEnv(probe[:3], executor, reasoner, encoder, reasoner_confidence=True, confidence_floor=bad)


def test_confidence_span_reads_the_margin_above_the_floor_over_the_span(probe, encoder, tmp_path):
    """confidence_span=w observes min(1, max(0, margin - floor) / w): a margin the span or more above
    the floor reads 1 (sure is sure), one in between in proportion, one under the floor 0; a span
    outside [0, 1] is refused (router.pt keeping it: the floor's test)."""
    from env.features import DESCRIPTORS

    executor = ToolExecutor(build_tools(), ParquetCache(str(tmp_path / "tools")))
    reasoner = CachedReasoner(BiasedEcho(True), ParquetCache(None))
    k = encoder.dim + len(DESCRIPTORS)

    def env(floor, span):
        return AudioToolEnv(probe[:3], executor, reasoner, encoder, max_calls=2, shuffle=False,
                            reasoner_confidence=True, confidence_floor=floor, confidence_span=span)

    margin = env(0.0, 0.0).reset(seed=0)[0]["observations"][k]
    assert 0.1 < margin < 0.99  # BiasedEcho leans: spans fall on either side of its margin
    wide = env(0.05, 1.0).reset(seed=0)[0]["observations"][k]
    narrow = env(0.05, (margin - 0.05) / 2).reset(seed=0)[0]["observations"][k]
    assert np.isclose(wide, margin - 0.05) and narrow == 1.0
    assert np.isclose(env(margin - 0.1, 0.2).reset(seed=0)[0]["observations"][k], 0.5)
    assert env(0.99, 0.2).reset(seed=0)[0]["observations"][k] == 0.0
    spanned = env(0.05, 0.2)
    assert [spanned.observed_margin(m) for m in (0.0, 0.05, 0.15, 0.25, 0.9)] == pytest.approx([0, 0, 0.5, 1, 1])
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="confidence_span"):
            env(0.0, bad)


def test_relevance_by_clauses_averages_the_whole_description_and_its_best_clause(probe, encoder, tmp_path):
    """relevance_match=clauses: per tool, the mean of the question's cosine with the whole
    description and its best cosine with one of the description's clauses; router.pt records it."""
    from env.features import description_clauses
    from policy.export import Router, export_router

    assert description_clauses("Finds the speech segments (silero-vad), counts them and says which comes first.") == \
        ["Finds the speech segments", "counts them", "says which comes first"]
    assert description_clauses("Speech.") == ["Speech."]  # no clause of two words: the whole text
    plain = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    parts = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False, relevance_match="clauses")
    a, _ = plain.reset(seed=0)
    b, _ = parts.reset(seed=0)
    n = parts.n_tools
    q = encoder.encode(parts.item.question)
    expected = [0.5 * (float(parts.tool_vectors[k] @ q) + max(float(encoder.encode(c) @ q) for c in description_clauses(
        parts.executor.tools[name].description or name))) for k, name in enumerate(parts.tool_names)]
    assert np.allclose(b["observations"][-(3 * n + 1): -(2 * n + 1)], expected, atol=1e-5)
    assert np.allclose(a["observations"][: -(3 * n + 1)], b["observations"][: -(3 * n + 1)])
    export_router(untrained_module(parts), parts, [8], str(tmp_path / "parts.pt"))
    router = Router(str(tmp_path / "parts.pt"))
    assert router.relevance_match == "clauses"
    assert router.routing_env(probe[:3], parts.executor, parts.reasoner, encoder).relevance_match == "clauses"
    with pytest.raises(ValueError, match="relevance_match 'words'"):
        make_env(probe[:3], encoder, tmp_path, relevance_match="words")


def test_an_unfamiliar_question_is_routed_by_relevance(probe, encoder, tmp_path):
    """With a novelty_threshold, router.pt keeps its training questions; a question whose highest
    cosine with them is below the threshold is routed to its most relevant applicable tool (then
    ANSWER), a familiar one by the policy. Threshold 0 keeps nothing and never falls back."""
    from dataclasses import replace

    from policy.export import Router, export_router

    env = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    export_router(untrained_module(env), env, [8], str(tmp_path / "novel.pt"), novelty_threshold=0.9)
    router = Router(str(tmp_path / "novel.pt"))
    assert router.novelty_threshold == 0.9 and router._known.shape == (len({i.question for i in probe[:3]}), encoder.dim)
    assert router.familiar(encoder.encode(probe[0].question))
    odd = replace(probe[0], id="odd", question="Which of these colours is the sky painted in the picture?")
    assert not router.familiar(encoder.encode(odd.question))

    routed = router.routing_env([odd], env.executor, env.reasoner, encoder)
    obs, _ = routed.reset(seed=0)
    n = routed.n_tools
    relevance = obs["observations"][-(3 * n + 1): -(2 * n + 1)]
    allowed = obs["action_mask"][:n] > 0
    expected = routed.tool_names[int(np.argmax(np.where(allowed, relevance, -np.inf)))]
    info = router.route(router.routing_env([odd], env.executor, env.reasoner, encoder), seed=0)
    assert info["by_relevance"] and info["tools"] == [expected]

    familiar = router.routing_env(probe[:1], env.executor, env.reasoner, encoder)
    obs, _ = familiar.reset(seed=0)
    info = router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder), seed=0)
    assert not info["by_relevance"]
    first = router.act(obs)
    assert info["tools"][:1] == ([] if first == n else [routed.tool_names[first]])

    export_router(untrained_module(env), env, [8], str(tmp_path / "plain.pt"))
    plain = Router(str(tmp_path / "plain.pt"))
    assert plain.novelty_threshold == 0 and plain._known.size == 0 and plain.familiar(encoder.encode(odd.question))


def test_wording_check_scores_the_tools_the_fallback_calls(probe, encoder, tmp_path):
    """benchmarks/wording_check.py: a familiar question is counted, not scored; an unfamiliar one
    scores whether its expert tool is among those the router's fallback calls when it routes it."""
    from dataclasses import replace

    from benchmarks.wording_check import route_counts
    from policy.export import Router, export_router

    env = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    export_router(untrained_module(env), env, [8], str(tmp_path / "novel.pt"), novelty_threshold=0.9)
    router = Router(str(tmp_path / "novel.pt"))
    odd = replace(probe[0], id="odd", question="Which of these colours is the sky painted in the picture?")
    called = router.route(router.routing_env([odd], env.executor, env.reasoner, encoder), seed=0)["tools"]
    missed = next(t for t in env.tool_names if t not in called)
    asked = lambda family, item, expert: {"family": family, "question": item.question,  # noqa: E731
                                          "choices": list(item.choices), "expert_tool": expert}
    counts = route_counts(router, [env.executor.tools[n] for n in env.tool_names], encoder,
                          [asked("a", probe[0], missed), asked("b", odd, called[0]), asked("c", odd, missed)])
    assert counts["a"]["questions"] == counts["a"]["familiar"] == 1 and counts["a"]["among the called"] == 0
    assert counts["b"]["among the called"] == counts["b"]["relevance"] == 1
    assert counts["b"]["second tools"] == len(called) - 1
    assert counts["c"]["among the called"] == counts["c"]["relevance"] == 0


def test_wording_check_asks_each_set_question_once_of_its_first_clip():
    """`--sets`: each question of a wording set once, filled as for the first clip it is asked of,
    its family "set/half", its expert the tool the set asks it with."""
    from benchmarks.question_wordings import SETS, load
    from benchmarks.wording_check import wording_set_questions

    params = {"gender": [{"id": f"g{k}", "task": "gender", "female": k % 2 == 0} for k in range(4)],
              "tempo": [{"id": f"t{k}", "task": "tempo", "kind": "knocks", "bpm": 60 + 20 * k} for k in range(4)]}
    questions = wording_set_questions(["gender", "tempo"], params.__getitem__)
    for name in params:
        asked = [q for q in questions if q["family"].startswith(name + "/")]
        assert len(asked) == len(load(name)) and {q["expert_tool"] for q in asked} == {SETS[name].tool.name}
        assert {q["family"] for q in asked} == {f"{name}/{w['half']}" for w in load(name)}
        first = [SETS[name].cases(w, params[name])[0] for w in load(name)]
        assert [q["question"] for q in asked] == [c.question for c in first]
    assert not any("{" in q["question"] for q in questions)


def test_the_fallback_consults_the_runner_up_within_its_margin(probe, encoder, tmp_path):
    """novelty_second_tool_margin: the fallback calls the runner-up tool too where its relevance lies
    within the margin of the best one's, in a budget of two even when the policy was trained with
    one call (a familiar question keeps the trained budget); 0 and files from before it call one
    tool; a margin outside [0, 1] is refused."""
    from dataclasses import replace

    import torch

    from policy.export import Router, export_router

    env = make_env(probe[:3], encoder, tmp_path, max_calls=1, shuffle=False)
    odd = replace(probe[0], id="odd", question="Which of these colours is the sky painted in the picture?")
    obs = env.start(odd)
    n = env.n_tools
    relevance = obs["observations"][-(3 * n + 1): -(2 * n + 1)]
    allowed = obs["action_mask"][:n] > 0
    ranked = [int(k) for k in np.argsort(-np.where(allowed, relevance, -np.inf), kind="stable")]
    gap = float(relevance[ranked[0]] - relevance[ranked[1]])
    routes = {}
    for name, margin in (("one", 0.0), ("under", gap * 0.99), ("over", min(1.0, gap + 0.01))):
        export_router(untrained_module(env), env, [8], str(tmp_path / f"{name}.pt"), novelty_threshold=0.9,
                      second_tool_margin=margin)
        router = Router(str(tmp_path / f"{name}.pt"))
        assert router.second_tool_margin == pytest.approx(margin)
        assert router.most_calls == (2 if margin > 0 else 1)
        info = router.route(router.routing_env([odd], env.executor, env.reasoner, encoder), seed=0)
        assert info["by_relevance"]
        routes[name] = info["tools"]
        assert router.fallback_tools(relevance, allowed) == [env.tool_names.index(t) for t in info["tools"]]
        familiar = router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder), seed=0)
        assert not familiar["by_relevance"] and len(familiar["tools"]) <= 1  # the trained budget
    best, second = env.tool_names[ranked[0]], env.tool_names[ranked[1]]
    assert routes == {"one": [best], "under": [best], "over": [best, second]}
    old = torch.load(str(tmp_path / "over.pt"), weights_only=True)
    del old["second_tool_margin"]
    torch.save(old, str(tmp_path / "old.pt"))
    assert Router(str(tmp_path / "old.pt")).second_tool_margin == 0.0
    with pytest.raises(ValueError, match="novelty_second_tool_margin 1.5"):
        export_router(untrained_module(env), env, [8], str(tmp_path / "bad.pt"), second_tool_margin=1.5)


def test_the_fallback_reads_the_question_as_novelty_relevance_of_says(probe, encoder, tmp_path):
    """novelty_relevance_of: an unfamiliar question's relevance, for the fallback only, is read of
    the masked question followed by its multiple-choice options (yes/no ones left out); router.pt
    records it, a file without it reads the policy's relevance_of, and an unknown name is refused."""
    from dataclasses import replace

    from env.features import relevance_text
    from policy.export import Router, export_router

    assert relevance_text('Did she say "hi"?', ("yes", "no"), "question_without_quotes_and_choices") == 'Did she say "..."?'
    assert relevance_text("How many tones?", ("two", "six"), "question_without_quotes_and_choices") == "How many tones? two / six"
    said = "question_and_choices_without_words_said"  # ... and the choices of a question about the words spoken, masked
    assert relevance_text("Which phrase is spoken?", ("turn left", "go on"), said) == 'Which phrase is spoken? "..." / "..."'
    assert relevance_text("How many tones?", ("two", "six"), said) == "How many tones? two / six"
    assert relevance_text('Did she say "hi"?', ("yes", "no"), said) == 'Did she say "..."?'
    env = make_env(probe[:3], encoder, tmp_path, max_calls=1, shuffle=False, relevance_match="examples",
                   relevance_of="question_without_quotes")
    export_router(untrained_module(env), env, [8], str(tmp_path / "choices.pt"), novelty_threshold=0.9,
                  novelty_relevance_of="question_without_quotes_and_choices")
    router = Router(str(tmp_path / "choices.pt"))
    assert router.novelty_relevance_of == "question_without_quotes_and_choices"
    odd = replace(probe[0], id="odd", question="Which of these is in the picture?",
                  choices=("a count of sound events", "the clip's length in seconds"))
    routed = router.routing_env([odd], env.executor, env.reasoner, encoder)
    obs, _ = routed.reset(seed=0)
    n = routed.n_tools
    asked = routed.matcher.relevance(encoder.encode(relevance_text(odd.question, odd.choices,
                                                                   "question_without_quotes_and_choices")))
    assert not np.allclose(asked, obs["observations"][-(3 * n + 1): -(2 * n + 1)])  # the policy's block differs
    expected = routed.tool_names[int(np.argmax(np.where(obs["action_mask"][:n] > 0, asked, -np.inf)))]
    info = router.route(router.routing_env([odd], env.executor, env.reasoner, encoder), seed=0)
    assert info["by_relevance"] and info["tools"] == [expected]
    export_router(untrained_module(env), env, [8], str(tmp_path / "same.pt"), novelty_threshold=0.9)
    assert Router(str(tmp_path / "same.pt")).novelty_relevance_of == "question_without_quotes"
    with pytest.raises(ValueError, match="relevance_of 'words'"):
        export_router(untrained_module(env), env, [8], str(tmp_path / "bad.pt"), novelty_relevance_of="words")


def test_the_fallback_meets_the_descriptions_as_novelty_relevance_match_says(probe, encoder, tmp_path):
    """novelty_relevance_match: how an unfamiliar question meets the tools' descriptions, for the
    fallback only. clauses_and_examples is the mean of the best clause's cosine and the best
    example's, without the whole description's; one matcher built for `examples` reads both. router.pt
    records it, a file without it reads the policy's relevance_match, and a reading the env's
    matcher has not encoded (examples, from a matcher built for descriptions) is refused before
    training (`check_novelty_reading`) and at export."""
    from dataclasses import replace

    from env.features import ToolMatcher, description_clauses, relevance_text, without_quotes
    from policy.export import Router, check_novelty_reading, export_router

    env = make_env(probe[:3], encoder, tmp_path, max_calls=1, shuffle=False, relevance_match="examples",
                   relevance_of="question_without_quotes")
    question = encoder.encode("What is the number of short tones in this clip?")
    for k, (description, examples) in enumerate(zip(env.descriptions, env.examples)):
        clause = max(float(encoder.encode(c) @ question) for c in description_clauses(description))
        example = max((float(encoder.encode(without_quotes(e)) @ question) for e in examples), default=None)
        if example is not None:
            assert env.matcher.relevance(question, "clauses_and_examples")[k] == pytest.approx(0.5 * (clause + example), abs=1e-5)
    with pytest.raises(ValueError, match="built for 'description'"):
        ToolMatcher(encoder, env.descriptions, "description").relevance(question, "clauses_and_examples")
    export_router(untrained_module(env), env, [8], str(tmp_path / "mix.pt"), novelty_threshold=0.9,
                  novelty_relevance_match="clauses_and_examples")
    router = Router(str(tmp_path / "mix.pt"))
    assert router.novelty_relevance_match == "clauses_and_examples" and router.relevance_match == "examples"
    odd = replace(probe[0], id="odd", question="What is the number of short tones in this clip?", choices=("two", "five"))
    routed = router.routing_env([odd], env.executor, env.reasoner, encoder)
    obs, _ = routed.reset(seed=0)
    n = routed.n_tools
    asked = routed.matcher.relevance(encoder.encode(relevance_text(odd.question, odd.choices, router.novelty_relevance_of)),
                                     "clauses_and_examples")
    expected = routed.tool_names[int(np.argmax(np.where(obs["action_mask"][:n] > 0, asked, -np.inf)))]
    info = router.route(router.routing_env([odd], env.executor, env.reasoner, encoder), seed=0)
    assert info["by_relevance"] and info["tools"] == [expected]
    export_router(untrained_module(env), env, [8], str(tmp_path / "same.pt"), novelty_threshold=0.9)
    assert Router(str(tmp_path / "same.pt")).novelty_relevance_match == "examples"
    plain = make_env(probe[:3], encoder, tmp_path, max_calls=1, shuffle=False)
    with pytest.raises(ValueError, match="from a matcher built for 'description'"):  # training checks it first
        check_novelty_reading(plain, "", "clauses_and_examples")
    with pytest.raises(ValueError, match="relevance_match 'clauses_and_examples' from a matcher built for"):
        export_router(untrained_module(plain), plain, [8], str(tmp_path / "bad.pt"),
                      novelty_relevance_match="clauses_and_examples")
    with pytest.raises(ValueError, match="relevance_match 'words'"):
        export_router(untrained_module(env), env, [8], str(tmp_path / "bad.pt"), novelty_relevance_match="words")


def test_the_fallback_classifier_weighs_the_words_that_tell_tools_apart(probe, encoder, tmp_path):
    """clauses_examples_and_classifier: clauses_and_examples plus CLASSIFIER_WEIGHT times the tool's
    probability under a logistic regression fit to all tools' texts (probabilities that sum to one,
    each tool's own examples mostly its own). A pitch question that shares its nouns and frame with
    an event-counter example ("Is the first tone longer than the second one?") goes to the event
    counter by nearest cosine and to the pitch tool with the classifier; a count question stays."""
    from env.features import CLASSIFIER_WEIGHT, without_quotes

    env = make_env(probe[:3], encoder, tmp_path, max_calls=1, shuffle=False, relevance_match="examples",
                   relevance_of="question_without_quotes")
    classifier = env.matcher.tool_classifier()
    assert classifier is env.matcher.tool_classifier()  # fit once per matcher
    own = [int(classifier.predict(encoder.encode(without_quotes(e))[None].astype(np.float64))[0]) == k
           for k, examples in enumerate(env.examples) for e in examples]
    assert sum(own) >= 0.9 * len(own)
    deeper = encoder.encode("Does the first tone sound deeper than the second?")
    cosines = env.matcher.relevance(deeper, "clauses_and_examples")
    scored = env.matcher.relevance(deeper, "clauses_examples_and_classifier")
    probability = (scored - cosines) / CLASSIFIER_WEIGHT
    assert probability.min() >= 0 and probability.sum() == pytest.approx(1.0, abs=1e-4)
    names = env.tool_names
    assert names[int(np.argmax(cosines))] == "events" and names[int(np.argmax(scored))] == "pitch"
    count = encoder.encode("How many knocks can you hear?")
    assert names[int(np.argmax(env.matcher.relevance(count, "clauses_examples_and_classifier")))] == "events"


def test_familiarity_reads_the_question_without_its_numbers_when_asked(probe, encoder, tmp_path):
    """novelty_reading: question_without_numbers compares a question with the training questions
    with the numbers they name masked, so a trained wording asking about another value is familiar
    (the policy routes it, reading the reasoner's margin) where the raw question is not (cosine
    0.88); a new wording stays unfamiliar. router.pt records the reading, a file without it reads the
    raw question, and an unknown reading is refused before training and at export."""
    from dataclasses import replace

    import torch

    from env.features import novelty_text
    from policy.export import Router, check_novelty_reading, export_router

    assert novelty_text("Is this clip 7 s long? Are there three beeps?", "question_without_numbers") == \
        "Is this clip # s long? Are there # beeps?"
    trained = [replace(probe[0], id="seven", question="Is this clip 7 s long?", choices=("yes", "no"), answer="yes")]
    env = make_env(trained, encoder, tmp_path, max_calls=1, shuffle=False)
    routers = {}
    for reading in ("question", "question_without_numbers"):
        path = str(tmp_path / f"{reading}.pt")
        export_router(untrained_module(env), env, [8], path, novelty_threshold=0.9, novelty_reading=reading)
        routers[reading] = Router(path)
    raw, masked = routers["question"], routers["question_without_numbers"]
    assert raw.novelty_reading == "question" and masked.novelty_reading == "question_without_numbers"
    asked = "Is this clip 6 s long?"
    assert not raw.familiar(raw.question_vector(encoder, asked))
    assert masked.familiar(masked.question_vector(encoder, asked))
    assert not masked.familiar(masked.question_vector(encoder, "How long is the gap between the two sounds?"))
    info = masked.route(masked.routing_env([replace(trained[0], id="six", question=asked)], env.executor,
                                           env.reasoner, encoder), seed=0)
    assert not info["by_relevance"]
    blob = torch.load(str(tmp_path / "question_without_numbers.pt"), weights_only=True)
    del blob["novelty_reading"]  # a file from before the option
    torch.save(blob, str(tmp_path / "older.pt"))
    assert Router(str(tmp_path / "older.pt")).novelty_reading == "question"
    with pytest.raises(ValueError, match="novelty_reading 'words'"):
        check_novelty_reading(env, "", "", "words")
    with pytest.raises(ValueError, match="novelty_reading 'words'"):
        export_router(untrained_module(env), env, [8], str(tmp_path / "bad.pt"), novelty_reading="words")


def test_an_unfamiliar_question_leans_on_the_training_questions_routed_near_it(probe, encoder, tmp_path):
    """With a neighbour_weight, router.pt also keeps the tool its policy calls first on each
    training question; an unfamiliar question's score for a tool is its relevance plus the weight
    times how far its highest cosine with a training question routed to that tool lies above the
    floor. A new wording of a trained question then goes where that question went."""
    from dataclasses import replace

    from policy.export import Router, export_router

    env = make_env(probe[:3], encoder, tmp_path, max_calls=2, shuffle=False)
    export_router(untrained_module(env), env, [8], str(tmp_path / "near.pt"), novelty_threshold=0.99,
                  neighbour_weight=2.0, neighbour_floor=0.6)
    router = Router(str(tmp_path / "near.pt"))
    questions = list(dict.fromkeys(i.question for i in probe[:3]))
    n = env.n_tools
    for question, tool in zip(questions, router._known_tools):  # the policy's own first decision
        first = router.act(env.start(next(i for i in probe[:3] if i.question == question)))
        assert tool == (first if first < n else -1)

    reworded = replace(probe[0], id="reworded", question=probe[0].question + " Listen closely before you answer.")
    vector = encoder.encode(reworded.question)
    cosine = float(encoder.encode(probe[0].question) @ vector)
    assert 0.6 < cosine < 0.99, cosine  # unfamiliar, yet near a training question
    routed = router.routing_env([reworded], env.executor, env.reasoner, encoder)
    obs, _ = routed.reset(seed=0)
    relevance = obs["observations"][-(3 * n + 1): -(2 * n + 1)]
    allowed = obs["action_mask"][:n] > 0
    # pretend the policy sent every training question to the least relevant applicable tool
    least = int(np.argmin(np.where(allowed, relevance, np.inf)))
    router._known_tools[:] = least
    support = router.neighbour_support(vector)
    assert support[least] == pytest.approx(max(0.0, float(np.max(router._known @ vector)) - 0.6), abs=1e-6)
    assert np.all(np.delete(support, least) == 0)
    lifted = relevance + 2.0 * support
    expected = int(np.argmax(np.where(allowed, lifted, -np.inf)))
    assert expected == least, "the test needs the support to change the decision"
    info = router.route(router.routing_env([reworded], env.executor, env.reasoner, encoder), seed=0)
    assert info["by_relevance"] and info["tools"] == [routed.tool_names[least]]

    router.spec["neighbour_weight"] = 0.0  # relevance alone, as before the option
    info = router.route(router.routing_env([reworded], env.executor, env.reasoner, encoder), seed=0)
    assert info["tools"] == [routed.tool_names[int(np.argmax(np.where(allowed, relevance, -np.inf)))]]


def test_a_tool_description_set_in_config_is_recorded_and_a_router_refuses_another(probe, encoder, tmp_path):
    """`tools: [{name, description}]` replaces a tool's description (what the relevance reads);
    router.pt records the descriptions it was trained with, and routing with others is refused
    rather than reading a relevance the policy never saw."""
    from policy.export import Router, export_router
    from tools.registry import build_tools

    assert build_tools([{"name": "duration", "description": "How long it lasts."}])[0].description == "How long it lasts."
    assert build_tools([{"name": "duration"}])[0].description == "Length of the clip in seconds."
    with pytest.raises(ValueError, match="description"):
        build_tools([{"name": "duration", "description": " "}])

    env = make_env(probe[:2], encoder, tmp_path, max_calls=1, shuffle=False)
    export_router(untrained_module(env), env, [8], str(tmp_path / "described.pt"))
    router = Router(str(tmp_path / "described.pt"))
    assert router.spec["tool_descriptions"] == env.descriptions
    router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder), seed=0)  # the same: routes
    tool = env.executor.tools[env.tool_names[0]]
    tool.description = "Something else entirely."
    try:
        with pytest.raises(ValueError, match=f"other descriptions of tools \\['{env.tool_names[0]}'\\]"):
            router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder), seed=0)
    finally:
        del tool.description  # back to the class's


def test_relevance_by_examples_adds_the_nearest_example_question(probe, encoder, tmp_path):
    """relevance_match=examples: per tool, the mean of the whole description's cosine, the best
    clause's and the best of its example questions' (a tool without examples keeps the clauses'
    mean); a config entry's `examples` replace a tool's; router.pt records them and refuses others."""
    from env.features import description_clauses
    from policy.export import Router, export_router

    assert all(len(t.examples) >= 10 for t in build_tools())  # every built-in tool has example questions
    assert build_tools([{"name": "duration", "examples": ["How long?"]}])[0].examples == ("How long?",)
    with pytest.raises(ValueError, match="examples"):
        build_tools([{"name": "duration", "examples": "How long?"}])  # a string, not a list

    env = make_env(probe[:3], encoder, tmp_path, max_calls=1, shuffle=False, relevance_match="examples")
    obs, _ = env.reset(seed=0)
    n, q = env.n_tools, encoder.encode(env.item.question)
    expected = []
    for k, name in enumerate(env.tool_names):
        tool = env.executor.tools[name]
        whole = float(env.tool_vectors[k] @ q)
        clause = max(float(encoder.encode(c) @ q) for c in description_clauses(tool.description or name))
        example = max(float(encoder.encode(e) @ q) for e in tool.examples)
        expected.append((whole + clause + example) / 3)
    assert np.allclose(obs["observations"][-(3 * n + 1): -(2 * n + 1)], expected, atol=1e-5)
    # a question worded like one of the count tool's examples is nearest that tool
    beeps = next(e for e in env.executor.tools["events"].examples if "beep" in e)
    assert env.tool_names[int(np.argmax(env.matcher.relevance(encoder.encode(beeps))))] == "events"

    export_router(untrained_module(env), env, [8], str(tmp_path / "examples.pt"))
    router = Router(str(tmp_path / "examples.pt"))
    assert router.relevance_match == "examples" and router.spec["tool_examples"][0] == list(env.examples[0])
    router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder), seed=0)
    tool = env.executor.tools[env.tool_names[0]]
    tool.examples = ("A question nobody asked?",)
    try:
        with pytest.raises(ValueError, match="other example questions"):
            router.route(router.routing_env(probe[:1], env.executor, env.reasoner, encoder), seed=0)
    finally:
        del tool.examples
