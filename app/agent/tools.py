"""The functions the model may call, and how its calls become actions within the merchant's rules."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from app.agent.times import zone_of
from app.agent.types import (
    OUTCOMES,
    Action,
    AlreadyPurchased,
    Context,
    End,
    OptOut,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Transfer,
    WrongNumber,
)

_NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


def _tool(name: str, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters or _NO_ARGUMENTS},
    }


def tools_for(context: Context) -> list[dict[str, Any]]:
    """The tools this conversation allows (the merchant's rules are enforced again on the way back)."""
    tools = [
        _tool("opt_out", "The shopper asks to stop all contact."),
        _tool("wrong_number", "The number does not belong to the shopper."),
        _tool("already_purchased", "The shopper says they already bought the order."),
        _tool(
            "schedule_callback",
            "Call the shopper back at the time they named.",
            {
                "type": "object",
                "properties": {
                    "local_time": {
                        "type": "string",
                        "description": "ISO 8601 date and time, shopper's local time: 2025-03-05T18:00",
                    }
                },
                "required": ["local_time"],
            },
        ),
        _tool(
            "end_call",
            "The conversation is over.",
            {
                "type": "object",
                "properties": {"outcome": {"type": "string", "enum": list(OUTCOMES)}},
                "required": ["outcome"],
            },
        ),
    ]
    if context.sms_allowed:
        tools.append(_tool("send_link", "Text the shopper a secure link to their cart."))
    if context.discount_max_percent > 0:
        percent = {"type": "integer", "minimum": 1, "maximum": context.discount_max_percent}
        tools.append(
            _tool(
                "send_discount",
                "Create a single-use discount code and send it to the shopper.",
                {"type": "object", "properties": {"percent": percent}, "required": ["percent"]},
            )
        )
    if context.transfer_available and context.channel == "call":
        tools.append(_tool("transfer", "Connect the shopper with a person from the store now."))
    return tools


def actions_from_calls(calls: Iterable[tuple[str, str]], context: Context) -> tuple[Action, ...]:
    """Actions for (name, JSON arguments) tool calls; unknown tools and malformed arguments are ignored."""
    actions: list[Action] = []
    for name, raw_arguments in calls:
        arguments = _arguments(raw_arguments)
        if arguments is None:
            continue
        action = _action(name, arguments, context)
        if action is not None and action not in actions:
            actions.append(action)
    return tuple(actions)


def _arguments(raw: str | None) -> dict[str, Any] | None:
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _action(name: str, arguments: dict[str, Any], context: Context) -> Action | None:
    if name == "opt_out":
        return OptOut()
    if name == "wrong_number":
        return WrongNumber()
    if name == "already_purchased":
        return AlreadyPurchased()
    if name == "send_link":
        return SendLink() if context.sms_allowed else None  # never text without consent
    if name == "transfer":
        return Transfer() if context.transfer_available and context.channel == "call" else None
    if name == "send_discount":
        return _discount(arguments.get("percent"), context)
    if name == "schedule_callback":
        return _callback(arguments.get("local_time"), context) if context.calls_allowed else None
    if name == "end_call":
        outcome = arguments.get("outcome")
        return End(outcome) if outcome in OUTCOMES else None
    return None


def _discount(percent: Any, context: Context) -> SendDiscount | None:
    """The percent the model asked for, clamped to the merchant's cap; nothing when the cap is 0."""
    cap = context.discount_max_percent
    if cap <= 0 or isinstance(percent, bool):
        return None
    try:
        asked = int(percent)
    except (TypeError, ValueError):
        return None
    if asked <= 0:
        return None
    return SendDiscount(percent=min(asked, cap), read_out=not context.sms_allowed)


def _callback(local_time: Any, context: Context) -> ScheduleCallback | None:
    """The model's local ISO time as an aware UTC instant; a past or unreadable time is ignored."""
    if not isinstance(local_time, str):
        return None
    try:
        at = datetime.fromisoformat(local_time.strip())
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone_of(context.timezone))
    at = at.astimezone(UTC)
    return ScheduleCallback(at=at) if at > context.now else None
