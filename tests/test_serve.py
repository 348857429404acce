"""`audiorouter serve` end to end: one Serve application started once for the module (Ray on its
own temp dir, stopped at the end), called as users would: the official `openai` client, our own
`reasoner.backend: openai` pointed at it, plain JSON and multipart on /v1/answer, every bad
request over HTTP, the web page in headless Chromium, and a reasoner and a tool replica killed
under load.

The router is a router.pt exported from an untrained RouterModule whose action bias makes it call
pitch, then broken (raises), then sleepy (overruns tool_timeout_s): routing is deterministic,
every tool outcome shows, and no PPO run is needed."""
import base64
import concurrent.futures as cf
import os
import socket
import tempfile
import time

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.conftest import SR, kill_ray_under, silence, tone

pytestmark = pytest.mark.slow
ROUTE = ["pitch", "broken", "sleepy"]
QUESTION, CHOICES = "Is the second tone higher or lower than the first?", ["higher", "lower"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def export_biased_router(tool_names, path, order, max_calls):
    """router.pt whose greedy choice is `order` (then ANSWER), whatever the observation."""
    import torch
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from env.audio_tool_env import AudioToolEnv
    from env.items import AudioQA
    from policy.export import export_router
    from policy.router_module import RouterModule
    from tools.executor import ToolExecutor
    from tools.registry import build_tools

    class Dim384:
        dim = 384

        def encode(self, text):
            return np.zeros(384, np.float32)

    executor = ToolExecutor(build_tools([{"name": n} if n in ("duration", "pitch") else
                                         {"name": n, "class": f"tests.plugins.faulty_tools.{n.title()}"}
                                         for n in tool_names]))
    env = AudioToolEnv([AudioQA("x", "x.wav", "q", ("a", "b"), None)], executor, None, Dim384(), max_calls=max_calls)
    module = RLModuleSpec(module_class=RouterModule, observation_space=env.observation_space,
                          action_space=env.action_space, model_config={"hidden": [8]}).build()
    with torch.no_grad():
        module.pi.weight.zero_()
        module.prior.gain.zero_()  # the bias alone decides
        bias = torch.full((len(tool_names) + 1,), -1.0)
        bias[-1] = -5.0  # ANSWER last: the budget ends the episode
        for rank, name in enumerate(order):
            bias[tool_names.index(name)] = 10.0 - rank
        module.pi.bias.copy_(bias)
    export_router(module, env, [8], path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import ray
    from ray import serve

    from cluster.config import resolve
    from cluster.serve import start

    tmp = tmp_path_factory.mktemp("serve")
    tools = ["duration", "pitch", "broken", "sleepy"]
    export_biased_router(tools, str(tmp / "router.pt"), ROUTE, max_calls=3)
    clips = {}
    for name, (f1, f2) in {"up": (330, 660), "down": (700, 350), "up2": (400, 500)}.items():
        clips[name] = str(tmp / f"{name}.wav")
        sf.write(clips[name], np.concatenate([tone(f1, 0.4), silence(0.2), tone(f2, 0.4)]), SR)
    cfg = resolve({
        "tools": [{"name": "duration"}, {"name": "pitch"},
                  {"name": "broken", "class": "tests.plugins.faulty_tools.Broken"},
                  {"name": "sleepy", "class": "tests.plugins.faulty_tools.Sleepy", "params": {"seconds": 2.0}}],
        "reasoner": {"backend": "smollm2", "threads": 1}, "cache_dir": str(tmp / "cache"),
        "tool_timeout_s": 0.5, "max_audio_seconds": 20,
        "pools": {"tools": {"replicas": 1, "num_cpus": 0.5}, "reasoner": {"replicas": 1, "num_cpus": 0.5}},
        "serve": {"work_dir": str(tmp / "serve"), "max_audio_bytes": 1_500_000, "request_timeout_s": 60,
                  "router_num_cpus": 0.25}}, "test")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # socket paths stay short
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp_dir, log_to_driver=False)
    try:
        url = start(cfg, str(tmp / "router.pt"), port=free_port())
        yield {"url": url, "cfg": cfg, "router": str(tmp / "router.pt"), "clips": clips, "tmp": tmp}
    finally:
        try:
            serve.shutdown()
        finally:
            ray.shutdown()
            kill_ray_under(temp_dir)


def b64(path):
    return base64.b64encode(open(path, "rb").read()).decode()


def openai_client(url):
    from openai import OpenAI

    return OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0, timeout=120)


