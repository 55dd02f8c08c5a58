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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Sized for one statement's parameters (PostgreSQL allows 65,535; a delivery binds about ten).
MAX_BATCH = 500
# Flushers per process: while one waits for its commit (the disk's flush), the next batch is already
# on its way; PostgreSQL folds concurrent commits into one flush of its own.
FLUSHERS = 2
# A flusher idle this long stops (the next delivery starts another), so an app that is done with
# (the tests build hundreds) does not keep a thread.
IDLE_SECONDS = 60.0
# Shopify gives up on a delivery after 5 s; past this a request answers 503 (and Shopify retries).
ANSWER_WITHIN_SECONDS = 4.0


class BatchFailed(Exception):
    """The batch holding this delivery was not stored; nothing is known to be committed."""


@dataclass
class _Waiter:
    item: Any
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    failed: bool = False


class GroupCommit:
    """Hands items to `flush(items) -> results` (one result per item, in order), many at a time.

    `flush` runs in the flusher thread; an exception from it fails every waiter of that batch.
    """

    def __init__(self, flush: Callable[[Sequence[Any]], Sequence[Any]], name: str = "group-commit",
                 max_batch: int = MAX_BATCH):
        self._flush = flush
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
        if not waiter.done.wait(timeout):
            # Still queued or being written: it may yet be stored, and Shopify's retry is then a
            # duplicate, answered 200. What cannot happen is a 200 for a delivery not stored.
            raise BatchFailed(f"not flushed within {timeout} s")
        if waiter.failed:
            raise BatchFailed("the batch was not stored")
        return waiter.result

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

    def _retire(self) -> bool:
        """Stop this idle flusher, unless an item arrived meanwhile."""
        with self._lock:
            self._flusher_pid = None
            if self._pending.qsize() == 0:
                return True
            self._flusher_pid = os.getpid()
            return False

    def _run(self) -> None:
        while True:
            try:
                batch = [self._pending.get(timeout=IDLE_SECONDS)]
            except queue.Empty:
                if self._retire():
                    return
                continue
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            self._flush_batch(batch)

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
            waiter.done.set()
