"""The do-not-contact list: opt-outs win over any consent, on the channel given or on all.

A row belongs to one shop, or (shop None, `SENDER_WIDE`) to every shop: an SMS opt-out blocks the
number at the sender all shops text from, so no shop may reach it again on any channel.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from app.consent.models import Suppression, SuppressionChannel
from app.consent.phones import lookup_key
from app.crypto import lookup_hash
from app.extensions import db

log = logging.getLogger(__name__)

MAX_LABEL_CHARS = 64
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# The shop of a sender-wide row: none, it applies to them all.
SENDER_WIDE = None


def phone_hash(phone: str) -> str:
    """The lookup hash a phone is suppressed and matched under (E.164 when it parses)."""
    return lookup_hash(lookup_key(phone))


def suppress(shop_id: int | None, phone_e164: str, *, channel: str = "all", reason: str,
             source: str) -> Suppression:
    """Put a number on the do-not-contact list of a shop, or of every shop when `shop_id` is
    `SENDER_WIDE` (idempotent; flushes, never commits)."""
    channel = _channel(channel)
    if not isinstance(phone_e164, str) or not phone_e164.strip():
        raise ValueError("a phone number is required")
    key = lookup_key(phone_e164)
    hashed = lookup_hash(key)
    existing = _find(shop_id, hashed, channel)
    if existing is not None:
        return existing
    _insert_unless_present({
        "shop_id": shop_id, "phone_hash": hashed, "phone_e164": key, "channel": channel,
        "reason": str(reason)[:MAX_LABEL_CHARS], "source": str(source)[:MAX_LABEL_CHARS],
    })
    row = _find(shop_id, hashed, channel)
    log.info("number suppressed for %s on %s (%s, %s)", _whom(shop_id), channel, row.reason, row.source)
    return row


def is_suppressed(shop_id: int, phone_e164: str, channel: str = "all") -> bool:
    """Whether a number is on the shop's (or the sender-wide) list for `channel` ('all' asks: on the
    list for any channel?)."""
    channel = _channel(channel)
    if not isinstance(phone_e164, str) or not phone_e164.strip():
        return False
    return is_hash_suppressed(shop_id, phone_hash(phone_e164), channel)


def is_suppressed_everywhere(shop_id: int, phone_e164: str) -> bool:
    """Whether the number is on the list for every channel at once (an opt-out, a wrong number);
    a list entry for one channel only takes that channel away (see the consent queries)."""
    if not isinstance(phone_e164, str) or not phone_e164.strip():
        return False
    return db.session.execute(
        select(Suppression.id).where(applies_to(shop_id), Suppression.phone_hash == phone_hash(phone_e164),
                                     Suppression.channel == SuppressionChannel.ALL).limit(1)
    ).first() is not None


def is_hash_suppressed(shop_id: int, hashed: str, channel: str = "all") -> bool:
    """`is_suppressed` for a phone already hashed."""
    query = select(Suppression.id).where(applies_to(shop_id), Suppression.phone_hash == hashed)
    if channel != SuppressionChannel.ALL:
        query = query.where(Suppression.channel.in_((channel, SuppressionChannel.ALL)))
    return db.session.execute(query.limit(1)).first() is not None


def suppressed_channels(shop_id: int, hashed: str) -> set[str]:
    """The channels a number (already hashed) is on the list for, 'all' included, in one query."""
    return set(db.session.execute(
        select(Suppression.channel).where(applies_to(shop_id), Suppression.phone_hash == hashed)
    ).scalars())


def applies_to(shop_id):
    """The rows that bind a shop: its own and the sender-wide ones (`shop_id` may be a column)."""
    return or_(Suppression.shop_id == shop_id, Suppression.shop_id.is_(None))


def resume_sms(phone_e164: str, *, reasons: frozenset[str]) -> bool:
    """Lift a sender-wide SMS opt-out made for one of `reasons` (the shopper texted START): texts
    may resume, calls never do, so an `all` row becomes a `call` row. Flushes; True if lifted."""
    rows = _sender_wide_sms_blocks(phone_e164, reasons).all()
    for row in rows:
        if row.channel == SuppressionChannel.ALL:
            suppress(SENDER_WIDE, phone_e164, channel="call", reason=row.reason, source=row.source)
    if rows:
        db.session.execute(delete(Suppression).where(Suppression.id.in_([row.id for row in rows]))
                           .execution_options(synchronize_session="fetch"))
        log.info("a sender-wide SMS opt-out was lifted (START); calls stay suppressed")
    return bool(rows)


def sender_wide_sms_block(phone_e164: str, *, reasons: frozenset[str]) -> bool:
    """Whether texts to the number are blocked sender-wide for one of `reasons`."""
    return _sender_wide_sms_blocks(phone_e164, reasons).first() is not None


def _sender_wide_sms_blocks(phone_e164: str, reasons: frozenset[str]):
    hashed = phone_hash(phone_e164)
    return db.session.execute(
        select(Suppression).where(Suppression.shop_id.is_(None), Suppression.phone_hash == hashed,
                                  Suppression.channel.in_((SuppressionChannel.ALL, SuppressionChannel.SMS)),
                                  Suppression.reason.in_(reasons))
    ).scalars()


def _insert_unless_present(values: dict) -> None:
    """Insert, or do nothing if another worker just suppressed the same number and channel."""
    # ON CONFLICT DO NOTHING rather than a savepoint: the caller's transaction stays usable, and
    # pysqlite commits a savepoint opened before any write (it never sent BEGIN).
    dialect = db.session.connection().dialect.name
    if dialect not in _UPSERTS:
        db.session.add(Suppression(**values))
        db.session.flush()
        return
    insert = _UPSERTS[dialect](Suppression).values(**values)
    if values["shop_id"] is SENDER_WIDE:
        insert = insert.on_conflict_do_nothing(index_elements=["phone_hash", "channel"],
                                               index_where=Suppression.shop_id.is_(None))
    else:
        insert = insert.on_conflict_do_nothing(index_elements=["shop_id", "phone_hash", "channel"])
    db.session.execute(insert)


def _find(shop_id: int | None, hashed: str, channel: str) -> Suppression | None:
    whose = Suppression.shop_id.is_(None) if shop_id is SENDER_WIDE else Suppression.shop_id == shop_id
    return db.session.execute(
        select(Suppression).where(whose, Suppression.phone_hash == hashed, Suppression.channel == channel)
    ).scalar_one_or_none()


def _whom(shop_id: int | None) -> str:
    return "every shop (sender-wide)" if shop_id is SENDER_WIDE else f"shop {shop_id}"


def _channel(channel: str) -> str:
    try:
        return SuppressionChannel(channel).value
    except ValueError:
        raise ValueError(f"unknown channel: {channel!r}") from None
