"""router.pt: the trained router without RLlib or Ray.

The file holds only tensors, strings and numbers, so it loads with
`torch.load(weights_only=True)` (no pickled code runs). `Router` rebuilds the same MLP and
routes greedily; observations come from AudioToolEnv itself, so training and inference
share one featurizer.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Sequence

import numpy as np

import torch

from env.audio_tool_env import AudioToolEnv
from env.features import EXAMPLE_MATCHES, novelty_text, relevance_text
from policy.networks import RelevancePrior, build_trunk, masked_logits, trunk_input
from tools.base import AudioError

FORMAT = "audiorouter-router/4"  # 4: the trunk reads the relevance centred and scaled (networks.trunk_input)
OLD_FORMATS = {"audiorouter-router/1": "it was trained before tool relevance joined the observation",
               "audiorouter-router/2": "it was trained before the tools' result features joined the observation",
               "audiorouter-router/3": "its trunk read the raw relevance, this version's reads it centred and scaled"}


def export_router(module, env: AudioToolEnv, hidden: Sequence[int], path: str, novelty_threshold: float = 0.0,
                  neighbour_weight: float = 0.0, neighbour_floor: float = 0.6, novelty_relevance_of: str = "",
                  novelty_relevance_match: str = "", novelty_reading: str = "question",
                  second_tool_margin: float = 0.0) -> None:
    """Write the RLlib RouterModule's weights and the feature spec of the env it was trained on;
    with a `novelty_threshold`, also its training questions' MiniLM vectors, read as
    `novelty_reading` says (`Router.familiar`), and
    what an unfamiliar question's relevance is read of and how it meets the tools' descriptions
    (`novelty_relevance_of`, `novelty_relevance_match`, default the env's), within what relevance
    margin it consults a second tool (`second_tool_margin`, `Router.fallback_tools`), and with a
    `neighbour_weight` the tool the trained policy calls first on each (`Router.neighbour_support`)."""
    check_novelty_reading(env, novelty_relevance_of, novelty_relevance_match, novelty_reading, second_tool_margin)
    state = {k: v.detach().cpu().clone() for k, v in module.state_dict().items()
             if k.split(".")[0] in ("trunk", "pi", "vf", "prior")}
    questions = list(dict.fromkeys(item.question for item in env.items)) if novelty_threshold > 0 else []
    known = torch.as_tensor(np.stack([env.encoder.encode(novelty_text(q, novelty_reading)) for q in questions]) if questions
                            else np.zeros((0, 0), np.float32))
    blob = {"format": FORMAT, "state_dict": state, "known_questions": known,
            "known_tools": torch.full((len(questions),), -1, dtype=torch.long),
            "novelty_threshold": float(novelty_threshold), "novelty_reading": novelty_reading,
            "neighbour_weight": float(neighbour_weight), "second_tool_margin": float(second_tool_margin),
            "neighbour_floor": float(neighbour_floor), "hidden": list(hidden), "obs_dim": env.obs_dim,
            "tool_names": list(env.tool_names), "tool_costs": [float(c) for c in env.costs],
            "max_calls": env.max_calls, "descriptors": list(env.descriptors),
            "tool_features": [[name, list(features)] for name, features in env.feature_layout],
            "encoder": "sentence-transformers/all-MiniLM-L6-v2", "question_embedding": env.question_embedding,
            "relevance_of": env.relevance_of, "novelty_relevance_of": novelty_relevance_of or env.relevance_of,
            "novelty_relevance_match": novelty_relevance_match or env.relevance_match,
            "reasoner_confidence": env.reasoner_confidence, "confidence_floor": env.confidence_floor,
            "confidence_span": env.confidence_span, "relevance_match": env.relevance_match,
            "tool_descriptions": env.descriptions, "tool_examples": [list(e) for e in env.examples]}
    torch.save(blob, path)
    if questions and neighbour_weight > 0:  # the policy's first tool per training question, read back through Router
        blob["known_tools"] = torch.as_tensor(first_tools(Router(path), env, questions), dtype=torch.long)
        torch.save(blob, path)


def check_novelty_reading(env: AudioToolEnv, relevance_of: str = "", relevance_match: str = "",
                          reading: str = "question", second_tool_margin: float = 0.0) -> None:
    """A ValueError for a fallback reading the env cannot give: an unknown name, a match its
    matcher has not encoded (examples, from one built for descriptions), or a second tool's margin
    outside [0, 1] (a difference of cosines). Training checks it before its first iteration, export again."""
    if not 0.0 <= float(second_tool_margin) <= 1.0:
        raise ValueError(f"novelty_second_tool_margin {second_tool_margin}: a difference of relevance cosines, "
                         f"from 0 (one tool) to 1")
    novelty_text("", reading)
    relevance_text("", (), relevance_of or env.relevance_of)
    env.matcher.relevance(env.encoder.encode(""), relevance_match or env.relevance_match)


def first_tools(router: "Router", env: AudioToolEnv, questions: Sequence[str]) -> list[int]:
    """Per question, the tool the router's policy calls first on most of the env's items that ask it
    (-1: it answers without one). An unfamiliar question near one of these is routed like it."""
    votes: dict[str, Counter] = {q: Counter() for q in questions}
    for item in env.items:
        if item.question not in votes or item.id in env.bad_ids:
            continue
        try:
            votes[item.question][router.act(env.start(item))] += 1
        except (AudioError, TimeoutError):  # as reset: an item that cannot start is skipped
            continue
    n = len(router.tool_names)
    return [next((k for k, _ in votes[q].most_common() if k < n), -1) if votes[q] else -1 for q in questions]


class Router(torch.nn.Module):
    """Greedy masked routing from router.pt."""

    def __init__(self, path: str):
        super().__init__()
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such router file")
        try:
            # weights_only: tensors and plain containers only; a pickled object is refused, never run
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ValueError(f"{path}: refused, not a plain-tensor router file ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})") from exc
        if isinstance(blob, dict) and blob.get("format") in OLD_FORMATS:
            raise ValueError(f"{path}: a {blob['format']} file, which this version cannot run: "
                             f"{OLD_FORMATS[blob['format']]}. Train the router again (audiorouter train).")
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} file")
        self.spec = {k: v for k, v in blob.items() if k not in ("state_dict", "known_questions", "known_tools")}
        # the training questions (unit vectors), for routing an unfamiliar one by relevance
        self._known = np.asarray(blob.get("known_questions", torch.zeros(0, 0)).numpy(), np.float32)
        # the tool its policy calls first on each of them (-1: none), for `neighbour_support`
        self._known_tools = np.asarray(blob.get("known_tools", torch.full((len(self._known),), -1)).numpy(), np.int64)
        try:
            hidden = blob["hidden"]
            self.trunk = build_trunk(blob["obs_dim"], hidden)
            width = hidden[-1] if hidden else blob["obs_dim"]
            self.pi = torch.nn.Linear(width, len(blob["tool_names"]) + 1)
            self.vf = torch.nn.Linear(width, 1)
            self.prior = RelevancePrior(len(blob["tool_names"]))
            self.load_state_dict(blob["state_dict"])
        except (KeyError, TypeError, RuntimeError) as exc:  # fields missing or weights of the wrong shape
            raise ValueError(f"{path}: a damaged {FORMAT} file ({type(exc).__name__}: {exc})") from exc
        self.eval()
        # the same weights as numpy arrays for `act`: the file is frozen once loaded
        self._trunk = [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy())
                       for m in self.trunk if isinstance(m, torch.nn.Linear)]
        self._pi = (self.pi.weight.detach().numpy().T.copy(), self.pi.bias.detach().numpy().copy())
        self._gain = float(self.prior.gain.detach())

    @property
    def tool_names(self) -> list[str]:
        return list(self.spec["tool_names"])

    @property
    def reads_results(self) -> bool:
        """Trained with the tools' result features in its observation (`train.env.result_features`)."""
        return any(features for _, features in self.spec["tool_features"])

    @property
    def reads_question(self) -> bool:
        """Trained with the question's embedding in its observation (`train.env.question_embedding`;
        files written before the option had it)."""
        return bool(self.spec.get("question_embedding", True))

    @property
    def reads_audio_descriptors(self) -> bool:
        """Trained with the clip's audio descriptors in its observation (`train.env.audio_descriptors`)."""
        return bool(self.spec.get("descriptors", True))

    @property
    def relevance_of(self) -> str:
        """What its relevance block was the relevance of (`train.env.relevance_of`; files written
        before the option: the question)."""
        return str(self.spec.get("relevance_of", "question"))

    @property
    def novelty_relevance_of(self) -> str:
        """What an unfamiliar question's relevance (the fallback's) is the relevance of
        (`train.novelty_relevance_of`; files written before it: the policy's `relevance_of`)."""
        return str(self.spec.get("novelty_relevance_of", self.relevance_of))

    @property
    def novelty_relevance_match(self) -> str:
        """How an unfamiliar question meets the tools' descriptions for the fallback
        (`train.novelty_relevance_match`; files written before it: the policy's `relevance_match`)."""
        return str(self.spec.get("novelty_relevance_match", self.relevance_match))

    @property
    def relevance_match(self) -> str:
        """How its relevance met each tool's description (`train.env.relevance_match`; files written
        before the option: the whole description)."""
        return str(self.spec.get("relevance_match", "description"))

    @property
    def reads_reasoner_confidence(self) -> bool:
        """Trained with the reasoner's no-tool margin in its observation (`train.env.reasoner_confidence`)."""
        return bool(self.spec.get("reasoner_confidence", False))

    @property
    def confidence_floor(self) -> float:
        """`train.env.reasoner_confidence_floor` (files written before the option: 0, nothing taken off)."""
        return float(self.spec.get("confidence_floor", 0.0))

    @property
    def confidence_span(self) -> float:
        """`train.env.reasoner_confidence_span` (files written before the option: 0, the margin as it is)."""
        return float(self.spec.get("confidence_span", 0.0))

    def routing_env(self, items, executor, reasoner, encoder) -> AudioToolEnv:
        """An env that only routes (no reward, score=False), observing what this router was
        trained to observe: its call budget, and the question embedding, audio descriptors and tool
        results if it read them. Eval and the cost benchmark route through it."""
        return AudioToolEnv(items, executor, reasoner, encoder, max_calls=int(self.spec["max_calls"]), shuffle=False,
                            result_features=self.reads_results, score=False, question_embedding=self.reads_question,
                            audio_descriptors=self.reads_audio_descriptors, relevance_of=self.relevance_of,
                            reasoner_confidence=self.reads_reasoner_confidence, relevance_match=self.relevance_match,
                            confidence_floor=self.confidence_floor, confidence_span=self.confidence_span)

    def act(self, obs: dict[str, np.ndarray]) -> int:
        """The greedy unmasked action: the module's forward (tanh MLP, policy head, RelevancePrior),
        computed in numpy. torch spends ~0.4 ms of call overhead on a network this small, numpy
        ~20 us, and a routed item takes two or three decisions (`act_torch` is the reference; a
        test checks both against the RLlib module)."""
        return int(np.argmax(self.action_logits(obs)))

    def action_logits(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The policy's logit per action (the tools, then ANSWER), -inf where the mask forbids it."""
        x = np.asarray(obs["observations"], np.float32)
        n = len(self.spec["tool_names"])
        hidden = trunk_input(x, n)
        for weight, bias in self._trunk:
            hidden = np.tanh(hidden @ weight + bias)
        logits = hidden @ self._pi[0] + self._pi[1]
        logits[:n] += self._gain * RelevancePrior.centred(x, n)
        return np.where(np.asarray(obs["action_mask"]) > 0, logits, -np.inf)

    def first_decision(self, obs: dict[str, np.ndarray], question_vector: np.ndarray,
                       relevance: np.ndarray | None = None) -> dict:
        """Why the first tool was chosen (`audiorouter route --explain`): whether the policy decided
        or the relevance fallback (an unfamiliar question), the question's highest cosine with a
        training question, each tool's relevance as the decision read it (without the fallback's
        `neighbour_support`, 0 unless `novelty_neighbour_weight` is set), and, where the policy
        decided, its probability per action (softmax over the allowed ones; the route takes the
        most probable). A wrong route is then either a question the policy mapped to the wrong tool
        or one whose relevance could not tell the tools apart."""
        n = len(self.spec["tool_names"])
        x = np.asarray(obs["observations"], np.float32)
        read = x[-(3 * n + 1): -(2 * n + 1)] if relevance is None else np.asarray(relevance, np.float32)
        familiar = self.familiar(question_vector)
        nearest = float(np.max(self._known @ np.asarray(question_vector, np.float32))) if self._known.size else None
        decision = {"by": "policy" if familiar else "relevance", "nearest_training_cosine": nearest,
                    "novelty_threshold": self.novelty_threshold,
                    "relevance": dict(zip(self.tool_names, map(float, read))), "policy": None}
        if familiar:
            logits = self.action_logits(obs)
            p = np.exp(logits - np.max(logits))
            decision["policy"] = dict(zip(self.tool_names + ["answer"], map(float, p / p.sum())))
        return decision

    @property
    def novelty_threshold(self) -> float:
        return float(self.spec.get("novelty_threshold", 0.0))

    @property
    def novelty_reading(self) -> str:
        """What a question's familiarity is read of (`env.features.novelty_text`); a file from
        before the option reads the raw question."""
        return str(self.spec.get("novelty_reading", "question"))

    def question_vector(self, encoder, question: str) -> np.ndarray:
        """The question's MiniLM vector as `familiar` and `neighbour_support` compare it with the
        training questions: read as they were (`novelty_reading`)."""
        return encoder.encode(novelty_text(question, self.novelty_reading))

    def familiar(self, question_vector: np.ndarray) -> bool:
        """Whether a question lies near enough a training question (highest cosine at least
        `novelty_threshold`) for the trained policy to route it. Measured on the leave-families-out
        protocol: on families it never trained on, the policy maps "how many times does the person
        speak?" to what it learned for "how many beeps?", where the tools' relevance names the
        speech counter (docs/RESULTS.md "An unfamiliar question is routed by relevance")."""
        if self.novelty_threshold <= 0 or self._known.size == 0:
            return True
        return float(np.max(self._known @ np.asarray(question_vector, np.float32))) >= self.novelty_threshold

    def neighbour_support(self, question_vector: np.ndarray) -> np.ndarray:
        """Per tool, how far past `neighbour_floor` the question's highest cosine with a training
        question the policy routes to that tool lies (0 below it). A new wording of a trained
        question type lies nearer that type's training questions than its relevance to the right
        description says ("Beep count?" is far from "Counts separate sound events"); a question of a
        new type lies near no training question, and its relevance decides."""
        support = np.zeros(len(self.spec["tool_names"]), np.float32)
        if self._known.size == 0:
            return support
        cosines = self._known @ np.asarray(question_vector, np.float32)
        floor = float(self.spec.get("neighbour_floor", 0.6))
        for k in range(len(support)):
            routed = cosines[self._known_tools == k]
            support[k] = max(0.0, float(routed.max()) - floor) if routed.size else 0.0
        return support

    @property
    def second_tool_margin(self) -> float:
        """Within what relevance margin the fallback consults the runner-up tool too
        (`train.novelty_second_tool_margin`; 0, and files from before it: never)."""
        return float(self.spec.get("second_tool_margin", 0.0))

    @property
    def most_calls(self) -> int:
        """The most tools one route calls: the trained budget, or two where the fallback may add the runner-up."""
        return max(int(self.spec["max_calls"]), 2 if self.second_tool_margin > 0 else 1)

    def act_by_relevance(self, obs: dict[str, np.ndarray], question_vector: np.ndarray | None = None,
                         relevance: np.ndarray | None = None) -> int:
        """The fallback's tools (`fallback_tools`) in turn, then ANSWER: routing by the relevance
        block (or the `relevance` given: the question's as `novelty_relevance_of` reads it), for a
        question unlike any the policy was trained on. The tools are chosen from the first
        observation's mask: a second is called only where the episode's budget allows it."""
        x = np.asarray(obs["observations"], np.float32)
        n = len(self.spec["tool_names"])
        called = x[-(2 * n + 1): -(n + 1)]
        if relevance is None:
            relevance = x[-(3 * n + 1): -(2 * n + 1)]
        mask = np.asarray(obs["action_mask"][:n]) > 0
        allowed = mask | (called > 0)  # what the first decision could choose from
        if not allowed.any():
            return n
        planned = self.fallback_tools(relevance, allowed, question_vector)
        done = [k for k in planned if called[k] > 0]
        if len(done) != int(called.sum()):  # not this plan's episode: answer rather than guess
            return n
        return next((k for k in planned if called[k] == 0 and mask[k]), n)

    def fallback_tools(self, relevance: np.ndarray, allowed: np.ndarray,
                       question_vector: np.ndarray | None = None, weight: float | None = None) -> list[int]:
        """What the fallback calls: the allowed tool with the highest relevance (`pick_by_relevance`),
        and the runner-up too where it lies within `second_tool_margin` of it. The relevance is a
        cosine between sentence vectors; where two tools lie that close, which one the question asks
        for is beyond what it can tell ("How many times does someone knock?" lay 0.03 nearer the
        speech segmenter, whose description "counts" speech, than the event counter), and the
        reasoner can read both tools' lines (docs/RESULTS.md "A second tool where the fallback
        cannot tell")."""
        scores = self.scored_relevance(relevance, allowed, question_vector, weight)
        ranked = [int(k) for k in np.argsort(-scores, kind="stable") if np.isfinite(scores[k])]
        if len(ranked) > 1 and scores[ranked[0]] - scores[ranked[1]] < self.second_tool_margin:
            return ranked[:2]
        return ranked[:1]

    def scored_relevance(self, relevance: np.ndarray, allowed: np.ndarray,
                         question_vector: np.ndarray | None = None, weight: float | None = None) -> np.ndarray:
        """Each tool's relevance, plus `weight` (default: its `neighbour_weight`) times its
        `neighbour_support` when the question's vector is given; -inf where not allowed."""
        weight = float(self.spec.get("neighbour_weight", 0.0) if weight is None else weight)
        if weight > 0 and question_vector is not None:
            relevance = relevance + weight * self.neighbour_support(question_vector)
        return np.where(np.asarray(allowed, bool), np.asarray(relevance, np.float64), -np.inf)

    def pick_by_relevance(self, relevance: np.ndarray, allowed: np.ndarray,
                          question_vector: np.ndarray | None = None, weight: float | None = None) -> int:
        """The allowed tool with the highest relevance, plus `weight` (default: its
        `neighbour_weight`) times its `neighbour_support` when the question's vector is given
        (benchmarks/wording_check.py scores this without a clip)."""
        return int(np.argmax(self.scored_relevance(relevance, allowed, question_vector, weight)))

    def check_tool_texts(self, descriptions: Sequence[str], examples: Sequence[Sequence[str]]) -> None:
        """A ValueError unless the tools' descriptions (and, where the relevance reads them, their
        example questions) are those it was trained with: the relevance it reads comes from them.
        Files from before these fields are not checked."""
        for field, given, read in (("descriptions", descriptions, True),
                                   ("example questions", examples, self.novelty_relevance_match in EXAMPLE_MATCHES
                                    or self.relevance_match in EXAMPLE_MATCHES)):
            trained = self.spec.get("tool_descriptions" if field == "descriptions" else "tool_examples")
            if not read or trained is None:
                continue
            changed = [n for n, a, b in zip(self.tool_names, trained, given) if _texts(a) != _texts(b)]
            if changed or len(trained) != len(given):
                raise ValueError(f"router was trained with other {field} of tools {changed}: the relevance it "
                                 f"reads would differ (restore them, or train again)")

    def act_torch(self, obs: dict[str, np.ndarray]) -> int:
        with torch.no_grad():
            observations = torch.as_tensor(obs["observations"])[None]
            logits = self.prior(self.pi(self.trunk(trunk_input(observations, self.prior.n_tools))), observations)
            return int(torch.argmax(masked_logits(logits, torch.as_tensor(obs["action_mask"])[None]), dim=-1)[0])

    def route(self, env: AudioToolEnv, seed: int | None = None) -> dict:
        """One episode on the env's next item: the tools chosen and the end-of-episode info."""
        if env.tool_names != self.tool_names:
            raise ValueError(f"router was trained with tools {self.tool_names}, the env has {env.tool_names}")
        layout = [[name, list(features)] for name, features in env.feature_layout]
        if layout != [[name, list(features)] for name, features in self.spec["tool_features"]]:
            raise ValueError(f"router was trained with tool result features {self.spec['tool_features']}, "
                             f"the env's tools give {layout} (a tool's features changed: train again)")
        self.check_tool_texts(env.descriptions, env.examples)
        obs, _ = env.reset(seed=seed)
        question = self.question_vector(env.encoder, env.item.question)
        familiar = self.familiar(question)
        relevance = None  # the fallback's own reading of the question, where it is not the policy's
        if not familiar and (self.novelty_relevance_of, self.novelty_relevance_match) != (self.relevance_of,
                                                                                           self.relevance_match):
            asked = relevance_text(env.item.question, env.item.choices, self.novelty_relevance_of)
            relevance = env.matcher.relevance(env.encoder.encode(asked), self.novelty_relevance_match)
        if not familiar and self.second_tool_margin > 0:
            env.extend_budget(2)  # the fallback may consult the runner-up (`fallback_tools`)
        decide = self.act if familiar else (lambda o: self.act_by_relevance(o, question, relevance))
        first = self.first_decision(obs, question, relevance)
        done, info = False, {}
        while not done:
            obs, _, done, _, info = env.step(decide(obs))
        info["by_relevance"] = not familiar
        info["first_decision"] = first
        return info


def _texts(value) -> list[str]:
    """A description or a tool's examples as a list of strings, for comparison."""
    return [value] if isinstance(value, str) else [str(v) for v in value]
