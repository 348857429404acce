"""Bad input from the outside world: each case is a row of docs/RELIABILITY.md.

Every case either works (the input is usable: resampled, mixed down) or is refused with an
error that names the file or key and the reason; and a run over a dataset holding it goes on
for the good items (test_runner.py, test_env.py, and the hostile-dataset run at the end)."""
import json
import os
import re
import time
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, EchoReasoner, FakeEncoder, silence, tone
from env.admission import BadItems, TooManyBadItems, run_limits
from eval.hostile import write_wav_with_codec_tag
from tools.base import AudioError, load_audio


# -- audio files -------------------------------------------------------------------------------

def test_zero_length_audio_is_refused(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0, np.float32), SR)
    assert os.path.getsize(path) > 0  # a valid header, no frames
    with pytest.raises(AudioError, match="audio has no samples"):
        load_audio(str(path))


def test_truncated_header_is_refused(tmp_path, write_wav):
    good = open(write_wav("good.wav", tone(440, 0.5)), "rb").read()
    (tmp_path / "cut.wav").write_bytes(good[:30])  # cut inside the fmt chunk
    with pytest.raises(AudioError, match="cut.wav: not readable as audio"):
        load_audio(str(tmp_path / "cut.wav"))


def test_unsupported_codec_is_refused(tmp_path):
    path = write_wav_with_codec_tag(str(tmp_path / "wma.wav"), 0x0161)
    with pytest.raises(AudioError, match="wma.wav: not readable as audio"):
        load_audio(path)
    assert load_audio(write_wav_with_codec_tag(str(tmp_path / "pcm.wav"), 1)).duration > 0  # only the tag differs


def test_multichannel_is_mixed_down(write_wav):
    six = np.stack([tone(440, 1.0)] * 3 + [silence(1.0)] * 3, axis=1)
    audio = load_audio(write_wav("six.wav", six))
    assert audio.samples.ndim == 1 and abs(audio.duration - 1.0) < 1e-3
    assert np.abs(audio.samples).max() == pytest.approx(0.25, abs=0.01)  # the mean of the six channels


@pytest.mark.parametrize("rate", [8000, 96000])
def test_low_and_high_sample_rates_are_resampled(write_wav, rate):
    import soxr

    from tools.basic import DurationTool

    audio = load_audio(write_wav(f"r{rate}.wav", soxr.resample(tone(440, 1.0), SR, rate), rate))
    assert audio.sample_rate == SR and abs(audio.duration - 1.0) < 1e-3
    spectrum = np.abs(np.fft.rfft(audio.samples))
    assert np.fft.rfftfreq(len(audio.samples), 1 / SR)[spectrum.argmax()] == pytest.approx(440, abs=2)
    assert DurationTool().run(audio, "How long?", []).data["seconds"] == pytest.approx(1.0, abs=0.01)


def test_two_hour_file_is_refused_from_its_header_in_bounded_memory(tmp_path):
    path = tmp_path / "two_hours.wav"
    with sf.SoundFile(path, "w", samplerate=8000, channels=1, subtype="PCM_U8") as f:  # 8-bit: a 58 MB file
        block = np.zeros(8000 * 60, np.float32)
        for _ in range(120):
            f.write(block)
    assert sf.info(str(path)).duration == pytest.approx(7200)
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(AudioError, match=r"audio is 7200 s long, over the limit of 600 s \(config max_audio_seconds\)"):
        load_audio(str(path))
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 1 << 20  # decoding it would take 230 MB of float32 samples


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_samples_are_refused(tmp_path, bad):
    samples = tone(440, 0.5)
    samples[100] = bad
    path = str(tmp_path / "bad.wav")
    sf.write(path, samples, SR, subtype="FLOAT")  # a float WAV keeps the value (PCM would clip it)
    assert not np.isfinite(sf.read(path)[0]).all()
    with pytest.raises(AudioError, match="NaN or infinite samples"):
        load_audio(path)


@pytest.fixture(scope="module")
def all_tools():
    from tools.registry import build_tools

    return build_tools()


