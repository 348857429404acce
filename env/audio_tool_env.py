"""AudioToolEnv: one episode per AudioQA item; the agent calls tools, then answers.

Contract (what the router and RLlib rely on):
- observation: Dict(observations=Box[float32, D], action_mask=Box[{0,1}, n_tools + 1]).
  `observations` = question embedding (MiniLM, 384; left out with `question_embedding=False`) |
  audio descriptors (8; left out with `audio_descriptors=False`) | with `reasoner_confidence`, the
  margin of the reasoner's no-tool answer less `confidence_floor`, at least 0, and with
  `confidence_span` read over that span and at most 1 (1; `no_tool_margin`, `observed_margin`) | with
  `result_features`, what the tools called so far found (each tool's `feature_vector` of its
  result in its own slots, zeros until it is called or when it failed; `feature_layout` names
  them; without, the block is empty) | each tool's relevance, the
  question's (with `relevance_of: question_and_choices`, the question and its choices') cosine with its description
  (with `relevance_match: clauses`, averaged with its best cosine with one of the description's clauses; n_tools) | tools called so far (one-hot, n_tools) |
  which of those succeeded (n_tools) | calls used / budget. The router finds the relevance block
  by its place from the end (policy/networks.py RelevancePrior).
- action: Discrete(n_tools + 1): k < n_tools calls tool k; n_tools is ANSWER.
- mask: a tool already called, or whose precondition fails (`applicable(question, choices)`),
  is 0; ANSWER is always 1. A masked action, if one is sent anyway (gymnasium's checker
  samples unmasked), ends the episode as ANSWER and sets info["masked_action"].
- the episode ends on ANSWER or when `max_calls` tools have been called; the reward comes
  only then, from the configured reward (env/rewards.py): `relative` = correct(with tools) -
  correct(without tools) (the no-tool answer is one cached reasoner call per item),
  `relative_prob` = the same in the reasoner's probability of the correct choice (1/k for an
  answer without evidence from a reasoner that does not hear: env/rewards.py `p_guess`), or
  `outcome` = correct(with tools); each minus `cost_weight * sum(costs of the tools called)` and
  `call_cost` per call.
- the reasoner sees the successful results in config order (`ToolExecutor.evidence`), so the
  answer, and the reward, depend on which tools were called, not on their order.
- info at the end: answer, correct, correct_without_tools, tools (in call order), cost.
- a bad item is skipped, counted and never fatal: audio that does not decode at reset is
  skipped; an episode whose reasoner call times out, or whose file goes bad mid-episode, ends
  with reward 0 and info["error"] (no "correct": it is no evidence either way). Either way the
  item lands in `rejected` ({id, stage, reason}) and is not drawn again.

Correctness is exact choice match: the reasoner answers by scoring the choices, so its
answer is always one of them, and MMAU's string match then agrees with equality.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

from env.features import DESCRIPTORS, QuestionEncoder, ToolMatcher, audio_descriptors, relevance_text, tool_texts
from env.items import AudioQA
from env.reasoners import ReasonRequest
from env.rewards import Outcome, Reward, answer_margin, build_reward
from tools.base import AudioError, ToolResult
from tools.errors import SetupError
from tools.executor import ToolExecutor

OBS_LIMIT = 10.0


def applicable_tools(item: AudioQA, executor: ToolExecutor) -> list[str]:
    """The tools whose precondition holds for the item's question and choices, in config order."""
    return [n for n in executor.names if executor.tools[n].applicable(item.question, item.choices)]


def reachable_requests(item: AudioQA, executor: ToolExecutor, max_calls: int) -> list[ReasonRequest]:
    """Every reasoner request an episode on `item` can send: the no-tool one and one per set of
    at most `max_calls` applicable tools (evidence from the executor, so tool results should be
    cached first). The reasoner is frozen, so these answers are the whole reward table:
    precomputed (`audiorouter cache warm --reasoner`), PPO samples from cache lookups alone."""
    applicable = applicable_tools(item, executor)
    budget = max(1, min(int(max_calls), len(executor.names)))
    results = dict(zip(applicable, executor.run(item.audio, item.question, item.choices, applicable)))
    requests = {}  # evidence texts -> request: two tool sets with the same texts ask the same
    for size in range(budget + 1):
        for tools in combinations(applicable, size):
            request = ReasonRequest.from_results(item.question, item.choices, [results[n] for n in tools],
                                                 executor, item.audio)
            requests.setdefault(request.tool_texts, request)
    return [requests[t] for t in sorted(requests)]