def ask_chat(client, path, question=QUESTION, choices=CHOICES):
    return client.chat.completions.create(
        model="audiorouter", temperature=0,
        messages=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": b64(path), "format": "wav"}},
                                               {"type": "text", "text": question}]}],
        extra_body={"guided_choice": choices})


def test_openai_client_gets_the_routed_answer_and_route_agrees(server):
    from eval.route import route_clip

    client = openai_client(server["url"])
    assert [m.id for m in client.models.list().data] == ["audiorouter"]
    reply = ask_chat(client, server["clips"]["up"])
    assert reply.object == "chat.completion" and reply.choices[0].message.role == "assistant"
    details = reply.model_extra["audiorouter"]
    assert details["route"] == ROUTE  # the router's order, each tool's outcome in it
    pitch, broken, sleepy = details["tools"]
    assert pitch["ok"] and "second tone" in pitch["text"].lower()
    assert not broken["ok"] and "broken on purpose" in broken["error"]
    assert not sleepy["ok"] and "TimeoutError" in sleepy["error"]
    assert set(details["scores"]) == set(CHOICES)
    assert set(details["seconds"]) == {"route", "execute", "reason", "total"}
    answer = reply.choices[0].message.content
    assert answer in CHOICES
    # `audiorouter route` on the same clip: the same tools and the same answer
    local = route_clip(server["cfg"], server["router"], server["clips"]["up"], QUESTION, CHOICES)
    assert local["tools"] == ROUTE and local["answer"] == answer


def test_answer_endpoint_json_and_multipart_agree_with_chat(server):
    url, path = server["url"], server["clips"]["down"]
    by_json = requests.post(f"{url}/v1/answer", json={"audio": b64(path), "question": QUESTION, "choices": CHOICES},
                            timeout=120)
    assert by_json.status_code == 200, by_json.text
    with open(path, "rb") as f:
        by_form = requests.post(f"{url}/v1/answer", files={"audio": ("down.wav", f, "audio/wav")},
                                data={"question": QUESTION, "choices": "|".join(CHOICES)}, timeout=120)
    assert by_form.status_code == 200, by_form.text
    chat = ask_chat(openai_client(url), path)
    assert by_json.json()["answer"] == by_form.json()["answer"] == chat.choices[0].message.content
    assert by_json.json()["route"] == ROUTE and by_json.json()["audio_seconds"] == pytest.approx(1.0, abs=0.01)


def test_our_openai_backend_can_use_the_server_as_its_reasoner(server):
    """One AudioRouter answering for another: `reasoner.backend: openai` with base_url = the server."""
    from env.reasoners import ReasonRequest, build_reasoner

    backend = build_reasoner({"backend": "openai", "base_url": f"{server['url']}/v1", "model": "audiorouter",
                              "timeout_s": 120, "retries": 0})
    path = server["clips"]["up2"]
    [answer] = backend.answer_batch([ReasonRequest(QUESTION, tuple(CHOICES), ("an unrelated tool line",), path)])
    direct = requests.post(f"{server['url']}/v1/answer",
                           json={"audio": b64(path), "question": QUESTION, "choices": CHOICES}, timeout=120).json()
    assert answer.choice == direct["answer"]


def test_every_bad_request_gets_its_4xx_with_a_json_reason(server, tmp_path):
    url = server["url"]
    good = b64(server["clips"]["up"])
    long_clip = str(tmp_path / "long.wav")
    sf.write(long_clip, np.zeros(SR * 25, np.float32), SR)  # 25 s > max_audio_seconds 20, under the byte limit
    cases = {
        "not audio": ({"audio": base64.b64encode(b"plain text, no audio here").decode()}, 400, "not readable as audio"),
        "too long": ({"audio": b64(long_clip)}, 400, "over the limit of 20 s"),
        "no choices": ({"choices": []}, 400, "no choices"),
        "one choice": ({"choices": ["higher", "higher"]}, 400, "at least 2"),
        "malformed base64": ({"audio": "UklGR*not*base64"}, 400, "malformed base64"),
        "unknown field": ({"speed": "fast"}, 400, "unknown field(s) speed"),
        "server path": ({"audio": "/etc/passwd"}, 400, "file path"),
    }
    for name, (change, status, says) in cases.items():
        body = {"audio": good, "question": QUESTION, "choices": CHOICES, **change}
        reply = requests.post(f"{url}/v1/answer", json=body, timeout=60)
        assert reply.status_code == status, (name, reply.text)
        assert says in reply.json()["error"]["message"], (name, reply.json())
    # too large: refused from the Content-Length, before the body is read or decoded
    big = requests.post(f"{url}/v1/answer", data=b"x" * 3_100_000, headers={"Content-Type": "application/json"},
                        timeout=60)
    assert big.status_code == 413 and "over the limit" in big.json()["error"]["message"]
    # the chat endpoint: a server path as an audio_url, a remote URL (never fetched by default), unknown field
    for part, says in [({"type": "audio_url", "audio_url": {"url": "file:///etc/passwd"}}, "never reads files"),
                       ({"type": "audio_url", "audio_url": {"url": "http://127.0.0.1:1/x.wav"}}, "allow_remote_audio")]:
        reply = requests.post(f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": [
            part, {"type": "text", "text": QUESTION}]}], "guided_choice": CHOICES}, timeout=60)
        assert reply.status_code == 400 and says in reply.json()["error"]["message"]
    reply = requests.post(f"{url}/v1/chat/completions", data=b"{not json", timeout=60)
    assert reply.status_code == 400 and "not JSON" in reply.json()["error"]["message"]
    assert requests.get(f"{url}/static/..%2F..%2Fserve.py", timeout=10).status_code == 404
    # nothing was written outside the server's folders: only content-addressed clips in work_dir
    clips = os.listdir(os.path.join(server["cfg"]["serve"]["work_dir"], "clips"))
    assert all(len(name.split(".")[0]) == 64 for name in clips)


