"""Reads consent out of checkout and order payloads (pure) and appends it to the ledger."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.consent.models import Channels, ConsentedAtSource, ConsentEvent, ConsentSource
from app.consent.phones import MISSING, PhoneResult, PhoneStatus, is_present, normalise
from app.crypto import lookup_hash
from app.extensions import db
from app.shops.models import Shop

log = logging.getLogger(__name__)

# The cart attributes the checkout extension and the cart block write (CONTRACT "Consent written at
# checkout"); `ringback_consent_source` is optional and tells the two apart.
ATTR_CONSENT = "ringback_consent"
ATTR_TEXT = "ringback_consent_text"
ATTR_AT = "ringback_consent_at"
ATTR_PHONE = "ringback_phone"
ATTR_SOURCE = "ringback_consent_source"
YES, NO = "yes", "no"
ATTRIBUTE_SOURCES = {"checkout": ConsentSource.CHECKOUT_EXTENSION, "cart": ConsentSource.CART_BLOCK}

# Where a checkout's phone is looked for, in order, when the shopper typed none into the block.
PHONE_FIELDS = (("phone",), ("shipping_address", "phone"), ("billing_address", "phone"),
                ("customer", "phone"))
# National numbers are read in the shipping country, else the billing country.
COUNTRY_FIELDS = (("shipping_address", "country_code"), ("billing_address", "country_code"))

# A tick time this far after the webhook cannot be the shopper's (a wrong device clock would make a
# stale "yes" outrank every later "no"): the received time is used instead.
MAX_CLOCK_SKEW = timedelta(minutes=10)
MAX_TIME_CHARS = 64
MAX_TOKEN_CHARS = 255
MAX_EMAIL_CHARS = 320
MAX_BIGINT = 2**63 - 1

REASON_NOT_TEXT = "ringback_consent is not text"
REASON_NOT_YES_OR_NO = "ringback_consent is neither yes nor no"
REASON_NO_WORDING = "yes without ringback_consent_text"
REASON_UNKNOWN_SOURCE = "unknown ringback_consent_source"
REASON_NO_SMS_PHONE = "sms_marketing_phone missing"
# Shown with a revocation whose payload had no usable phone: it names the checkout's earlier one.
REASON_EARLIER_PHONE = "no usable phone in payload; the checkout's earlier phone"
REASON_EMAILS_PHONE = "no usable phone in payload; the e-mail's earlier phone"


@dataclass(frozen=True)
class Statement:
    """One consent statement read from a payload, not yet recorded."""

    source: str
    channels: str
    granted: bool
    phone: PhoneResult
    wording: str | None = None
    consented_at: datetime | None = None
    consented_at_source: str = ConsentedAtSource.RECEIVED
    malformed_reason: str | None = None
    # Shopify's `buyer_accepts_sms_marketing: false` is recorded only when it ends an earlier "true".
    revokes_earlier_grant_only: bool = False


@dataclass(frozen=True)
class Identifiers:
    """Which checkout, order and shopper a payload is about."""

    checkout_token: str | None = None
    checkout_id: int | None = None
    order_id: int | None = None
    email: str | None = None


# -- parsing (pure) -------------------------------------------------------------------------------

def parse_statements(payload: object) -> list[Statement]:
    """Every consent statement a checkout or order payload carries; never raises."""
    if not isinstance(payload, Mapping):
        return []
    found = [s for s in (_native_sms(payload), _extension(payload, note_attributes(payload))) if s]
    # Grants first: a revocation read from the same payload gets the later id, so it wins ties.
    return sorted(found, key=lambda statement: statement.granted, reverse=True)


def parse_identifiers(topic: str, payload: object) -> Identifiers:
    """The checkout token/id, order id and e-mail of a checkout or order payload."""
    if not isinstance(payload, Mapping):
        return Identifiers()
    if str(topic).startswith("orders/"):
        return Identifiers(_token(payload.get("checkout_token")), _bigint(payload.get("checkout_id")),
                           _bigint(payload.get("id")), _email(payload))
    return Identifiers(_token(payload.get("token")), _bigint(payload.get("id")), None, _email(payload))


def note_attributes(payload: Mapping) -> dict[str, object]:
    """`note_attributes` as a name → value mapping (names trimmed and lower-cased; last wins)."""
    raw = payload.get("note_attributes")
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [_pair(item) for item in raw]
    else:
        return {}
    return {name.strip().lower(): value for name, value in pairs if isinstance(name, str)}


def resolve_phone(payload: Mapping, attributes: Mapping[str, object]) -> PhoneResult:
    """The first phone given (block, checkout, shipping, billing, customer), normalised as is."""
    candidates = [attributes.get(ATTR_PHONE), *(_field(payload, *path) for path in PHONE_FIELDS)]
    raw = next((candidate for candidate in candidates if is_present(candidate)), None)
    return normalise(raw, address_country(payload))


def address_country(payload: Mapping) -> object:
    """The shipping address's country code, else the billing address's, else None."""
    return next((c for c in (_field(payload, *path) for path in COUNTRY_FIELDS) if is_present(c)), None)


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 time as aware UTC (a time without offset is taken as UTC), or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TIME_CHARS:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _extension(payload: Mapping, attributes: Mapping[str, object]) -> Statement | None:
    if ATTR_CONSENT not in attributes:
        return None
    answer, problem = _answer(attributes[ATTR_CONSENT])
    source, source_problem = _attribute_source(attributes.get(ATTR_SOURCE))
    wording = _text(attributes.get(ATTR_TEXT))
    if problem is None and answer == YES and wording is None:
        problem = REASON_NO_WORDING  # consent we cannot show the wording of is not provable
    reason = problem or source_problem
    consented_at = parse_time(attributes.get(ATTR_AT))
    return Statement(
        source=source, channels=Channels.CALL_AND_SMS, granted=answer == YES and reason is None,
        phone=resolve_phone(payload, attributes), wording=wording, consented_at=consented_at,
        consented_at_source=ConsentedAtSource.ATTRIBUTE if consented_at else ConsentedAtSource.RECEIVED,
        malformed_reason=reason,
    )


def _native_sms(payload: Mapping) -> Statement | None:
    accepts = payload.get("buyer_accepts_sms_marketing")
    if not isinstance(accepts, bool):
        return None
    raw = payload.get("sms_marketing_phone")
    phone = normalise(raw, address_country(payload)) if is_present(raw) else replace(
        MISSING, reason=REASON_NO_SMS_PHONE)
    updated_at = parse_time(payload.get("updated_at"))
    common = {"source": ConsentSource.SHOPIFY_SMS_MARKETING, "channels": Channels.SMS, "phone": phone,
              "consented_at": updated_at,
              "consented_at_source": ConsentedAtSource.CHECKOUT if updated_at else ConsentedAtSource.RECEIVED}
    if not accepts:
        return Statement(granted=False, revokes_earlier_grant_only=True, **common)
    reason = REASON_NO_SMS_PHONE if phone.status is PhoneStatus.MISSING else None
    return Statement(granted=reason is None, malformed_reason=reason, **common)


def _answer(value: object) -> tuple[str | None, str | None]:
    if not isinstance(value, str):
        return None, REASON_NOT_TEXT
    answer = value.strip().lower()
    return (answer, None) if answer in (YES, NO) else (None, REASON_NOT_YES_OR_NO)


def _attribute_source(value: object) -> tuple[str, str | None]:
    if value is None:
        return ConsentSource.CHECKOUT_EXTENSION, None
    known = ATTRIBUTE_SOURCES.get(value.strip().lower()) if isinstance(value, str) else None
    return (known, None) if known else (ConsentSource.CHECKOUT_EXTENSION, REASON_UNKNOWN_SOURCE)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _pair(item: object) -> tuple[object, object]:
    if not isinstance(item, Mapping):
        return None, None
    return item.get("name", item.get("key")), item.get("value")


def _field(payload: Mapping, *path: str) -> object:
    value: object = payload
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _token(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_TOKEN_CHARS:
        return None
    return value.strip()


def _bigint(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_BIGINT:
        return value
    return None


def _email(payload: Mapping) -> str | None:
    for value in (payload.get("email"), _field(payload, "customer", "email")):
        if isinstance(value, str) and "@" in value and len(value) <= MAX_EMAIL_CHARS:
            return value.strip().lower()
    return None


# -- recording ------------------------------------------------------------------------------------

def record_from_webhook(shop: Shop, topic: str, payload: dict, *, delivery_id: int | None,
                        received_at: datetime) -> list[ConsentEvent]:
    """Append the consent a checkout/order webhook carries to the ledger; flushes, never commits."""
    identifiers = parse_identifiers(topic, payload)
    received = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    recorded = []
    for statement in parse_statements(payload):
        event = _record(shop.id, str(topic)[:64], identifiers, statement, delivery_id, received)
        if event is not None:
            recorded.append(event)
    if recorded:
        log.info("consent ledger: %d statement(s) recorded for shop %s from %s",
                 len(recorded), shop.id, topic)
    return recorded


def _record(shop_id: int, topic: str, identifiers: Identifiers, statement: Statement,
            delivery_id: int | None, received: datetime) -> ConsentEvent | None:
    if statement.revokes_earlier_grant_only:
        statement = _revocation_of_earlier_grant(shop_id, identifiers, statement)
        if statement is None:
            return None
    elif not statement.granted and not statement.phone.is_valid:
        statement = _with_earlier_phone(shop_id, identifiers, statement)
    event = _event(shop_id, topic, identifiers, statement, delivery_id, received)
    if _already_recorded(event):
        return None
    db.session.add(event)
    db.session.flush()
    return event


def _event(shop_id: int, topic: str, identifiers: Identifiers, statement: Statement,
           delivery_id: int | None, received: datetime) -> ConsentEvent:
    consented_at, at_source = statement.consented_at, statement.consented_at_source
    if consented_at is None or consented_at > received + MAX_CLOCK_SKEW:
        consented_at, at_source = received, ConsentedAtSource.RECEIVED
    phone = statement.phone
    return ConsentEvent(
        shop_id=shop_id, checkout_token=identifiers.checkout_token,
        checkout_id=identifiers.checkout_id, order_id=identifiers.order_id, topic=topic,
        source=str(statement.source), channels=str(statement.channels), granted=statement.granted,
        malformed_reason=statement.malformed_reason, wording=statement.wording,
        consented_at=consented_at, consented_at_source=str(at_source),
        phone_e164=phone.e164 if phone.is_valid else None,
        phone_hash=lookup_hash(phone.e164) if phone.is_valid and phone.e164 else None,
        phone_status=str(phone.status), phone_reason=phone.reason,
        email_hash=lookup_hash(identifiers.email) if identifiers.email else None,
        webhook_delivery_id=delivery_id,
    )


def _revocation_of_earlier_grant(shop_id: int, identifiers: Identifiers,
                                 statement: Statement) -> Statement | None:
    """The native "false" as a revocation of the same phone's standing native "true", else None."""
    query = select(ConsentEvent).where(ConsentEvent.shop_id == shop_id,
                                       ConsentEvent.source == ConsentSource.SHOPIFY_SMS_MARKETING)
    if statement.phone.is_valid and statement.phone.e164:
        query = query.where(ConsentEvent.phone_hash == lookup_hash(statement.phone.e164))
    elif identifiers.checkout_token is not None:
        query = query.where(ConsentEvent.checkout_token == identifiers.checkout_token,
                            ConsentEvent.phone_hash.is_not(None))
    else:
        return None
    latest = db.session.execute(
        query.order_by(ConsentEvent.consented_at.desc(), ConsentEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is None or not latest.granted:
        return None
    return replace(statement, phone=PhoneResult(PhoneStatus.VALID, latest.phone_e164))


def _with_earlier_phone(shop_id: int, identifiers: Identifiers, statement: Statement) -> Statement:
    """A "no" without a usable phone revokes the phone this checkout consented with before, else the
    phone this e-mail address last consented with (a "no" on a new cart is the same person's)."""
    subjects = [(ConsentEvent.checkout_token, identifiers.checkout_token, REASON_EARLIER_PHONE),
                (ConsentEvent.email_hash, lookup_hash(identifiers.email) if identifiers.email else None,
                 REASON_EMAILS_PHONE)]
    for column, value, reason in subjects:
        if value is None:
            continue
        earlier = db.session.execute(
            select(ConsentEvent.phone_e164)
            .where(ConsentEvent.shop_id == shop_id, column == value, ConsentEvent.phone_hash.is_not(None))
            .order_by(ConsentEvent.consented_at.desc(), ConsentEvent.id.desc()).limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            return replace(statement, phone=PhoneResult(PhoneStatus.VALID, earlier, reason))
    return statement


def _already_recorded(event: ConsentEvent) -> bool:
    """This delivery already recorded it, or it repeats the checkout's latest statement."""
    return _delivery_recorded(event) or _repeats_latest(event)


def _delivery_recorded(event: ConsentEvent) -> bool:
    if event.webhook_delivery_id is None:
        return False
    return db.session.execute(
        select(ConsentEvent.id).where(ConsentEvent.webhook_delivery_id == event.webhook_delivery_id,
                                      ConsentEvent.source == event.source,
                                      ConsentEvent.channels == event.channels).limit(1)
    ).first() is not None


def _repeats_latest(event: ConsentEvent) -> bool:
    latest = db.session.execute(
        select(ConsentEvent).where(*_same_subject(event)).order_by(ConsentEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return latest is not None and _same_statement(latest, event)


def _same_subject(event: ConsentEvent) -> list:
    """Same shop, checkout (or order, without a checkout), source and phone."""
    conditions = [ConsentEvent.shop_id == event.shop_id, ConsentEvent.source == event.source,
                  _equal(ConsentEvent.phone_hash, event.phone_hash),
                  _equal(ConsentEvent.checkout_token, event.checkout_token)]
    if event.checkout_token is None:
        conditions.append(_equal(ConsentEvent.order_id, event.order_id))
    return conditions


def _same_statement(old: ConsentEvent, new: ConsentEvent) -> bool:
    # checkouts/update repeats the same attributes with a new `updated_at`: only a tick time
    # read from the attributes makes a statement new.
    same_time = (new.consented_at_source != ConsentedAtSource.ATTRIBUTE
                 or (old.consented_at_source == new.consented_at_source
                     and old.consented_at == new.consented_at))
    fields = ("granted", "channels", "wording", "phone_status", "phone_reason", "malformed_reason")
    return same_time and all(getattr(old, name) == getattr(new, name) for name in fields)


def _equal(column, value):
    return column.is_(None) if value is None else column == value