@pytest.mark.parametrize("samples", [silence(2.0), tone(440, 0.005)], ids=["silent-2s", "tone-5ms"])
def test_every_tool_answers_silent_and_tiny_audio_without_raising(all_tools, write_wav, samples):
    from tools.executor import ToolExecutor

    path = write_wav("clip.wav", samples)
    executor = ToolExecutor(all_tools)
    results = executor.run(path, "Which phrase is spoken?", ["hello there", "good night"], executor.names)
    assert [r.tool for r in results] == executor.names
    for r in results:  # ok with data, or an error result that says why; never an exception
        assert (r.ok and r.data) or (not r.ok and r.error), r
    # and the reasoner still answers from whatever evidence there is
    from env.reasoners import ReasonRequest
    answer = EchoReasoner().answer_batch([ReasonRequest("q", ("hello there", "good night"),
                                                        executor.evidence(results))])[0]
    assert answer.choice in ("hello there", "good night")


def test_a_clip_too_short_to_measure_is_an_error_that_says_so(all_tools, write_wav):
    """Under 40 ms the level-over-time line and Praat's pitch track are undefined: each said so in its
    library's words ("LinAlgError: SVD did not converge", "PraatError: minimum pitch must not be
    less than 600 Hz", LAPACK on stderr). Now the tool's own: which tool, the clip's length and the
    least it needs; no library warns about the short clip; the duration is said as under half a
    second, not "about 0 seconds"."""
    import warnings

    from tools.executor import ToolExecutor

    executor = ToolExecutor(all_tools)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # librosa: "n_fft=1024 is too large for input signal"
        warnings.simplefilter("error", RuntimeWarning)  # numpy's polyfit on one frame
        results = {r.tool: r for r in executor.run(write_wav("short.wav", tone(440, 0.02)), "q", ["a", "b"],
                                                    executor.names)}
    for name in ("loudness", "pitch"):
        assert not results[name].ok
        assert results[name].error == f"the clip is 0.020 s long; {name} needs at least 0.04 s"
    assert all(r.ok for name, r in results.items() if name not in ("loudness", "pitch")), results
    assert results["duration"].text == "The clip lasts 0.02 seconds, under half a second."
    longer = {r.tool: r for r in executor.run(write_wav("longer.wav", tone(440, 0.05)), "q", ["a", "b"],
                                              ["loudness", "pitch"])}
    assert all(r.ok for r in longer.values()), longer  # at and above the least, they measure


def test_a_short_steady_tone_has_no_beat_rather_than_an_error(all_tools, write_wav):
    """Half a second of one tone: nothing in the beat range (0.3-2 s) repeats, every autocorrelation
    peak there is negative, and the search for one "nearly as strong as the strongest" found none
    (StopIteration). No beat: no line for the reasoner, as for any clip without one."""
    from tools.base import load_audio

    tempo = next(t for t in all_tools if t.name == "tempo")
    steady = (0.5 * np.sin(2 * np.pi * 440 * np.arange(int(0.5 * SR)) / SR)).astype(np.float32)  # no fade: no onset
    result = tempo.run(load_audio(write_wav("tone.wav", steady)), "What is the tempo?", [])
    assert result.ok and result.text == "" and result.data["bpm"] is None, result


# -- manifests and configs ---------------------------------------------------------------------

def test_non_utf8_manifest_is_a_clear_error(tmp_path):
    from env.items import load_items

    (tmp_path / "items.json").write_bytes('[{"id": "x", "question": "caf\u00e9"}]'.encode("latin-1"))
    with pytest.raises(ValueError, match="items.json: not valid UTF-8 JSON"):
        load_items(str(tmp_path))


