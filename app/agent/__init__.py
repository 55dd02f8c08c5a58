"""The conversation agent: plain values in, what to say and typed actions out; no Flask, Twilio or DB.

Transports (TwiML <Gather> turns, SMS replies, a future WebSocket stream) are thin adapters around
an Agent: they say opening() themselves, then greet(), then respond() (or stream()) turn by turn,
storing Reply.state and handing it back with the next utterance. By SMS the recovery text stands in
for opening() and greet(): each reply is a respond() with channel "sms", whose text is sent as a text
and whose SendLink / SendDiscount actions follow as texts of their own.
"""

from __future__ import annotations

from typing import Any

from app.agent.disclosure import opening, voicemail
from app.agent.intents import classify, is_opt_out
from app.agent.languages import language_of, voice_for
from app.agent.llm import OpenAIAgent
from app.agent.rules import LOW_CONFIDENCE, RulesAgent
from app.agent.types import (
    Action,
    Agent,
    AlreadyPurchased,
    CartLine,
    Context,
    End,
    OptOut,
    Reply,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Transfer,
    Turn,
    Utterance,
    WrongNumber,
)

__all__ = [
    "LOW_CONFIDENCE",
    "Action",
    "Agent",
    "AlreadyPurchased",
    "CartLine",
    "Context",
    "End",
    "OpenAIAgent",
    "OptOut",
    "Reply",
    "RulesAgent",
    "ScheduleCallback",
    "SendDiscount",
    "SendLink",
    "Transfer",
    "Turn",
    "Utterance",
    "WrongNumber",
    "classify",
    "get_agent",
    "is_opt_out",
    "language_of",
    "opening",
    "voice_for",
    "voicemail",
]

AGENTS = ("rules", "openai")


def get_agent(name: str, **options: Any) -> Agent:
    """The agent RINGBACK_AGENT names: "rules" (default, offline) or "openai" (options go to OpenAIAgent)."""
    if name == "rules":
        return RulesAgent()
    if name == "openai":
        return OpenAIAgent(**options)
    raise ValueError(f"unknown agent {name!r}; expected one of {', '.join(AGENTS)}")
