"""Group commit: the deliveries that concurrent requests hand in, stored by one statement each batch.

One flusher thread per process takes everything pending, stores it with one call (one transaction,
so one WAL flush for all of it), and answers every request waiting on it; whatever arrives during
that flush is the next batch. Nothing waits on a timer: at low load a batch is one delivery and costs
what storing it directly would, under load each commit serves as many requests as are in flight. It
pays off under gunicorn's threaded workers (README: "Running the web tier for throughput").
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

# Far more than the requests a process holds at once (its gunicorn threads): in practice a batch is
# everything waiting.
MAX_BATCH = 500
# Idle this long once its quiet hooks have run, the flusher stops (the next item starts another): an
# app no longer used (a test run builds hundreds) keeps no thread.
IDLE_SECONDS = 60.0
# Shopify gives up on a delivery after 5 s; past this a request answers 503 (and Shopify retries).
ANSWER_WITHIN_SECONDS = 4.0


class BatchFailed(Exception):
    """The batch holding this delivery was not stored; nothing is known to be committed."""


class _Waiter:
    """An item and, once its batch is flushed, its result. Waited on with a bare lock, held from the
    start and released by the flusher: one C call on each side (an Event is a Condition, in Python)."""

    __slots__ = ("item", "result", "failed", "_pending")

    def __init__(self, item: Any):
        self.item = item
        self.result: Any = None
        self.failed = False
        self._pending = threading.Lock()
        self._pending.acquire()

    def wait(self, timeout: float) -> bool:
        return self._pending.acquire(timeout=timeout)

    def done(self) -> None:
        self._pending.release()


_STOP = object()  # the item close() hands in


class GroupCommit:
    """Hands items to `flush(items) -> results` (one result per item, in order), many at a time.

    `flush` runs in the flusher thread; an exception from it fails every waiter of that batch.
    `when_quiet` holds (seconds, hook) pairs: each hook runs in that thread too, once, when that long
    has passed since the last batch with no item arriving (to finish what flushes left pending, or to
    give back what they held, such as a connection).
    """

    def __init__(self, flush: Callable[[Sequence[Any]], Sequence[Any]], name: str = "group-commit",
                 max_batch: int = MAX_BATCH,
                 when_quiet: Sequence[tuple[float, Callable[[], None]]] = ()):
        self._flush = flush
        self._when_quiet = tuple(sorted(when_quiet, key=lambda pair: pair[0]))
        self._name = name
        self._max_batch = max_batch
        self._pending: queue.SimpleQueue[_Waiter] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._flusher_pid: int | None = None

    def submit(self, item: Any, timeout: float = ANSWER_WITHIN_SECONDS) -> Any:
        """Wait for `item`'s batch to be flushed: its result, or BatchFailed."""
        waiter = _Waiter(item)
        self._pending.put(waiter)
        self._start_flusher()  # after the put: a flusher retiring for idleness then sees the item
        if not waiter.wait(timeout):
            # Still queued or being written: it may yet be stored, and Shopify's retry is then a
            # duplicate, answered 200. What cannot happen is a 200 for a delivery not stored.
            raise BatchFailed(f"not flushed within {timeout} s")
        if waiter.failed:
            raise BatchFailed("the batch was not stored")
        return waiter.result

    def close(self, timeout: float = ANSWER_WITHIN_SECONDS) -> None:
        """Let this process's flusher finish: what waits is flushed, the quiet hooks run, and it stops
        (a later submit starts another). For a clean shutdown, and for tests."""
        if self._flusher_pid != os.getpid():
            return
        stop = _Waiter(_STOP)
        self._pending.put(stop)
        self._start_flusher()  # should the flusher have retired meanwhile
        stop.wait(timeout)

    def waiting(self) -> int:
        """How many items wait for the next batch (the one being flushed not counted)."""
        return self._pending.qsize()

    def _start_flusher(self) -> None:
        # Threads do not survive fork: a process (a gunicorn worker) starts its own on first use.
        if self._flusher_pid == os.getpid():
            return
        with self._lock:
            if self._flusher_pid != os.getpid():
                self._flusher_pid = os.getpid()
                threading.Thread(target=self._run, name=self._name, daemon=True).start()

    def _run_hook(self, hook: Callable[[], None]) -> None:
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - the flusher must outlive whatever a hook does
            log.error("%s: a quiet hook failed: %s", self._name, type(exc).__name__)

    def _retire(self) -> bool:
        """Stop this idle flusher, unless an item arrived meanwhile."""
        with self._lock:
            self._flusher_pid = None
            if self._pending.qsize() == 0:
                return True
            self._flusher_pid = os.getpid()
            return False

    def _run(self) -> None:
        hooks: list[tuple[float, Callable[[], None]]] = []  # still to run since the last batch
        last_batch_at = 0.0
        while True:
            timeout = IDLE_SECONDS
            if hooks:
                timeout = max(0.0, last_batch_at + hooks[0][0] - time.monotonic())
            try:
                first = self._pending.get(timeout=timeout)
            except queue.Empty:
                if hooks:
                    self._run_hook(hooks.pop(0)[1])
                elif self._retire():
                    return
                continue
            if first.item is _STOP:
                for _, hook in hooks:
                    self._run_hook(hook)
                hooks = []
                first.done()
                if self._retire():
                    return
                continue
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    waiter = self._pending.get_nowait()
                except queue.Empty:
                    break
                if waiter.item is _STOP:
                    self._pending.put(waiter)  # after this batch
                    break
                batch.append(waiter)
            self._flush_batch(batch)
            hooks, last_batch_at = list(self._when_quiet), time.monotonic()

    def _flush_batch(self, batch: list[_Waiter]) -> None:
        try:
            results = self._flush([waiter.item for waiter in batch])
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, every waiter must be answered
            log.error("%s: a batch of %d failed: %s", self._name, len(batch), type(exc).__name__)
            results = None
        for index, waiter in enumerate(batch):
            if results is None:
                waiter.failed = True
            else:
                waiter.result = results[index]
            waiter.done()
