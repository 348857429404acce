"""Dynamic batching for the frozen reasoner: many callers, one model, batched forward passes.

`BatchingReasoner` wraps a backend and is itself a backend. Callers on any number of threads
call `answer_batch`; their requests queue up, and one worker thread hands the backend a batch
as soon as `max_batch` requests wait or the oldest has waited `max_wait_ms`. The backend is
only ever called from that one thread, so it needs no locking of its own.

Why: on the reasoner, a forward pass over 8 rows costs far less than 8 one-row passes
(docs/BENCHMARKS.md), and a pool serving several env runners sees many small concurrent
requests. `max_wait_ms` bounds the latency a lone request pays for the chance to be batched.
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from typing import Sequence

from env.reasoners.types import Answer, ReasonerBackend, ReasonRequest, backend_traits


class BatchingReasoner:
    def __init__(self, backend: ReasonerBackend, max_batch: int = 8, max_wait_ms: float = 10.0):
        if max_batch < 1 or max_wait_ms < 0:
            raise ValueError("max_batch must be >= 1 and max_wait_ms >= 0")
        self.backend = backend
        self.id = backend.id  # batching never changes an answer beyond float rounding
        for name, value in backend_traits(backend).items():  # how its answers are cached and calibrated
            setattr(self, name, value)
        self.max_batch = int(max_batch)
        self.max_wait = float(max_wait_ms) / 1000.0
        self.batches = 0  # forward batches run
        self.requests = 0  # requests answered
        self._queue: queue.Queue[tuple[ReasonRequest, Future]] = queue.Queue()
        self._worker = threading.Thread(target=self._serve, name="reasoner-batcher", daemon=True)
        self._worker.start()

    def answer_batch(self, requests: Sequence[ReasonRequest]) -> list[Answer]:
        futures = []
        for request in requests:
            future: Future = Future()
            self._queue.put((request, future))
            futures.append(future)
        return [f.result() for f in futures]

    def stats(self) -> dict[str, float]:
        return {"batches": self.batches, "requests": self.requests,
                "mean_batch": self.requests / self.batches if self.batches else 0.0}

    def _next_batch(self) -> list[tuple[ReasonRequest, Future]]:
        batch = [self._queue.get()]  # block until there is work
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                answers = self.backend.answer_batch([request for request, _ in batch])
            except BaseException as exc:  # the callers get the error; the worker keeps serving
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.requests += len(batch)
            for (_, future), answer in zip(batch, answers):
                future.set_result(answer)
