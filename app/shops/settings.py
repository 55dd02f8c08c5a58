"""Every merchant knob, its default and its validation, declared once as data."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from app.sms import templates as sms_templates

# Data is kept at most 24 months (the product's privacy promise).
MAX_RETENTION_DAYS = 730
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
# Twilio <Say> voices: Amazon Polly or Google, e.g. "Polly.Joanna-Neural", "Google.en-US-Neural2-F".
_VOICE = re.compile(r"^(Polly|Google)\.[A-Za-z0-9-]{2,64}$")
LANGUAGES = ("en", "es", "fr", "de")
# Natural neural voices per language (Twilio's Amazon Polly neural voices).
DEFAULT_VOICES = {"en": "Polly.Joanna-Neural", "es": "Polly.Lupe-Neural", "fr": "Polly.Lea-Neural",
                  "de": "Polly.Vicki-Neural"}
VOICEMAIL_ACTIONS = ("message", "hangup")
# Twilio takes bodies up to 1600 characters; past six parts (918 GSM-7 ones) a nudge becomes a letter.
MAX_SMS_SEGMENTS = 6
MAX_SUPPORT_CONTACT_LENGTH = 120
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEB = re.compile(r"^(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d{1,5})?(/\S*)?$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9(][0-9 ().-]*$")
# E.164 numbers have at most 15 digits; national ones at least 7 (short codes are not support lines).
PHONE_DIGITS = (7, 15)
DISCOUNT_SCOPES = ("cart_products", "order_minimum", "all_items")


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


def _one_of(choices: tuple[str, ...]):
    def clean(value):
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return value

    return clean


def _optional_phone(value):
    """An E.164 number (what Twilio's <Dial> needs), or null."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith("+") or len(value) > 20:
        raise ValueError("must be a phone number in E.164 form, like +14155550123, or null")
    try:
        number = phonenumbers.parse(value)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("must be a phone number in E.164 form, like +14155550123, or null") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _optional_hours(value):
    if value is None:
        return None
    if not isinstance(value, str) or not _HOURS.match(value):
        raise ValueError('must be "HH:MM-HH:MM" (24-hour, the shop\'s time zone) or null')
    start, end = value.split("-")
    if start == end:
        raise ValueError("start and end must differ")
    return value


def _voices(value):
    if not isinstance(value, dict):
        raise ValueError("must map languages (en, es, fr, de) to voices")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError("unknown languages: " + ", ".join(str(u)[:8] for u in unknown[:4]))
    bad = [lang for lang, voice in value.items() if not isinstance(voice, str) or not _VOICE.match(voice)]
    if bad:
        raise ValueError("not a Twilio voice name (e.g. Polly.Joanna-Neural) for: " + ", ".join(bad))
    return {**DEFAULT_VOICES, **value}


def _sms_templates(value):
    """Language -> template (null restores the default); a PUT replaces the whole object."""
    if not isinstance(value, dict):
        raise ValueError("must map languages (en, es, fr, de) to templates")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError("unknown languages: " + ", ".join(str(u)[:8] for u in unknown[:4]))
    cleaned, problems = {}, []
    for lang in LANGUAGES:
        if value.get(lang) is None:
            continue
        try:
            cleaned[lang] = sms_templates.check_template(value[lang])
        except ValueError as exc:
            problems.append(f"{lang}: {exc}")
    if problems:
        raise ValueError("; ".join(problems))
    return cleaned


def _support_contact(value):
    """Where shoppers reach the store (an e-mail, phone or web address), for the HELP reply."""
    value = _optional_text(MAX_SUPPORT_CONTACT_LENGTH)(value)
    if value is None or _EMAIL.match(value) or _WEB.match(value) or _is_phone(value):
        return value
    raise ValueError("must be an e-mail address, a phone number or a web address, or null")


def _is_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return bool(_PHONE.match(value)) and PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]


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
    "discount_max_percent": Field(
        10, _int_between(0, 50), "Largest discount (percent) the assistant may offer; 0 never offers one.",
        {**_INT, "minimum": 0, "maximum": 50},
    ),
    "discount_expiry_hours": Field(
        48, _int_between(1, 336), "Hours a discount code offered by the assistant stays valid.",
        {**_INT, "minimum": 1, "maximum": 336},
    ),
    "discount_applies_to": Field(
        "cart_products", _one_of(DISCOUNT_SCOPES),
        "What a discount code covers: the cart's products, orders of at least the cart's value, or "
        "any item.", {"enum": list(DISCOUNT_SCOPES)},
    ),
    "transfer_phone": Field(
        None, _optional_phone, "Where a shopper asking for a person is transferred (E.164), or null.",
        {"type": ["string", "null"], "pattern": r"^\+[1-9]\d{6,14}$"},
    ),
    "transfer_hours": Field(
        None, _optional_hours,
        "Support hours for transfers, \"HH:MM-HH:MM\" in the shop's time zone; null = any hour. "
        "Outside them the assistant offers a callback.",
        {"type": ["string", "null"], "pattern": _HOURS.pattern},
    ),
    "voicemail_action": Field(
        "message", _one_of(VOICEMAIL_ACTIONS),
        "On an answering machine: leave a short message (store, reason, how to opt out) or hang up.",
        {"enum": list(VOICEMAIL_ACTIONS)},
    ),
    "agent_voices": Field(
        dict(DEFAULT_VOICES), _voices, "The assistant's voice per language (Twilio <Say> voice names).",
        {"type": "object", "additionalProperties": False,
         "properties": {lang: {"type": "string", "pattern": _VOICE.pattern} for lang in LANGUAGES}},
    ),
    "sms_templates": Field(
        {}, _sms_templates,
        "The SMS recovery text per language; placeholders {store}, {first_name}, {cart} and {link} "
        "(required). A missing or null language uses the default wording.",
        {"type": "object", "additionalProperties": False,
         "properties": {lang: {"type": ["string", "null"], "minLength": 1,
                               "maxLength": sms_templates.MAX_TEMPLATE_LENGTH} for lang in LANGUAGES}},
    ),
    "sms_max_segments": Field(
        2, _int_between(1, MAX_SMS_SEGMENTS),
        "Most SMS segments a recovery text may take; the cart summary is shortened to fit.",
        {**_INT, "minimum": 1, "maximum": MAX_SMS_SEGMENTS},
    ),
    "support_contact": Field(
        None, _support_contact,
        "An e-mail, phone or web address where the store answers shoppers (named in the HELP reply).",
        {"type": ["string", "null"], "maxLength": MAX_SUPPORT_CONTACT_LENGTH},
    ),
    "retention_days": Field(
        MAX_RETENTION_DAYS, _int_between(30, MAX_RETENTION_DAYS),
        "Days personal data is kept before automatic deletion (at most 24 months).",
        {**_INT, "minimum": 30, "maximum": MAX_RETENTION_DAYS},
    ),
}


def store_name(shop, values: Mapping[str, Any]) -> str:
    """How calls and texts name the store: the merchant's display name, else the shop's own."""
    return values["store_display_name"] or shop.name or shop.domain.split(".")[0]


def defaults() -> dict[str, Any]:
    return {name: copy.deepcopy(field.default) for name, field in FIELDS.items()}


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