@pytest.mark.parametrize("raw,reason", [
    ({"id": "x", "audio_id": "a.wav", "question": 7, "choices": ["a", "b"], "answer": "a"}, "question is empty"),
    ({"id": "x", "audio_id": "a.wav", "question": "q", "choices": ["a", 2], "answer": "a"}, "list of strings"),
    # an empty choice is never offered: what is left must still be a choice between two
    ({"id": "x", "audio_id": "a.wav", "question": "q", "choices": ["a", ""], "answer": "a"},
     "needs at least 2 choices, has 1 distinct non-empty"),
    ({"id": "x", "audio_id": 5, "question": "q", "choices": ["a", "b"], "answer": "a"}, "no audio path"),
    ("just a string", "not a JSON object"),
])
def test_items_with_wrong_types_are_rejected_with_reason(tmp_path, raw, reason):
    from env.items import load_items

    good = {"id": "ok", "audio_id": "a.wav", "question": "q", "choices": ["a", "b"], "answer": "a"}
    (tmp_path / "items.json").write_text(json.dumps([raw, good]))
    items, rejected = load_items(str(tmp_path))
    assert [i.id for i in items] == ["ok"] and len(rejected) == 1 and reason in rejected[0]["reason"]


def test_unsafe_yaml_tag_is_refused_and_never_run(tmp_path):
    from cluster.config import load_config

    marker = tmp_path / "pwned"
    (tmp_path / "evil.yaml").write_text(f'x: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ValueError, match="evil.yaml: not a plain YAML config"):
        load_config(str(tmp_path / "evil.yaml"))
    assert not marker.exists()
    (tmp_path / "latin.yaml").write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin.yaml: not UTF-8 text"):
        load_config(str(tmp_path / "latin.yaml"))


def test_unknown_reasoner_backend_and_tool_are_clear_errors():
    from env.reasoners import build_reasoner
    from tools.registry import build_tools

    with pytest.raises(ValueError, match="unknown reasoner backend 'gpt9'; available: smollm2"):
        build_reasoner({"backend": "gpt9"})
    with pytest.raises(ValueError, match="unknown tool 'whisperx'"):
        build_tools([{"name": "whisperx"}])


def test_cli_reports_bad_config_without_traceback(tmp_path):
    from cluster.cli import main

    (tmp_path / "c.yaml").write_text("tools: [{name: nosuchtool}]\n")
    (tmp_path / "items.json").write_text("[]")
    assert main(["eval", "--config", str(tmp_path / "c.yaml"), "--data", str(tmp_path),
                 "--set", f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db"]) == 2


def test_route_refuses_an_empty_question_and_a_single_choice_before_any_model_work(tmp_path, capsys):
    from cluster.cli import main

    demo = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "demo.yaml")
    route = ["route", "--config", demo, "--router", str(tmp_path / "router.pt"), "--audio", str(tmp_path / "x.wav")]
    assert main([*route, "--question", "  ", "--choices", "a|b"]) == 2
    assert "question is empty" in capsys.readouterr().err
    assert main([*route, "--question", "Is it loud?", "--choices", "yes| yes |"]) == 2
    assert "needs at least 2 distinct choices, got ['yes']" in capsys.readouterr().err


def test_limits_are_validated_and_can_be_turned_off():
    assert run_limits({}) == {"tool_timeout_s": 120.0, "reasoner_timeout_s": 600.0, "max_audio_seconds": 600.0,
                              "max_bad_fraction": 0.1}
    assert run_limits({"tool_timeout_s": 0, "max_audio_seconds": None})["tool_timeout_s"] is None
    for bad in ({"tool_timeout_s": -1}, {"reasoner_timeout_s": "soon"}, {"max_audio_seconds": True}):
        with pytest.raises(ValueError, match="must be a non-negative number"):
            run_limits(bad)
    with pytest.raises(ValueError, match="max_bad_fraction must be between 0 and 1"):
        BadItems(1.5)


def test_bad_item_limit_counts_distinct_items_and_says_what_to_do():
    bad = BadItems(0.25)
    bad.add([{"id": "a", "reason": "item a: file not found"}], stage="audio")
    bad.add([{"id": "a", "reason": "item a: again"}], stage="eval:none")  # the same item twice counts once
    bad.check(4)
    bad.add([{"id": "b", "reason": "item b: junk"}], stage="audio")
    with pytest.raises(TooManyBadItems, match=r"2 of 4 items \(50.0%\) are bad, over max_bad_fraction=0.25; "
                                              r"stopping. First reasons: item a: file not found"):
        bad.check(4)
    assert [r["stage"] for r in bad.rejected] == ["audio", "eval:none", "audio"]


# -- timeouts ----------------------------------------------------------------------------------

class SlowReasoner(EchoReasoner):
    """Stalls for `seconds` on its first `stalls` calls, then answers at once."""

    id = "slow"

    def __init__(self, seconds, stalls=1):
        self.seconds, self.stalls = seconds, stalls

    def answer_batch(self, requests):
        if self.stalls > 0:
            self.stalls -= 1
            time.sleep(self.seconds)
        return super().answer_batch(requests)


def test_reasoner_timeout_bounds_the_wait_and_the_late_answer_is_kept(tmp_path):
    from env.reasoners import CachedReasoner, ReasonRequest
    from tools.cache import ParquetCache

    reasoner = CachedReasoner(SlowReasoner(0.6), ParquetCache(None), timeout_s=0.2)
    request = ReasonRequest("q", ("a", "b"), ("says b",))
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="reasoner slow ran over 0.2 s"):
        reasoner.answer_batch([request])
    assert time.perf_counter() - start < 0.4
    with pytest.raises(TimeoutError, match="still running an earlier call"):  # not entered twice
        reasoner.answer_batch([request])
    time.sleep(0.6)
    assert reasoner.answer_batch([request])[0].choice == "b"  # the abandoned call filled the cache
    assert reasoner.cache.misses == 2 and reasoner.cache.hits == 1


def test_stuck_tool_never_stalls_an_env_step_beyond_its_timeout(tmp_path, write_wav):
    from env.audio_tool_env import AudioToolEnv
    from env.items import AudioQA
    from env.reasoners import CachedReasoner
    from tools.base import BaseTool
    from tools.cache import ParquetCache
    from tools.executor import ToolExecutor

    class Stuck(BaseTool):
        name = "stuck"

        def analyze(self, audio, question, choices):
            time.sleep(30)

    item = AudioQA("s", write_wav("a.wav", tone(440, 0.5)), "q", ("a", "b"), "a")
    env = AudioToolEnv([item], ToolExecutor([Stuck()], ParquetCache(None), timeout_s=0.3),
                       CachedReasoner(EchoReasoner(), ParquetCache(None)), FakeEncoder(), max_calls=1)
    env.reset(seed=0)
    start = time.perf_counter()
    _, reward, done, _, info = env.step(0)
    assert time.perf_counter() - start < 1.0 and done and "answer" in info
    assert env.results[0].error == "TimeoutError: stuck ran over 0.3 s"


def test_reasoner_timeout_in_env_ends_the_episode_and_skips_the_item(tmp_path, write_wav):
    from env.audio_tool_env import AudioToolEnv
    from env.items import AudioQA
    from env.reasoners import CachedReasoner
    from tools.basic import DurationTool
    from tools.cache import ParquetCache
    from tools.executor import ToolExecutor

    items = [AudioQA(f"i{k}", write_wav(f"{k}.wav", tone(440, 0.5)), f"q{k}", ("a", "b"), "a") for k in range(2)]
    slow = CachedReasoner(SlowReasoner(0.5), ParquetCache(None), timeout_s=0.1)
    env = AudioToolEnv(items, ToolExecutor([DurationTool()]), slow, FakeEncoder(), shuffle=False)
    env.reset(seed=0)
    _, reward, done, _, info = env.step(env.answer_action)
    assert done and reward == 0.0 and "ran over 0.1 s" in info["error"] and "correct" not in info
    assert env.rejected == [{"id": "i0", "stage": "reasoner", "reason": "item i0: TimeoutError: reasoner slow "
                                                                         "ran over 0.1 s"}]
    time.sleep(0.5)
    for _ in range(3):  # i0 is not drawn again
        assert env.reset()[1]["item_id"] == "i1"
        env.step(env.answer_action)


def test_audio_gone_bad_mid_episode_ends_it_cleanly(tmp_path, write_wav):
    from env.audio_tool_env import AudioToolEnv
    from env.items import AudioQA
    from env.reasoners import CachedReasoner
    from tools.basic import DurationTool
    from tools.cache import ParquetCache
    from tools.executor import ToolExecutor

    path = write_wav("a.wav", tone(440, 0.5))
    items = [AudioQA("gone", path, "q", ("a", "b"), "a"), AudioQA("ok", write_wav("b.wav", tone(440, 0.5)), "q",
                                                                 ("a", "b"), "a")]
    env = AudioToolEnv(items, ToolExecutor([DurationTool()]), CachedReasoner(EchoReasoner(), ParquetCache(None)),
                       FakeEncoder(), shuffle=False)
    env.reset(seed=0)
    os.remove(path)
    _, reward, done, _, info = env.step(0)
    assert done and reward == 0.0 and "file not found" in info["error"]
    assert env.rejected[0]["stage"] == "audio" and env.reset()[1]["item_id"] == "ok"


# a child that loads librosa as the tools do, then runs every librosa call the tools make and
# prints how many kernel files were in the cache after the load and which ones the calls added
_LIBROSA_CHILD = """
import glob, json, os
import numpy as np
from tools.base import Audio
from tools.events import onset_envelope
from tools.signal import load_librosa, spectral_peak_db
from tools.speech import _is_tonal
load_librosa()
kernels = lambda: set(glob.glob(os.path.join(os.environ["NUMBA_CACHE_DIR"], "**", "*.nb[ci]"), recursive=True))
loaded = kernels()
x = np.random.default_rng(0).standard_normal(32000).astype(np.float32) * 0.1
spectral_peak_db(x, 16000, min_hz=60.0), onset_envelope(x, 16000), _is_tonal(Audio(x, 16000, "", ""), (0.0, 2.0))
print(json.dumps([len(loaded), sorted(kernels() - loaded)]))
"""


def test_the_tools_get_librosa_only_through_the_lock():
    """Every module of the project that uses librosa takes it from tools.signal.load_librosa (its
    kernels compiled under the numba lock); a plain `import librosa` elsewhere would compile them
    unlocked again, as the tools did from 2026-11-29 to 2026-12-03 while the lock guarded a call no
    tool made any more."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    plain = []
    for package in ("tools", "env", "policy", "eval", "cluster"):
        for folder, _, files in os.walk(os.path.join(root, package)):
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".py") and path != os.path.join(root, "tools", "signal.py"):
                    with open(path) as source:
                        if re.search(r"^\s*(import librosa|from librosa\b)", source.read(), re.MULTILINE):
                            plain.append(os.path.relpath(path, root))
    assert not plain, f"use tools.signal.load_librosa() instead of importing librosa in {plain}"


def test_numba_kernels_compile_one_process_at_a_time(tmp_path):
    """librosa's kernels are compiled into the numba cache under an exclusive lock (numba #10128:
    two processes compiling the same gufuncs at once leave cache files that segfault every later
    process), and the lock covers every kernel the tools' librosa calls need: none is compiled
    after it."""
    import fcntl
    import subprocess
    import sys

    cache = tmp_path / "numba"
    cache.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    lock_path = cache / ".audiorouter-numba.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is compiling
        proc = subprocess.Popen([sys.executable, "-c", _LIBROSA_CHILD], env=env,
                                cwd=os.path.dirname(os.path.dirname(__file__)), stdout=subprocess.PIPE, text=True)
        # it waits for the lock instead of compiling beside it: the kernel lists it as blocked on
        # the lock file ("->" in /proc/locks), and it has written nothing
        waiting = f" {proc.pid} " + r"\S+:" + f"{os.stat(lock_path).st_ino} "
        deadline = time.monotonic() + 60
        while not any(line.split(":", 1)[1].lstrip().startswith("->") and re.search(waiting, line)
                      for line in open("/proc/locks")):
            assert proc.poll() is None and time.monotonic() < deadline, "it never waited for the lock"
            time.sleep(0.1)
        assert not any(cache.glob("**/*.nb[ci]"))
        fcntl.flock(lock, fcntl.LOCK_UN)
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, out
    loaded, after = json.loads(out)
    # once it held the lock it wrote the kernels (peak picking, zero crossings, pitch: a dozen files
    # with their gufunc dispatchers), and the tools' calls afterwards compiled no further gufunc
    assert loaded >= 10 and any(cache.glob("**/guf-*.nbc"))
    assert not [f for f in after if os.path.basename(f).startswith("guf-")], after
