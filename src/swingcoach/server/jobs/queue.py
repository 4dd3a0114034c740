"""How "process job X" messages travel: threads inside the server (embedded) or Celery workers."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from swingcoach.server.core.logging import get_logger

# Handles one message; returns None, or seconds after which to deliver it again.
Handler = Callable[[uuid.UUID], float | None]
log = get_logger(__name__)


class JobQueue(Protocol):
    def enqueue(self, job_id: uuid.UUID, delay_s: float = 0.0) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class LocalQueue:
    """In-process worker threads fed from a delay queue. Messages live in memory only: after a
    restart the reaper finds the unfinished jobs in the database and queues them again."""

    def __init__(self, handler: Handler, workers: int) -> None:
        self.handler = handler
        self.workers = workers
        self._heap: list[tuple[float, int, uuid.UUID]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def enqueue(self, job_id: uuid.UUID, delay_s: float = 0.0) -> None:
        with self._ready:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._order), job_id))
            self._ready.notify()

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, wait_s: float = 5.0) -> None:
        """Stop taking messages. A job still running after `wait_s` is abandoned: its lease runs
        out and the reaper of the next start runs it again."""
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        deadline = time.monotonic() + wait_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _next(self) -> uuid.UUID | None:
        with self._ready:
            while not self._stopping:
                if self._heap:
                    due, _, job_id = self._heap[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._heap)
                        return job_id
                    self._ready.wait(wait)
                else:
                    self._ready.wait()
            return None

    def _work(self) -> None:
        while (job_id := self._next()) is not None:
            try:
                delay = self.handler(job_id)
            except Exception:  # a database outage: try the message again later
                log.exception("job handler failed", job_id=str(job_id))
                delay = 5.0
            if delay is not None:
                self.enqueue(job_id, delay)


class CeleryQueue:
    """Publishes to the broker; Celery workers (`swingcoach.server.jobs.worker`) do the work."""

    def __init__(self, send: Callable[[uuid.UUID, float], None]) -> None:
        self._send = send

    def enqueue(self, job_id: uuid.UUID, delay_s: float = 0.0) -> None:
        self._send(job_id, delay_s)

    def start(self) -> None:
        """Nothing to start: workers are separate processes."""

    def stop(self) -> None:
        """Nothing to stop."""
