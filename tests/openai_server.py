"""A minimal real OpenAI-compatible chat-completions server over the embedded SmolLM2 model,
for testing env/reasoners/openai_http.py against a real HTTP server process on loopback (no vLLM on a
CPU machine; llama-cpp-python has no wheel here and builds from source for minutes).

    python tests/openai_server.py --port 8011 [--fail-first N] [--delay-s S]

POST /v1/chat/completions: text parts of the messages go through SmolLM2's chat template;
`input_audio` parts must be base64 audio that soundfile decodes (else HTTP 400; the decoded
durations are echoed in the reply's `audio_seconds`, so a test can check what arrived). With
vLLM's `guided_choice` (or `structured_outputs.choice`) the reply is the choice with the highest
log-likelihood as the assistant's reply, as vLLM's guided decoding returns one of the choices;
otherwise greedy generation of up to `max_tokens`. `--fail-first N` answers the first N
requests with HTTP 503, `--delay-s` (or a request's `test_delay_s`) sleeps before the reply:
what retries and timeouts meet.
GET /v1/models lists the model. Requests are served one at a time (one model, one lock).
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_NAME = "smollm2-135m-instruct"


class Model:
    def __init__(self):
        import torch

        from env.reasoners.gguf import load_gguf
        from env.reasoners.smollm2 import packaged_smollm2_gguf

        torch.set_num_threads(1)
        self.tokenizer, self.model = load_gguf(packaged_smollm2_gguf())
        self.lock = threading.Lock()

    def prompt_ids(self, messages: list[dict]) -> list[int]:
        chat = [{"role": m["role"], "content": m["content"] if isinstance(m["content"], str) else
                 "\n".join(p["text"] for p in m["content"] if p.get("type") == "text")} for m in messages]
        text = self.tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        return self.tokenizer.encode(text, add_special_tokens=False)

    def pick(self, prompt: list[int], choices: list[str]) -> str:
        import torch

        scores = []
        for choice in choices:
            cont = self.tokenizer.encode(choice, add_special_tokens=False)
            with torch.inference_mode():
                logits = self.model(torch.tensor([prompt + cont])).logits[0, len(prompt) - 1:-1]
            scores.append(float(torch.log_softmax(logits.float(), -1).gather(1, torch.tensor(cont)[:, None]).sum()))
        return choices[max(range(len(choices)), key=lambda k: scores[k])]

    def generate(self, prompt: list[int], max_tokens: int) -> str:
        import torch

        with torch.inference_mode():
            out = self.model.generate(torch.tensor([prompt]), max_new_tokens=max_tokens, do_sample=False)
        return self.tokenizer.decode(out[0, len(prompt):], skip_special_tokens=True)


def decoded_audio_seconds(messages: list[dict]) -> list[float]:
    import soundfile as sf

    seconds = []
    for m in messages:
        for part in m["content"] if isinstance(m["content"], list) else []:
            if part.get("type") == "input_audio":
                data, rate = sf.read(io.BytesIO(base64.b64decode(part["input_audio"]["data"])))
                seconds.append(round(len(data) / rate, 3))
    return seconds


def make_handler(model: Model, fail_first: int, delay_s: float):
    state = {"requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.rstrip("/") == "/v1/models":
                return self.reply(200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]})
            self.reply(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self):
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self.reply(404, {"error": {"message": f"no route {self.path}"}})
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            state["requests"] += 1
            if state["requests"] <= fail_first:
                return self.reply(503, {"error": {"message": "warming up"}})
            time.sleep(float(body.get("test_delay_s", delay_s)))  # a slow server, per request
            try:
                audio = decoded_audio_seconds(body["messages"])
            except Exception as exc:
                return self.reply(400, {"error": {"message": f"input_audio does not decode: {exc}"}})
            choices = body.get("guided_choice") or body.get("structured_outputs", {}).get("choice")
            with model.lock:
                prompt = model.prompt_ids(body["messages"])
                text = model.pick(prompt, choices) if choices else model.generate(prompt, int(body.get("max_tokens", 16)))
            self.reply(200, {"id": f"chatcmpl-{state['requests']}", "object": "chat.completion", "created": int(time.time()),
                             "model": MODEL_NAME, "audio_seconds": audio,
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                          "finish_reason": "stop"}]})

    return Handler


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--delay-s", type=float, default=0.0)
    args = p.parse_args()
    model = Model()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(model, args.fail_first, args.delay_s))
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
