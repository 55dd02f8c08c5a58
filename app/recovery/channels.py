"""The senders that actually reach a shopper, one per channel, registered by the voice and SMS features.

Nothing here places a call or sends a text. Until a feature registers a sender for a channel, an
attempt the policy allows on that channel is marked `awaiting_channel`: it is recorded as "would have
been contacted now, but nothing could deliver it" and is NOT counted as a contact anywhere (caps,
spacing, attribution, lift). No fake contact is ever reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.recovery.models import ContactAttempt

CALL = "call"
SMS = "sms"

# A sender gets the attempt after it is committed as `dispatched`; it must not commit the attempt's
# status itself, and reports the end through `app.recovery.scheduler.record_outcome`.
Sender = Callable[["ContactAttempt"], None]
CHANNELS: dict[str, Sender] = {}


def register(channel: str) -> Callable[[Sender], Sender]:
    """Decorator: make `func` the sender for `channel` (one sender per channel)."""

    def add(func: Sender) -> Sender:
        if channel in CHANNELS and CHANNELS[channel] is not func:
            raise ValueError(f"channel {channel} already has a sender")
        CHANNELS[channel] = func
        return func

    return add


def sender_for(channel: str) -> Sender | None:
    return CHANNELS.get(channel)
