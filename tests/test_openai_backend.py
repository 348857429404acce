"""The OpenAI-compatible HTTP reasoner against a real server process on loopback
(tests/openai_server.py: SmolLM2 behind /v1/chat/completions, since vLLM needs a GPU and
llama-cpp-python builds from source here): audio sent as base64 WAV and decoded by the
server, answers constrained to the choices, retries with backoff after 503s, timeouts, and a
clear error when no server is there."""
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from env.reasoners.openai_http import OpenAIReasoner, ReasonerServerError
from env.reasoners import ReasonRequest, build_reasoner

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def clip(tmp_path):
    path = str(tmp_path / "tone.wav")
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * np.arange(24000) / 48000)).astype(np.float32), 48000)
    return path


def test_no_server_is_a_clear_error_after_the_retries(clip):
    reasoner = build_reasoner({"backend": "openai", "base_url": f"http://127.0.0.1:{free_port()}/v1",
                               "model": "m", "retries": 2, "backoff_s": 0.01})
    start = time.perf_counter()
    with pytest.raises(ReasonerServerError, match=r"reasoner.base_url\) failed 3 tries: cannot connect.*server running"):
        reasoner.answer_batch([ReasonRequest("q?", ("a", "b"), (), clip)])
    assert reasoner.attempts == 3 and time.perf_counter() - start < 5


def test_payload_carries_the_audio_the_tool_lines_and_the_choice_constraint(clip):
    import base64
    import io

    body = OpenAIReasoner("http://x/v1", "qwen", choice_constraint="structured_outputs").payload(
        ReasonRequest("Which?", ("up", "down"), ("Rises 3 dB.",), clip))
    audio, text = body["messages"][1]["content"]
    samples, rate = sf.read(io.BytesIO(base64.b64decode(audio["input_audio"]["data"])))
    assert audio["type"] == "input_audio" and audio["input_audio"]["format"] == "wav"
    assert rate == 16000 and len(samples) == 8000  # 0.5 s at 48 kHz, resampled
    assert "- Rises 3 dB." in text["text"] and "- down" in text["text"]
    assert body["structured_outputs"] == {"choice": ["up", "down"]} and body["temperature"] == 0.0
    text_only = OpenAIReasoner("http://x/v1", "m", send_audio=False).payload(ReasonRequest("Which?", ("up", "down")))
    assert [p["type"] for p in text_only["messages"][1]["content"]] == ["text"] and "guided_choice" in text_only


@pytest.mark.slow
def test_real_server_answers_retries_and_times_out(clip):
    port = free_port()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "openai_server.py"), "--port", str(port),
                               "--fail-first", "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"  # the model is loaded
        reasoner = build_reasoner({"backend": "openai", "base_url": f"http://127.0.0.1:{port}/v1",
                                   "model": "smollm2-135m-instruct", "retries": 3, "backoff_s": 0.05})
        requests = [ReasonRequest("What does the tool say about the pitch?", ("rising", "falling"),
                                  ("The pitch is rising.",), clip),
                    ReasonRequest("How many beeps?", ("2", "3", "4"), ("Number of beeps: 3.",), clip)]
        answers = reasoner.answer_batch(requests)
        # the first two attempts met HTTP 503 and were retried; every answer is one of the choices
        assert reasoner.attempts == len(requests) + 2
        for req, answer in zip(requests, answers):
            assert answer.raw in req.choices and answer.choice == answer.raw
        reply = reasoner.post(reasoner.payload(requests[0]))
        assert reply["audio_seconds"] == [0.5]  # the server decoded the clip we sent
        slow = OpenAIReasoner(f"http://127.0.0.1:{port}/v1", "m", timeout_s=0.5, retries=1, backoff_s=0.01)
        with pytest.raises(ReasonerServerError, match=r"failed 2 tries: no reply within 0.5 s"):
            slow.post({**slow.payload(requests[0]), "test_delay_s": 2})
    finally:
        server.terminate()
        server.wait(10)
