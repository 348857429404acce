import os
import subprocess

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".cache", "numba"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# converted GGUF models (env/reasoners/gguf.py) in the checkout's cache, not the user's home; every
# process a test starts (subprocesses, Ray workers, `ray start`) inherits it
os.environ.setdefault("AUDIOROUTER_MODEL_CACHE", os.path.join(os.path.dirname(__file__), "..", ".cache", "models"))

SR = 16000


def tone(freq, seconds, amp=0.5):
    t = np.arange(int(seconds * SR)) / SR
    env = np.minimum(1, np.minimum(t, t[::-1]) / 0.01)
    return (amp * np.sin(2 * np.pi * freq * t) * env).astype(np.float32)


def silence(seconds):
    return np.zeros(int(seconds * SR), dtype=np.float32)


def speak(text, voice="en-us+m3", speed=160):
    import soxr

    out = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text], check=True,
                         capture_output=True).stdout
    import io
    wav, rate = sf.read(io.BytesIO(out), dtype="float32")
    return soxr.resample(wav, rate, SR).astype(np.float32)


@pytest.fixture
def write_wav(tmp_path):
    def _write(name, samples, rate=SR):
        path = tmp_path / name
        sf.write(path, samples, rate)
        return str(path)
    return _write


@pytest.fixture(scope="session")
def encoder():
    """all-MiniLM-L6-v2 (env.features.QuestionEncoder), loaded once for every test that reads questions."""
    from env.features import QuestionEncoder
    return QuestionEncoder()


@pytest.fixture(scope="session")
def smollm():
    from env.reasoners.smollm2 import SmolLMReasoner
    return SmolLMReasoner(threads=2)


class EchoReasoner:
    """A transparent stand-in for the reasoner (the real one is tested in test_reasoner.py):
    picks the choice named last in the evidence; with no evidence, the first choice."""

    id = "echo"

    def answer_batch(self, requests):
        from env.reasoners import Answer

        out = []
        for r in requests:
            text = " ".join(r.tool_texts).lower()
            pos = [text.rfind(c.lower()) for c in r.choices]
            best = int(np.argmax(pos)) if max(pos) >= 0 else 0
            out.append(Answer(r.choices[best], best, [float(p) for p in pos]))
        return out


class FakeEncoder:
    """A 4-dimensional stand-in for the question encoder where embeddings are beside the point
    (the real MiniLM encoder is tested in test_env.py)."""

    dim = 4

    def encode(self, text):
        return np.full(4, len(text) % 7, np.float32)


def kill_ray_under(temp_dir: str) -> None:
    """Stop only the Ray processes a test started: their command lines name its temp dir
    (never `ray stop`, which would also stop any other Ray on the machine)."""
    import psutil

    started = [proc for proc in psutil.process_iter(["cmdline"])
               if any(temp_dir in part for part in proc.info["cmdline"] or [])]
    # and their children: the raylet's agents retitle themselves ("ray::DashboardAgent"), so their
    # command lines no longer name the temp dir, and killing the raylet alone left them running
    for proc in list(started):
        try:
            started += proc.children(recursive=True)
        except psutil.Error:
            pass
    for proc in started:
        if proc.pid == os.getpid():
            continue
        try:
            proc.kill()
        except psutil.Error:
            pass
