"""The senders that actually reach a shopper, one per channel, registered by the voice and SMS features.

Nothing here places a call or sends a text. Until a feature registers a sender for a channel, and
while the one registered says it cannot deliver (no Twilio credentials configured), an attempt the
policy allows on that channel is marked `awaiting_channel`: it is recorded as "would have been
contacted now, but nothing could deliver it" and is NOT counted as a contact anywhere (caps,
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
# A sender may carry `available()`: whether it can deliver now (e.g. its provider is configured).
_AVAILABLE = "available"


def register(channel: str, *, available: Callable[[], bool] | None = None) -> Callable[[Sender], Sender]:
    """Decorator: make `func` the sender for `channel` (one sender per channel)."""

    def add(func: Sender) -> Sender:
        if channel in CHANNELS and CHANNELS[channel] is not func:
            raise ValueError(f"channel {channel} already has a sender")
        CHANNELS[channel] = func
        if available is not None:
            setattr(func, _AVAILABLE, available)
        return func

    return add


def sender_for(channel: str) -> Sender | None:
    """The channel's sender, or None when there is none or it cannot deliver now."""
    sender = CHANNELS.get(channel)
    available = getattr(sender, _AVAILABLE, None)
    if sender is None or (available is not None and not available()):
        return None
    return sender
