"""Periodic work, declared as data. The worker's ticker enqueues each entry when it is due."""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass

from redis.exceptions import RedisError

from app import jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str  # "module:function", imported when due
    every_seconds: int


PERIODIC: tuple[Periodic, ...] = (
    Periodic("webhook-sweep", "app.shopify.webhooks.processing:sweep", 30),
    Periodic("contact-sweep", "app.recovery.sweeper:sweep", 30),
    Periodic("call-sweep", "app.voice.sweeper:sweep", 60),
    Periodic("sms-sweep", "app.sms.sweeper:sweep", 60),
    Periodic("shop-erasure-sweep", "app.privacy.erasure:sweep", 300),
    Periodic("twilio-erasure-sweep", "app.privacy.twilio_erasure:sweep", 60),
    Periodic("funnel-refresh", "app.dashboard.funnel:refresh", 5),
    Periodic("retention", "app.privacy.retention:run", 24 * 3600),
)


def resolve(entry: Periodic):
    module, _, name = entry.func.partition(":")
    return getattr(importlib.import_module(module), name)


def tick(entries: tuple[Periodic, ...] = PERIODIC) -> list[str]:
    """Enqueue every entry whose interval has passed; a Redis key makes this once per cluster."""
    queued = []
    for entry in entries:
        # SET NX EX: the first worker to claim this interval enqueues; the others skip.
        if jobs.redis().set(jobs.qualified(f"periodic-{entry.name}"), "1", nx=True,
                            ex=entry.every_seconds):
            jobs.enqueue(resolve(entry), job_id=f"periodic-{entry.name}")
            queued.append(entry.name)
    return queued


class Ticker(threading.Thread):
    """Runs `tick` every few seconds inside the worker process until stopped."""

    def __init__(self, app, interval: float = 5.0):
        super().__init__(name="ringback-ticker", daemon=True)
        self._app = app
        self._interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            with self._app.app_context():
                try:
                    tick()
                except RedisError as exc:
                    log.warning("periodic tick skipped, Redis unavailable: %s", type(exc).__name__)
            self._stopping.wait(self._interval)

    def stop(self) -> None:
        self._stopping.set()
