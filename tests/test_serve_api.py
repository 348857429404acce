"""The server's request checks without Ray (cluster/serve_api.py): every bad request the issue
lists gets its 4xx and a message that says what was wrong; good ones become the right Query."""
import base64
import io
import os

import numpy as np
import pytest
import soundfile as sf

from cluster.serve_api import (ClipStore, RequestError, ServeConfig, check_clip, parse_answer, parse_chat,
                               parse_form, split_question)

CFG = ServeConfig(max_audio_bytes=200_000)


def wav_bytes(seconds=0.5, rate=16000, fmt="WAV"):
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(np.arange(int(seconds * rate)) / 5)).astype("float32"), rate, format=fmt)
    return buffer.getvalue()


def chat(audio_part, text="Is the tone high or low?", **extra):
    return {"model": "audiorouter", "messages": [{"role": "user", "content": [audio_part, {"type": "text", "text": text}]}],
            **extra}


def b64(data):
    return base64.b64encode(data).decode()


def refused(fn, *args, status=400, code=None, says=""):
    with pytest.raises(RequestError) as info:
        fn(*args)
    assert info.value.status == status, info.value.message
    assert code is None or info.value.code == code, info.value.code
    assert says.lower() in info.value.message.lower(), info.value.message
    body = info.value.body()["error"]
    assert body["message"] == info.value.message and body["type"] == "invalid_request_error"
    return info.value


def test_chat_with_input_audio_and_guided_choice():
    data = wav_bytes()
    q = parse_chat(chat({"type": "input_audio", "input_audio": {"data": b64(data), "format": "wav"}},
                        guided_choice=["high", "low", "high "], temperature=0), CFG)
    assert q.audio == data and q.format == "wav" and q.question == "Is the tone high or low?"
    assert q.choices == ("high", "low")  # offered once each, as eval offers them


def test_chat_with_audio_url_data_url_and_choices_in_the_text():
    data = wav_bytes(fmt="FLAC")
    text = "Question: Which note is it?\nChoices:\n- C4\n- D4\n- E4\n\nTool measurements:\n- pitch 262 Hz"
    q = parse_chat(chat({"type": "audio_url", "audio_url": {"url": f"data:audio/flac;base64,{b64(data)}"}}, text), CFG)
    assert (q.format, q.question, q.choices) == ("flac", "Which note is it?", ("C4", "D4", "E4"))
    # structured_outputs (newer vLLM) beats the listed choices
    q = parse_chat(chat({"type": "input_audio", "input_audio": {"data": b64(data), "format": "flac"}}, text,
                        structured_outputs={"choice": ["x", "y"]}), CFG)
    assert q.choices == ("x", "y")


def test_split_question_reads_lettered_lists():
    assert split_question("What is it?\nChoices:\nA. a dog\nB) a cat") == ("What is it?", ["a dog", "a cat"])
    assert split_question("Just a question") == ("Just a question", [])


@pytest.mark.parametrize("part,code,says", [
    ({"type": "input_audio", "input_audio": {"data": "bm90IGJhc2U2NA@@", "format": "wav"}}, "bad_base64", "malformed base64"),
    ({"type": "input_audio", "input_audio": {"data": "/etc/passwd", "format": "wav"}}, "path_refused", "file path"),
    ({"type": "input_audio", "input_audio": {"data": "../../secret.wav"}}, "path_refused", "file path"),
    ({"type": "audio_url", "audio_url": {"url": "file:///etc/passwd"}}, "path_refused", "never reads files"),
    ({"type": "audio_url", "audio_url": {"url": "/etc/passwd"}}, "path_refused", "never reads files"),
    ({"type": "audio_url", "audio_url": {"url": "https://example.com/a.wav"}}, "remote_refused", "allow_remote_audio"),
    ({"type": "audio_url", "audio_url": {"url": "data:text/plain;base64,aGk="}}, "bad_audio_url", "data:audio"),
    ({"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "aiff"}}, "unsupported_format", "aiff"),
    ({"type": "input_audio", "input_audio": {"data": "UklGRg==", "path": "/x.wav"}}, "unknown_field", "path"),
    ({"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}, "unknown_field", "image_url"),
])
def test_chat_bad_audio_parts_are_refused(part, code, says):
    refused(parse_chat, chat(part, guided_choice=["a", "b"]), CFG, code=code, says=says)


def test_chat_bad_requests_name_the_problem():
    good = {"type": "input_audio", "input_audio": {"data": b64(wav_bytes()), "format": "wav"}}
    refused(parse_chat, chat(good), CFG, code="no_choices", says="no choices")
    refused(parse_chat, chat(good, guided_choice=["only", " only "]), CFG, code="one_choice", says="at least 2")
    refused(parse_chat, chat(good, guided_choice=["a", "b"], temprature=0), CFG, code="unknown_field", says="temprature")
    refused(parse_chat, chat(good, guided_choice=["a", "b"], stream=True), CFG, says="stream")
    refused(parse_chat, {"messages": [{"role": "user", "content": "no audio"}], "guided_choice": ["a", "b"]}, CFG,
            code="missing_audio", says="no audio")
    refused(parse_chat, ["not", "an", "object"], CFG, code="bad_json")
    big = b64(b"\0" * 300_000)
    refused(parse_chat, chat({"type": "input_audio", "input_audio": {"data": big}}, guided_choice=["a", "b"]), CFG,
            status=413, code="too_large", says="over the limit")


def test_answer_json_and_form():
    data = wav_bytes()
    q = parse_answer({"audio": b64(data), "question": " Which? ", "choices": "a|b|c"}, CFG)
    assert (q.question, q.choices, q.format) == ("Which?", ("a", "b", "c"), "wav")
    refused(parse_answer, {"audio": b64(data), "question": "q", "choices": ["a", "b"], "audio_path": "/etc"}, CFG,
            code="unknown_field", says="audio_path")
    refused(parse_answer, {"audio": b64(data), "question": "", "choices": ["a", "b"]}, CFG, says="question")
    q = parse_form({"question": "Which?", "choices": ["a", "b"]}, data, "../../x.flac", CFG)
    assert q.format == "flac" and q.choices == ("a", "b")  # the name hints the format, nothing more
    refused(parse_form, {"question": "q", "choices": "a|b"}, None, None, CFG, code="missing_audio")
    refused(parse_form, {"question": "q", "choices": "a|b"}, b"\0" * 200_001, "x.wav", CFG, status=413)


def test_clip_store_names_clips_by_content_and_check_clip(tmp_path):
    store = ClipStore(str(tmp_path / "clips"))
    data = wav_bytes(1.0)
    path = store.put(data, "wav")
    assert os.path.dirname(path) == str(tmp_path / "clips") and store.put(data, "wav") == path
    assert abs(check_clip(path, 600) - 1.0) < 1e-3
    with pytest.raises(ValueError):
        store.put(data, "../../etc/passwd")
    err = refused(check_clip, path, 0.5, code="too_long", says="over the limit")
    assert str(tmp_path) not in err.message and not os.path.exists(path)  # no server path shown, not kept
    junk = store.put(b"this is plain text, not audio", "wav")
    err = refused(check_clip, junk, 600, code="not_audio", says="not readable as audio")
    assert str(tmp_path) not in err.message
