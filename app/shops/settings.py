"""Every merchant knob, its default and its validation, declared once as data."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Data is kept at most 24 months (the product's privacy promise).
MAX_RETENTION_DAYS = 730
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class SettingsError(ValueError):
    """One or more fields are invalid; `errors` maps each field to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid settings")
        self.errors = errors


@dataclass(frozen=True)
class Field:
    default: Any
    clean: Callable[[Any], Any]
    description: str
    schema: Mapping[str, Any]


def _bool(value):
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


def _int_between(low: int, high: int):
    def clean(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return clean


def _money(value):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be a decimal amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError("must be a decimal amount") from exc
    if not amount.is_finite() or amount < 0 or amount > Decimal("1000000"):
        raise ValueError("must be between 0 and 1000000")
    return str(amount.quantize(Decimal("0.01")))


def _clock(value):
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueError("must be a time as HH:MM (24-hour)")
    return value


def _countries(value):
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError("must be a list of ISO country codes")
    codes = sorted({c.strip().upper() for c in value})
    bad = [c for c in codes if not _COUNTRY.match(c)]
    if bad:
        raise ValueError("not ISO 3166-1 alpha-2 codes: " + ", ".join(bad[:5]))
    return codes


def _optional_text(max_length: int):
    def clean(value):
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be text or null")
        value = value.strip()
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value or None

    return clean


_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_HHMM = {"type": "string", "pattern": _TIME.pattern}

FIELDS: dict[str, Field] = {
    "calls_enabled": Field(True, _bool, "Place AI phone calls to consenting shoppers.", _BOOL),
    "sms_enabled": Field(True, _bool, "Send SMS to consenting shoppers.", _BOOL),
    "first_contact_delay_minutes": Field(
        30, _int_between(5, 1440), "Minutes after the checkout's last update before first contact.",
        {**_INT, "minimum": 5, "maximum": 1440},
    ),
    "sms_fallback_delay_minutes": Field(
        10, _int_between(1, 1440), "Minutes after an unanswered call before the SMS follow-up.",
        {**_INT, "minimum": 1, "maximum": 1440},
    ),
    "max_attempts": Field(
        3, _int_between(1, 5), "Most contacts (calls and texts together) per shopper and conversation.",
        {**_INT, "minimum": 1, "maximum": 5},
    ),
    "min_attempt_spacing_minutes": Field(
        120, _int_between(10, 2880), "Least time between two contacts to one shopper.",
        {**_INT, "minimum": 10, "maximum": 2880},
    ),
    "min_cart_value": Field(
        "0.00", _money, "Smallest cart total (shop currency) worth contacting about.",
        {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"},
    ),
    "allowed_countries": Field(
        [], _countries, "ISO countries whose shoppers may be contacted; empty means all.",
        {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}},
    ),
    "contact_window_start": Field(
        "09:00", _clock, "Earliest local time of the shopper to contact (narrows the legal window).",
        _HHMM,
    ),
    "contact_window_end": Field(
        "20:00", _clock, "Latest local time of the shopper to contact (narrows the legal window).",
        _HHMM,
    ),
    "holdout_percent": Field(
        10, _int_between(0, 50), "Share of eligible checkouts never contacted, to measure lift.",
        {**_INT, "minimum": 0, "maximum": 50},
    ),
    "attribution_window_days": Field(
        7, _int_between(1, 30), "Days after a contact during which an order counts as recovered.",
        {**_INT, "minimum": 1, "maximum": 30},
    ),
    "recording_enabled": Field(True, _bool, "Record calls (always announced).", _BOOL),
    "store_display_name": Field(
        None, _optional_text(80), "Name the assistant uses for the store; defaults to the shop name.",
        {"type": ["string", "null"], "maxLength": 80},
    ),
    "retention_days": Field(
        MAX_RETENTION_DAYS, _int_between(30, MAX_RETENTION_DAYS),
        "Days personal data is kept before automatic deletion (at most 24 months).",
        {**_INT, "minimum": 30, "maximum": MAX_RETENTION_DAYS},
    ),
}


def defaults() -> dict[str, Any]:
    return {name: field.default for name, field in FIELDS.items()}


def resolve(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored values over defaults; unknown or no-longer-valid stored keys fall back to defaults."""
    values = defaults()
    for name, value in (stored or {}).items():
        field = FIELDS.get(name)
        if field is None:
            continue
        try:
            values[name] = field.clean(value)
        except ValueError:
            continue
    return values


def validate_update(current: Mapping[str, Any], changes: Any) -> dict[str, Any]:
    """Apply a partial update; raises SettingsError (and changes nothing) if any field is bad."""
    if not isinstance(changes, Mapping):
        raise SettingsError({"_body": "must be a JSON object"})
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        field = FIELDS.get(name)
        if field is None:
            errors[str(name)[:64]] = "unknown setting"
            continue
        try:
            cleaned[name] = field.clean(value)
        except ValueError as exc:
            errors[name] = str(exc)
    merged = {**resolve(current), **cleaned}
    if not errors and merged["contact_window_start"] >= merged["contact_window_end"]:
        errors["contact_window_end"] = "must be later than contact_window_start"
    if errors:
        raise SettingsError(errors)
    return merged


def json_schema() -> dict[str, Any]:
    """The settings object as JSON Schema, for the OpenAPI document."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            name: {**field.schema, "description": field.description, "default": field.default}
            for name, field in FIELDS.items()
        },
    }