def checked_confidence_floor(floor) -> float:
    """The floor as a float in [0, 1) (a margin is a difference of probabilities); a ValueError otherwise."""
    if not 0.0 <= float(floor) < 1.0:
        raise ValueError(f"confidence_floor (train.env.reasoner_confidence_floor) must be in [0, 1), got {floor}")
    return float(floor)


def checked_confidence_span(span) -> float:
    """The span as a float in [0, 1] (0: the margin above the floor is observed as it is); a
    ValueError otherwise."""
    if not 0.0 <= float(span) <= 1.0:
        raise ValueError(f"confidence_span (train.env.reasoner_confidence_span) must be in [0, 1], got {span}")
    return float(span)


class AudioToolEnv(gym.Env):
    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, items: Sequence[AudioQA], executor: ToolExecutor, reasoner, encoder: QuestionEncoder,
                 max_calls: int = 3, reward: str | dict | Reward = "relative", cost_weight: float = 0.0,
                 call_cost: float = 0.0, shuffle: bool = True, result_features: bool = False, score: bool = True,
                 question_embedding: bool = True, audio_descriptors: bool = True, relevance_of: str = "question",
                 reasoner_confidence: bool = False, relevance_match: str = "description",
                 confidence_floor: float = 0.0, confidence_span: float = 0.0):
        self.reward = build_reward(reward)
        # score=False: an episode only routes (a trained router choosing tools for eval or serving):
        # it ends without the reasoner's two answers, reward 0; whoever routes asks the reasoner once
        self.score = bool(score)
        if not items:
            raise ValueError("AudioToolEnv needs at least one item")
        self.items = list(items)
        self.executor = executor
        self.reasoner = reasoner
        # whether the reasoner hears the clip itself: where it does not, its answer without evidence
        # is a guess (env/rewards.py `p_guess`; `no_tool_margin`)
        self.reasoner_hears = bool(getattr(reasoner, "hears_audio", False))
        self.encoder = encoder
        self.tool_names = executor.names
        self.n_tools = len(self.tool_names)
        self.answer_action = self.n_tools
        self.max_calls = max(1, min(int(max_calls), self.n_tools))
        self.cost_weight = float(cost_weight)
        self.call_cost = float(call_cost)
        self.shuffle = shuffle
        self.costs = np.array([executor.tools[n].cost for n in self.tool_names], dtype=np.float32)
        # False: the question reaches the router only as its relevance to each tool's description,
        # which an unseen question type has too; its 384-d embedding lets the MLP key on wording
        self.question_embedding = bool(question_embedding)
        self.question_dim = encoder.dim if self.question_embedding else 0
        # False: no clip descriptors; what a clip sounds like then cannot pull an unfamiliar
        # question towards the tool of a trained family whose clips sound alike
        self.descriptors = tuple(DESCRIPTORS) if audio_descriptors else ()
        # True: how sure the reasoner is of its own no-tool answer (`no_tool_margin`), one number after
        # the descriptors. An LALM that hears a clip's length answers a length question alone; the
        # router can skip the tool only where it can tell the reasoner heard, not guessed
        self.reasoner_confidence = bool(reasoner_confidence)
        # margins under the floor are observed as 0, those above less the floor: a toss-up's exact
        # margin says nothing of the clip, and as a per-item number it lets the policy tell apart
        # items of one wording that need the same tool (docs/RESULTS.md "The confidence floor")
        self.confidence_floor = checked_confidence_floor(confidence_floor)
        # > 0: a margin the span or more above the floor is observed as 1, one in between in
        # proportion. A sure answer then reads the same at 0.52 as at 0.99, so the policy places its
        # skip boundary where heard turns to guessed, not among sure items of one wording by their
        # exact margins (docs/RESULTS.md "A sure answer reads as sure")
        self.confidence_span = checked_confidence_span(confidence_span)
        # what the relevance block is the relevance of (env/features.py relevance_text)
        relevance_text("", (), relevance_of)  # an unknown name is refused here, not at the first reset
        self.relevance_of = relevance_of
        self.descriptions, self.examples = tool_texts([executor.tools[n] for n in self.tool_names])
        # how a question meets each tool's description and examples (env/features.py ToolMatcher)
        self.matcher = ToolMatcher(encoder, self.descriptions, relevance_match, self.examples, relevance_of)
        self.relevance_match = relevance_match
        self.tool_vectors = self.matcher.vectors
        # each tool's result features, in config order: (name, feature names) and their slots
        self.feature_layout = [(n, list(getattr(executor.tools[n], "features", ()) if result_features else ()))
                               for n in self.tool_names]
        ends = np.cumsum([0] + [len(names) for _, names in self.feature_layout])
        self.feature_slots = [slice(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:])]
        self.n_features = int(ends[-1])
        self.n_static = self.question_dim + len(self.descriptors) + int(self.reasoner_confidence)  # before the found block
        self.obs_dim = self.n_static + self.n_features + 3 * self.n_tools + 1
        self.observation_space = gym.spaces.Dict({
            "observations": gym.spaces.Box(-OBS_LIMIT, OBS_LIMIT, (self.obs_dim,), np.float32),
            "action_mask": gym.spaces.Box(0.0, 1.0, (self.n_tools + 1,), np.float32),
        })
        self.action_space = gym.spaces.Discrete(self.n_tools + 1)
        self._static: dict[str, np.ndarray] = {}  # item id -> embedding | descriptors | relevance
        self._order: list[int] = []
        self.rejected: list[dict] = []  # {id, stage, reason}, one per bad item (env/admission.py)
        self.bad_ids: set[str] = set()
        self.item: AudioQA | None = None

    def reject(self, item: AudioQA, stage: str, reason: str) -> None:
        """Skip `item` from now on and record why (RLlib's runner reports the count, `bad_items`)."""
        if item.id not in self.bad_ids:
            self.bad_ids.add(item.id)
            self.rejected.append({"id": item.id, "stage": stage, "reason": f"item {item.id}: {reason}"})

    # -- per-item features -------------------------------------------------------
    def _static_features(self, item: AudioQA) -> np.ndarray:
        if item.id not in self._static:
            audio = self.executor.load_audio(item.audio)
            question = self.encoder.encode(item.question)
            asked = self.encoder.encode(relevance_text(item.question, item.choices, self.relevance_of))
            described = audio_descriptors(audio) if self.descriptors else np.zeros(0, np.float32)
            sure = [self.observed_margin(self.no_tool_margin(item))] if self.reasoner_confidence else []
            self._static[item.id] = np.concatenate([question[: self.question_dim], described, sure,
                                                    self.matcher.relevance(asked)]).astype(np.float32)
        return self._static[item.id]

    def observed_margin(self, margin: float) -> float:
        """What the observation holds of a no-tool margin: 0 under `confidence_floor`; above it, the
        margin less the floor, or with `confidence_span` that read over the span, 0 to 1."""
        above = max(0.0, margin - self.confidence_floor)
        return min(1.0, above / self.confidence_span) if self.confidence_span > 0 else above

    def no_tool_margin(self, item: AudioQA) -> float:
        """The reasoner's probability of its no-tool answer minus that of the runner-up (0: a toss-up,
        1: certain). One reasoner call per item, the no-tool request the reward needs anyway (cached;
        when the router then answers without a tool, this is the answer). 0 for a reasoner that does
        not hear: its no-tool answer is a guess whatever its scores say (env/rewards.py `p_guess`)."""
        if not self.reasoner_hears:
            return 0.0
        return answer_margin(self.reasoner.answer_batch([ReasonRequest(item.question, item.choices, (), item.audio)])[0])

    def _applicable(self, item: AudioQA) -> np.ndarray:
        ok = set(applicable_tools(item, self.executor))
        return np.array([n in ok for n in self.tool_names], dtype=bool)

    def result_features(self, k: int, result: ToolResult) -> np.ndarray:
        """Tool k's feature_vector of `result`; zeros for a failed result."""
        size = self.feature_slots[k].stop - self.feature_slots[k].start
        if not result.ok or size == 0:
            return np.zeros(size, np.float32)
        values = np.asarray(self.executor.tools[self.tool_names[k]].feature_vector(result.data), np.float32)
        if values.shape != (size,):
            raise ValueError(f"tool {self.tool_names[k]}: feature_vector gave {values.shape[0] if values.ndim else 1} "
                             f"numbers for its {size} features {self.feature_layout[k][1]}")
        return values

    def _obs(self) -> dict[str, np.ndarray]:
        called = np.zeros(self.n_tools, np.float32)
        succeeded = np.zeros(self.n_tools, np.float32)
        found = np.zeros(self.n_features, np.float32)
        for k, result in zip(self.called, self.results):
            called[k] = 1.0
            succeeded[k] = float(result.ok)
            found[self.feature_slots[k]] = self.result_features(k, result)
        n = self.n_static  # then the relevance (n_tools): the found block goes between
        vec = np.concatenate([self.static[:n], found, self.static[n:], called, succeeded,
                              [len(self.called) / self.budget]])
        mask = np.ones(self.n_tools + 1, np.float32)
        mask[: self.n_tools] = (self.applicable & (called == 0)).astype(np.float32)
        return {"observations": np.clip(vec, -OBS_LIMIT, OBS_LIMIT).astype(np.float32), "action_mask": mask}

    # -- gymnasium API -------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:  # a seeded reset replays the same item order
            self._order = []
        for _ in range(len(self.items)):
            if not self._order:
                self._order = list(self.np_random.permutation(len(self.items))) if self.shuffle else \
                    list(range(len(self.items)))
            item = self.items[self._order.pop(0)]
            if item.id in self.bad_ids:
                continue
            try:
                obs = self.start(item)
                break
            except AudioError as exc:  # one bad file never ends a run: skip, count, go on
                self.reject(item, "audio", str(exc))
            except TimeoutError as exc:  # the no-tool answer `reasoner_confidence` reads timed out
                self.reject(item, "reasoner", f"{type(exc).__name__}: {exc}")
        else:
            raise SetupError(f"no usable item: {len(self.rejected)} rejected, e.g. {self.rejected[:1]}")
        return obs, {"item_id": item.id}

    def start(self, item: AudioQA) -> dict[str, np.ndarray]:
        """A new episode on `item`, its first observation (`reset` picks the item; export asks for
        the training items' first decisions). Raises AudioError on an unreadable clip."""
        self.static = self._static_features(item)
        self.item = item
        self.applicable = self._applicable(item)
        self.called: list[int] = []
        self.results: list[ToolResult] = []
        self.budget = self.max_calls
        return self._obs()

    def extend_budget(self, calls: int) -> None:
        """Allow this episode up to `calls` tool calls (never fewer than `max_calls`); the next
        episode starts at `max_calls` again. Only for routing without the policy: the router's
        fallback consults a second tool on an unfamiliar question it cannot place
        (`policy.export.Router.fallback_tools`), where the policy was trained with one call."""
        self.budget = max(self.max_calls, min(int(calls), self.n_tools))

    def plan(self, action) -> tuple[int | None, bool, bool]:
        """What `step(action)` will do: (tool to call or None, episode ends, action was masked).
        A vectorized env reads it to fetch every sub-env's tool results and answers in one call."""
        action = int(action)
        masked = not (0 <= action <= self.n_tools) or self._obs()["action_mask"][action] == 0
        if masked or action == self.answer_action:
            return None, True, masked
        return action, len(self.called) + 1 >= self.budget, False

    def requests(self, results: Sequence[ToolResult]) -> list[ReasonRequest]:
        """The two reasoner requests that score an episode ending with `results`: with and without tools."""
        item = self.item
        return [ReasonRequest.from_results(item.question, item.choices, results, self.executor, item.audio),
                ReasonRequest(item.question, item.choices, (), item.audio)]

    def possible_requests(self, item: AudioQA) -> list[ReasonRequest]:
        """`reachable_requests` with this env's tools and call budget."""
        return reachable_requests(item, self.executor, self.max_calls)

    def step(self, action):
        tool, ends, masked = self.plan(action)
        if tool is not None:
            try:
                result = self.executor.run(self.item.audio, self.item.question, self.item.choices,
                                           [self.tool_names[tool]])[0]
            except AudioError as exc:  # the file went bad after reset (deleted, rewritten)
                return self._fail("audio", exc)
            self.called.append(tool)
            self.results.append(result)
        if not ends:
            return self._obs(), 0.0, False, False, {}
        return self._finish(masked)

    def close(self):
        """Writes what the caches still hold in memory (RLlib closes envs when runners stop)."""
        self.executor.cache.flush()
        self.reasoner.cache.flush()

    def _fail(self, stage: str, exc: Exception):
        """No answer, no reward signal: end the episode at 0 and leave the item out from now on."""
        self.reject(self.item, stage, f"{type(exc).__name__}: {exc}")
        return self._obs(), 0.0, True, False, {"error": str(exc), "item_id": self.item.id,
                                                "tools": [self.tool_names[k] for k in self.called]}

    def _finish(self, masked: bool):
        tools = [self.tool_names[k] for k in self.called]
        cost = float(self.costs[self.called].sum()) if self.called else 0.0
        if not self.score:
            return self._obs(), 0.0, True, False, {"tools": tools, "cost": cost, "masked_action": masked,
                                                   "item_id": self.item.id}
        requests = self.requests(self.results)
        try:
            with_tools, without = self.reasoner.answer_batch(requests)
        except TimeoutError as exc:
            return self._fail("reasoner", exc)
        answer = with_tools.choice
        outcome = Outcome(self.item, with_tools, without, tools, cost, self.cost_weight, self.call_cost,
                          reasoner_hears=self.reasoner_hears,
                          evidence=any(t.strip() for t in requests[0].tool_texts))
        info = {"answer": answer, "correct": outcome.correct, "correct_without_tools": outcome.correct_without_tools,
                "tools": outcome.tools, "cost": cost, "masked_action": masked, "item_id": self.item.id}
        return self._obs(), float(self.reward(outcome)), True, False, info
