"""Call pacing: at most TWILIO_CALLS_PER_SECOND starts per second across workers, on real Redis."""

from __future__ import annotations

import threading
import time

import pytest

from app.telephony import pacing


@pytest.fixture
def paced(make_app):
    from app import jobs

    application = make_app(TWILIO_CALLS_PER_SECOND=4.0)
    with application.app_context():
        jobs.redis().delete(jobs.qualified(pacing.SLOT_KEY))
        yield application
        jobs.redis().delete(jobs.qualified(pacing.SLOT_KEY))


def test_slots_are_spaced_by_the_account_rate(paced):
    slots = [pacing.reserve(max_wait=10) for _ in range(5)]
    assert all(slot.reserved for slot in slots)
    waits = [slot.wait_seconds for slot in slots]
    gaps = [b - a for a, b in zip(waits, waits[1:], strict=False)]
    assert all(gap == pytest.approx(0.25, abs=0.02) for gap in gaps)


def test_a_far_slot_is_not_reserved_so_the_caller_comes_back_later(paced):
    for _ in range(8):
        pacing.reserve(max_wait=10)
    slot = pacing.reserve(max_wait=0.5)
    assert not slot.reserved and slot.wait_seconds > 0.5
    # Not reserving left the schedule as it was: the next caller who can wait gets the next slot.
    assert pacing.reserve(max_wait=10).wait_seconds == pytest.approx(slot.wait_seconds, abs=0.05)


def test_a_burst_from_many_workers_is_paced_not_rejected(paced):
    started: list[float] = []
    lock = threading.Lock()

    def worker():
        with paced.app_context():
            slot = pacing.wait_for_slot(max_wait=10)
            assert slot.reserved
            with lock:
                started.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started.sort()
    gaps = [b - a for a, b in zip(started, started[1:], strict=False)]
    assert len(started) == 6 and min(gaps) >= 0.2
