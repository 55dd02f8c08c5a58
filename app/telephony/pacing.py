"""Outbound calls started at most TWILIO_CALLS_PER_SECOND per second, across every worker.

One Redis key holds the next free start slot; a script reserves slots one after another on Redis's
own clock (so workers' clocks may differ). A burst of due contacts is paced, never rejected: a slot
near enough is waited for; a far one is not reserved, and the caller re-queues itself for later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app

from app import jobs

# Wait in the job for a slot at most this far ahead; beyond it, re-queue rather than hold a worker.
MAX_INLINE_WAIT_SECONDS = 5.0
SLOT_KEY = "twilio-call-slot"

# KEYS[1]: next free slot (microseconds). ARGV: interval µs, max wait µs. Returns {reserved, slot µs, now µs}.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
if slot - now > tonumber(ARGV[2]) then
  return {0, slot, now}
end
redis.call('SET', KEYS[1], string.format('%d', slot + tonumber(ARGV[1])), 'PX',
           60000 + math.floor((slot - now) / 1000))
return {1, slot, now}
"""


@dataclass(frozen=True)
class Slot:
    reserved: bool
    wait_seconds: float  # until the slot (reserved) or until slots are free again (not reserved)


def reserve(max_wait: float = MAX_INLINE_WAIT_SECONDS) -> Slot:
    """Reserve the next start slot if it is at most `max_wait` seconds away."""
    interval_us = int(1_000_000 / float(current_app.config["TWILIO_CALLS_PER_SECOND"]))
    reserved, slot, now = jobs.redis().eval(_RESERVE, 1, jobs.qualified(SLOT_KEY),
                                            interval_us, int(max_wait * 1_000_000))
    return Slot(bool(int(reserved)), max(0, int(slot) - int(now)) / 1_000_000)


def wait_for_slot(max_wait: float = MAX_INLINE_WAIT_SECONDS) -> Slot:
    """Reserve a slot and sleep until it; an unreserved Slot says how long to come back after."""
    slot = reserve(max_wait)
    if slot.reserved and slot.wait_seconds > 0:
        time.sleep(slot.wait_seconds)
    return slot
