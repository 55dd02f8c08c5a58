"""The agent's vocabulary: what a transport hands in (context, turns) and gets back (replies, actions)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

OUTCOMES = ("declined", "completed", "no_response")
OBJECTIONS = ("price", "shipping", "payment", "product_question", "not_now", "other")


@dataclass(frozen=True)
class CartLine:
    title: str
    quantity: int = 1


@dataclass(frozen=True)
class Context:
    """Everything the agent may know about one conversation; deliberately no phone, email or address."""

    store_name: str
    first_name: str | None
    lines: tuple[CartLine, ...]
    total: str
    currency: str
    language: str
    channel: str
    sms_allowed: bool
    discount_max_percent: int
    transfer_available: bool
    transfer_configured: bool
    timezone: str
    now: datetime
    max_turns: int = 8
    # Whether the shopper agreed to calls (a callback may be booked); a call implies it.
    calls_allowed: bool = True


@dataclass(frozen=True)
class Utterance:
    """One shopper turn: recognised speech (with confidence) or an SMS body, and/or keypad digits."""

    text: str = ""
    confidence: float | None = None
    digits: str = ""


@dataclass(frozen=True)
class Turn:
    role: str
    text: str


# -- actions: what the transport must do besides speaking --------------------------------------


@dataclass(frozen=True)
class SendLink:
    """Text the shopper the recovery link."""


@dataclass(frozen=True)
class SendDiscount:
    """Create a single-use code and text it; read_out: no SMS consent, so the transport reads it aloud."""

    percent: int
    read_out: bool = False


@dataclass(frozen=True)
class ScheduleCallback:
    """Call back at this aware UTC instant, which the shopper named."""

    at: datetime


@dataclass(frozen=True)
class OptOut:
    """Stop all contact on every channel."""


@dataclass(frozen=True)
class Transfer:
    """Connect the shopper to a person now."""


@dataclass(frozen=True)
class WrongNumber:
    """The number does not belong to the shopper."""


@dataclass(frozen=True)
class AlreadyPurchased:
    """The shopper says the order is already placed."""


@dataclass(frozen=True)
class End:
    """The conversation ends without any other action explaining why; outcome is one of OUTCOMES."""

    outcome: str


Action = SendLink | SendDiscount | ScheduleCallback | OptOut | Transfer | WrongNumber | AlreadyPurchased | End

# Actions after which there is nothing left to say: the transport hangs up (or dials).
TERMINAL_ACTIONS = (ScheduleCallback, OptOut, Transfer, WrongNumber, AlreadyPurchased, End)


@dataclass(frozen=True)
class Reply:
    """What to say (in the context's language), what to do, and the state to hand back next turn."""

    text: str
    actions: tuple[Action, ...] = ()
    end: bool = False
    objection: str | None = None
    intent: str | None = None
    # A plain dict (JSON-serialisable); excluded from hashing so a Reply stays hashable.
    state: Mapping[str, Any] = field(default_factory=dict, hash=False)


class Agent(Protocol):
    """A conversation partner a transport (TwiML Gather, SMS, a WebSocket stream) can drive."""

    def greet(self, context: Context) -> Reply: ...

    def respond(
        self, context: Context, history: Sequence[Turn], utterance: Utterance, state: Mapping[str, Any]
    ) -> Reply: ...

    def stream(
        self, context: Context, history: Sequence[Turn], utterance: Utterance, state: Mapping[str, Any]
    ) -> Iterator[str | Reply]: ...
