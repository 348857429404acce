"""Dynamic batching of reasoner requests from concurrent callers (env/reasoners/batching.py)."""
import math
import threading
import time

import pytest

from env.reasoners.batching import BatchingReasoner
from env.reasoners import Answer, ReasonRequest


class RecordingBackend:
    """Answers with the first choice, records each batch; `fail_on` makes a batch raise."""

    id = "recording"

    def __init__(self, seconds_per_batch=0.02, fail_on=None):
        self.batches = []
        self.seconds = seconds_per_batch
        self.fail_on = fail_on
        self.active = 0
        self.max_active = 0

    def answer_batch(self, requests):
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        time.sleep(self.seconds)
        self.active -= 1
        self.batches.append([r.question for r in requests])
        if self.fail_on and any(r.question == self.fail_on for r in requests):
            raise RuntimeError("backend failed")
        return [Answer(r.question, 0) for r in requests]  # echo the question: callers check they got theirs


def run_clients(reasoner, clients, per_client):
    got = {}

    def client(k):
        got[k] = [reasoner.answer_batch([ReasonRequest(f"{k}-{j}", ("a", "b"))])[0].choice for j in range(per_client)]

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_concurrent_callers_are_batched_and_each_gets_its_own_answers():
    backend = RecordingBackend()
    reasoner = BatchingReasoner(backend, max_batch=8, max_wait_ms=20)
    got = run_clients(reasoner, clients=8, per_client=5)
    assert got == {k: [f"{k}-{j}" for j in range(5)] for k in range(8)}
    assert max(len(b) for b in backend.batches) <= 8
    assert reasoner.stats()["requests"] == 40
    assert reasoner.stats()["mean_batch"] >= 4  # 8 waiting callers, not one at a time
    assert backend.max_active == 1  # the backend is only ever called from one thread
    assert reasoner.id == "recording"


def test_max_batch_one_is_one_request_at_a_time():
    backend = RecordingBackend(seconds_per_batch=0.0)
    reasoner = BatchingReasoner(backend, max_batch=1, max_wait_ms=0)
    run_clients(reasoner, clients=4, per_client=3)
    assert [len(b) for b in backend.batches] == [1] * 12


def test_a_lone_request_waits_at_most_max_wait():
    reasoner = BatchingReasoner(RecordingBackend(seconds_per_batch=0.0), max_batch=8, max_wait_ms=50)
    start = time.perf_counter()
    reasoner.answer_batch([ReasonRequest("alone", ("a", "b"))])
    assert time.perf_counter() - start < 0.5


def test_a_failing_batch_raises_in_its_callers_and_the_server_goes_on():
    reasoner = BatchingReasoner(RecordingBackend(fail_on="bad"), max_batch=4, max_wait_ms=0)
    with pytest.raises(RuntimeError, match="backend failed"):
        reasoner.answer_batch([ReasonRequest("bad", ("a", "b"))])
    assert reasoner.answer_batch([ReasonRequest("good", ("a", "b"))])[0].choice == "good"
    with pytest.raises(ValueError):
        BatchingReasoner(RecordingBackend(), max_batch=0)


def two_clips(tmp_path):
    """Two files with different bytes: a clip's cache key reads its bytes' hash, not its samples."""
    paths = [str(tmp_path / f"{k}.wav") for k in range(2)]
    for k, path in enumerate(paths):
        with open(path, "wb") as f:
            f.write(bytes([k]) * 64)
    return paths


class HearingBackend(RecordingBackend):
    """A backend that hears the clip, reads contrasts and calibrates at temperature 5."""

    hears_audio = True
    uses_contrasts = True
    temperature = 5.0

    def answer_batch(self, requests):
        return [Answer(r.choices[0], 0, [1.0, 0.0]) for r in requests]


def test_the_wrapper_keeps_how_its_backends_answers_are_cached_and_calibrated(tmp_path):
    """Behind the batching wrapper (a reasoner pool's), a hearing backend's answers are still cached
    per clip, and their probabilities come at its temperature, not the protocol's default 1."""
    from env.reasoners import CachedReasoner, backend_traits
    from tools.cache import ParquetCache

    wrapped = BatchingReasoner(HearingBackend(seconds_per_batch=0.0), max_batch=4, max_wait_ms=0)
    assert backend_traits(wrapped) == {"hears_audio": True, "uses_contrasts": True, "temperature": 5.0}
    assert backend_traits(RecordingBackend()) == {"hears_audio": False, "uses_contrasts": False, "temperature": 1.0}
    clips = two_clips(tmp_path)
    reasoner = CachedReasoner(wrapped, ParquetCache(str(tmp_path / "cache")))
    asked = [ReasonRequest("Is it loud?", ("yes", "no"), (), clip) for clip in clips]
    assert reasoner.key(asked[0]) != reasoner.key(asked[1])  # one answer per clip
    answer = reasoner.answer_batch(asked[:1])[0]
    assert answer.probabilities == pytest.approx([1 / (1 + math.exp(-1 / 5.0)), 1 / (1 + math.exp(1 / 5.0))])


def test_the_pool_and_serve_reasoner_server_keys_a_hearing_backend_per_clip(tmp_path):
    """cluster.pools.ReasonerServer (the reasoner pool's actor and the served app's) answers through
    BatchingReasoner and the cache: a backend that hears gets one cache entry per clip, and the
    server tells its clients the backend's traits."""
    from cluster.pools import ReasonerServer

    server = ReasonerServer({"class": "plugins.toy_reasoner.HearingLastNamedChoice"}, str(tmp_path / "cache"))
    traits = server.reasoner_traits()
    assert traits == {"id": "toy-last-named/0", "hears_audio": True, "uses_contrasts": False, "temperature": 5.0}
    clips = two_clips(tmp_path)
    asked = [ReasonRequest("Is it loud?", ("yes", "no"), (), clip) for clip in clips]
    assert server.reasoner.key(asked[0]) != server.reasoner.key(asked[1])
    assert [a.choice for a in server.answer_batch(asked)] == ["yes", "yes"]