def test_web_page_in_headless_chromium(server, tmp_path):
    pytest.importorskip("playwright", reason="playwright is not installed (pip install playwright)")
    from benchmarks.serve_page import drive_page, find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium): the page was not driven")
    shot = str(tmp_path / "page.png")
    shown = drive_page(server["url"], server["clips"]["up"], QUESTION, CHOICES, shot)
    chat = ask_chat(openai_client(server["url"]), server["clips"]["up"])
    assert shown["error"] == "" and shown["answer"] == chat.choices[0].message.content
    assert shown["route"] == "Route: pitch \u2192 broken \u2192 sleepy"
    assert [row[1] for row in shown["tools"]] == ROUTE and shown["tools"][1][2].startswith("error:")
    assert shown["waveform_columns"] > 100  # the clip's waveform was drawn
    assert os.path.getsize(shot) > 10_000


def replica_actors(deployment):
    import ray

    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith("SERVE_REPLICA::") and f"#{deployment}#" in a["name"]]


def test_killing_a_reasoner_and_a_tool_replica_under_load(server, tmp_path):
    """Every request succeeds or gets a 5xx with a reason, none hangs past the request timeout, and
    Serve brings both replicas back."""
    import ray

    url, timeout = server["url"], server["cfg"]["serve"]["request_timeout_s"]
    clips = []
    for k in range(24):  # new clips: the tools run, not the cache
        clips.append(str(tmp_path / f"c{k}.wav"))
        sf.write(clips[-1], np.concatenate([tone(300 + 10 * k, 0.3), silence(0.1), tone(500 + 10 * k, 0.3)]), SR)
    before = {d: replica_actors(d) for d in ("Reasoner", "Tools")}
    assert all(len(v) == 1 for v in before.values()), before

    def call(path):
        start = time.perf_counter()
        try:
            r = requests.post(f"{url}/v1/answer", json={"audio": b64(path), "question": QUESTION, "choices": CHOICES},
                              timeout=timeout + 30)
            return r.status_code, r.json(), time.perf_counter() - start
        except requests.RequestException as exc:
            return 0, {"error": {"message": str(exc)}}, time.perf_counter() - start

    with cf.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(call, p) for p in clips]
        time.sleep(1.5)
        for d in ("Reasoner", "Tools"):
            ray.kill(ray.get_actor(before[d][0], namespace="serve"), no_restart=True)
        results = [f.result() for f in futures]
    statuses = [s for s, _, _ in results]
    assert all(s == 200 or 500 <= s < 600 for s in statuses), statuses
    for status, body, seconds in results:
        assert seconds < timeout + 5
        if status != 200:
            assert body["error"]["message"], body
    # the replicas come back (new actors) and answer again
    deadline = time.time() + 120
    while time.time() < deadline:
        now = {d: replica_actors(d) for d in before}
        if all(len(now[d]) == 1 and now[d] != before[d] for d in before):
            break
        time.sleep(2)
    assert all(now[d] != before[d] for d in before), (before, now)
    status, body, _ = call(clips[0])
    while status != 200 and time.time() < deadline:
        time.sleep(2)
        status, body, _ = call(clips[0])
    assert status == 200 and body["route"] == ROUTE, body
    print("statuses under faults:", {s: statuses.count(s) for s in set(statuses)})
