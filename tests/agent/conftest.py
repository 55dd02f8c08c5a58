"""Builders for the agent's tests: a default Context and a driver that plays a shopper's lines."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from app.agent import Agent, CartLine, Context, Reply, Turn, Utterance

# Tuesday 4 March 2025, 10:00 in New York.
NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
TIMEZONE = "America/New_York"


def make_context(**overrides) -> Context:
    """The default Context of the shopper scripts: texts allowed, 10% cap, a person available."""
    context = Context(
        store_name="Acme Hats",
        first_name="Ada",
        lines=(CartLine("Red Hat", 2), CartLine("Blue Scarf")),
        total="120.00",
        currency="USD",
        language="en",
        channel="call",
        sms_allowed=True,
        discount_max_percent=10,
        transfer_available=True,
        transfer_configured=True,
        timezone=TIMEZONE,
        now=NOW,
    )
    return dataclasses.replace(context, **overrides)


def said(line: str | Utterance) -> Utterance:
    """A shopper line as the speech recogniser would hand it over (confidently heard)."""
    if isinstance(line, Utterance):
        return line
    return Utterance(text=line, confidence=0.92 if line else None)


def converse(agent: Agent, context: Context, lines: Sequence[str | Utterance]) -> list[Reply]:
    """The greeting, then one reply per shopper line, stopping when the agent ends the conversation."""
    greeting = agent.greet(context)
    replies = [greeting]
    history = [Turn("agent", greeting.text)]
    state = greeting.state
    for line in lines:
        utterance = said(line)
        reply = agent.respond(context, list(history), utterance, state)
        replies.append(reply)
        history += [Turn("shopper", utterance.text), Turn("agent", reply.text)]
        state = reply.state
        if reply.end:
            break
    return replies


def actions_of(replies: Sequence[Reply]) -> list:
    return [action for reply in replies for action in reply.actions]


@pytest.fixture
def context() -> Context:
    return make_context()
