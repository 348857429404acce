"""LALM reasoner backends on CPU with tiny random models of the real classes (tests/tiny_models.py):
audio in, prompt with tool results, scores out, batching, device placement; start-up errors;
the benchmark end to end with an LALM that hears the clip."""
import numpy as np
import pytest
import soundfile as sf

import tiny_models
from env.reasoners.lalm import TransformersLALMReasoner, input_device, resolve_model
from env.reasoners import CachedReasoner, ReasonRequest, build_reasoner

SR = 16000


@pytest.fixture(scope="module")
def qwen2_audio_dir(tmp_path_factory):
    return tiny_models.qwen2_audio(str(tmp_path_factory.mktemp("qwen2_audio")))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    t = np.arange(SR) / SR
    paths = {}
    for name, samples in {"high": 0.3 * np.sin(2 * np.pi * 880 * t), "low": 0.3 * np.sin(2 * np.pi * 220 * t[: SR // 2]),
                          "noise": 0.1 * np.random.default_rng(0).standard_normal(SR)}.items():
        paths[name] = str(folder / f"{name}.wav")
        sf.write(paths[name], samples.astype(np.float32), SR)
    return paths


@pytest.fixture(scope="module")
def lalm(qwen2_audio_dir):
    return build_reasoner({"backend": "transformers", "model": qwen2_audio_dir, "family": "qwen2_audio",
                           "dtype": "float32", "max_batch": 3})


def request(clips, clip="high", texts=("Pitch: 880 Hz.",)):
    return ReasonRequest("Is the tone high or low?", ("high", "low", "silent"), tuple(texts), clips[clip])


def test_prompt_has_the_audio_the_question_the_choices_and_the_tool_lines(lalm, clips):
    text = lalm.prompt_text(request(clips))
    assert "<|audio_bos|><|AUDIO|><|audio_eos|>" in text
    assert "Question: Is the tone high or low?" in text and "- silent" in text and "- Pitch: 880 Hz." in text
    assert text.endswith("<|im_start|>assistant\nThe answer is:")
    encoded = lalm.encode(request(clips))
    audio_token = lalm.processor.tokenizer.convert_tokens_to_ids("<|AUDIO|>")
    assert encoded["input_ids"].count(audio_token) == 25  # 1 s of audio: 100 frames -> 25 audio tokens
    assert encoded["audio"]["input_features"].shape[:2] == (1, 128)


def test_scores_depend_on_the_audio_and_on_the_tool_results(lalm, clips):
    high, low = lalm.answer_batch([request(clips, "high"), request(clips, "low")])
    assert high.scores != low.scores  # the clip reaches the model
    other = lalm.answer_batch([request(clips, "high", ("Pitch: 220 Hz.",))])[0]
    assert other.scores != high.scores  # and so do the tool results
    for answer in (high, low, other):
        assert answer.choice in ("high", "low", "silent") and len(answer.scores) == 3


def test_batched_scores_equal_one_row_scores(lalm, clips):
    requests = [request(clips, "high"), request(clips, "low", ()), request(clips, "noise", ("Loud.", "Short."))]
    batched = lalm.answer_batch(requests)  # 9 rows in passes of 3, left-padded to different lengths
    for req, answer in zip(requests, batched):
        assert lalm.answer_batch([req])[0].scores == pytest.approx(answer.scores, abs=1e-3)


def test_constrained_generation_answers_with_a_choice(qwen2_audio_dir, clips):
    reasoner = TransformersLALMReasoner(qwen2_audio_dir, dtype="float32", scoring="generate")
    for answer in reasoner.answer_batch([request(clips, "high"), request(clips, "low")]):
        assert answer.raw == answer.choice and answer.choice in ("high", "low", "silent")


def test_device_map_places_the_model_and_inputs_follow_it(qwen2_audio_dir, clips):
    reasoner = TransformersLALMReasoner(qwen2_audio_dir, dtype="float32", device_map={"": "cpu"})
    assert str(input_device(reasoner.model)) == "cpu"
    assert reasoner.answer_batch([request(clips)])[0].choice in ("high", "low", "silent")
    assert TransformersLALMReasoner(qwen2_audio_dir).dtype == "bfloat16"  # the GPU default
    assert TransformersLALMReasoner(qwen2_audio_dir, dtype="float32").device == "cpu"  # no CUDA here


def test_answers_are_cached_per_clip_for_a_reasoner_that_hears_it(lalm, clips):
    class Memory(dict):
        def get(self, key, default=None):
            return super().get(key, default)

        def put(self, key, value):
            self[key] = value

    cached = CachedReasoner(lalm, Memory(), timeout_s=None)
    assert cached.key(request(clips, "high")) != cached.key(request(clips, "low"))
    text_only = CachedReasoner(build_reasoner({"backend": "smollm2"}), Memory(), timeout_s=None)
    # a text-only reasoner's answers do not depend on the clip: keys (and warm caches) unchanged
    assert text_only.key(request(clips, "high")) == text_only.key(request(clips, "low"))


def test_missing_models_fail_at_start_up_naming_the_config_key(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"reasoner.model: folder /nonexistent/qwen does not exist"):
        build_reasoner({"backend": "transformers", "model": "/nonexistent/qwen"})
    with pytest.raises(FileNotFoundError, match=r"neither a local folder nor in the Hugging Face cache.*huggingface-cli"):
        resolve_model("Qwen/Qwen2-Audio-7B-Instruct")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        resolve_model(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="reasoner.family 'gpt4o'"):
        TransformersLALMReasoner(str(tmp_path), family="gpt4o")


def test_the_benchmark_runs_end_to_end_with_an_lalm_reasoner(tmp_path, qwen2_audio_dir):
    from eval.benchmark import run_benchmark
    from eval.probe import generate

    generate(str(tmp_path / "probe"), 10, seed=3, progress=False)
    cfg = {"tools": [{"name": "duration"}], "cache_dir": str(tmp_path / "cache"),
           "reasoner": {"backend": "transformers", "model": qwen2_audio_dir, "dtype": "float32"}}
    results = run_benchmark(cfg, str(tmp_path / "probe"), ["none", "all"], str(tmp_path / "r.json"), split="all",
                            progress=False)
    assert results["reasoner"].startswith("qwen2_audio:") and results["n_items"] == 10 and not results["rejected"]
    assert results["systems"]["all"]["mean_tool_calls"] == 1.0
    for system in ("none", "all"):
        assert 0.0 <= results["systems"][system]["accuracy"] <= 1.0


def test_deepspeed_inference_engine_scores_as_transformers_does(qwen2_audio_dir, clips, lalm):
    """The same code path through deepspeed.init_inference (tensor parallel 1 on CPU)."""
    reasoner = build_reasoner({"backend": "deepspeed", "model": qwen2_audio_dir, "dtype": "float32", "max_batch": 3})
    assert reasoner.engine == "deepspeed"
    requests = [request(clips, "high"), request(clips, "low", ())]
    expected = lalm.answer_batch(requests)
    for got, want in zip(reasoner.answer_batch(requests), expected):
        assert got.scores == pytest.approx(want.scores, abs=1e-4)
    with pytest.raises(ValueError, match="tensor_parallel 2 needs 2 processes"):
        TransformersLALMReasoner(qwen2_audio_dir, dtype="float32", engine="deepspeed", tensor_parallel=2).model


def test_qwen2_5_omni_thinker_scores_choices_from_the_audio(tmp_path, clips):
    """The Omni thinker (text out): 3D rope positions computed by the model from the attention
    mask, so left-padded batches must still equal one-row scoring."""
    folder, processor_class = tiny_models.qwen2_5_omni(str(tmp_path / "omni"))
    reasoner = build_reasoner({"backend": "transformers", "family": "qwen2_5_omni", "model": folder,
                               "dtype": "float32", "max_batch": 4, "processor_class": processor_class})
    assert "<|audio_bos|><|AUDIO|><|audio_eos|>" in reasoner.prompt_text(request(clips))
    requests = [request(clips, "high"), request(clips, "low", ())]
    batched = reasoner.answer_batch(requests)
    assert batched[0].scores != batched[1].scores
    for req, answer in zip(requests, batched):
        assert answer.choice in req.choices
        assert reasoner.answer_batch([req])[0].scores == pytest.approx(answer.scores, abs=1e-3)
    reasoner.scoring = "generate"
    assert all(a.raw in r.choices for a, r in zip(reasoner.answer_batch(requests), requests))


def test_gpu_smoke_script_passes_on_cpu():
    """benchmarks/gpu_smoke.py is what runs on a GPU machine; here its LALM and router checks must
    pass with --device cpu, so it is ready when a GPU is lent (its PPO check, RLlib with the
    RouterModule, passed here in 19 s by hand; tests/test_ppo.py covers that path)."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, os.path.join(root, "benchmarks", "gpu_smoke.py"), "--device", "cpu",
                          "--checks", "lalm,router"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for check in ("lalm backend", "router network"):
        assert f"PASS {check}" in out.stdout, out.stdout
    assert "ppo gpu learner" not in out.stdout
