"""The do-not-contact list: opt-outs win over any consent, on the channel given or on all."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.consent.models import Suppression, SuppressionChannel
from app.consent.phones import lookup_key
from app.crypto import lookup_hash
from app.extensions import db

log = logging.getLogger(__name__)

MAX_LABEL_CHARS = 64
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def phone_hash(phone: str) -> str:
    """The lookup hash a phone is suppressed and matched under (E.164 when it parses)."""
    return lookup_hash(lookup_key(phone))


def suppress(shop_id: int, phone_e164: str, *, channel: str = "all", reason: str,
             source: str) -> Suppression:
    """Put a number on the do-not-contact list (idempotent; flushes, never commits)."""
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
    log.info("number suppressed for shop %s on %s (%s, %s)", shop_id, channel, row.reason, row.source)
    return row


def is_suppressed(shop_id: int, phone_e164: str, channel: str = "all") -> bool:
    """Whether a number is on the list for `channel` ('all' asks: on the list for any channel?)."""
    channel = _channel(channel)
    if not isinstance(phone_e164, str) or not phone_e164.strip():
        return False
    return is_hash_suppressed(shop_id, phone_hash(phone_e164), channel)


def is_hash_suppressed(shop_id: int, hashed: str, channel: str = "all") -> bool:
    """`is_suppressed` for a phone already hashed."""
    query = select(Suppression.id).where(Suppression.shop_id == shop_id, Suppression.phone_hash == hashed)
    if channel != SuppressionChannel.ALL:
        query = query.where(Suppression.channel.in_((channel, SuppressionChannel.ALL)))
    return db.session.execute(query.limit(1)).first() is not None


def suppressed_channels(shop_id: int, hashed: str) -> set[str]:
    """The channels a number (already hashed) is on the list for, 'all' included, in one query."""
    return set(db.session.execute(
        select(Suppression.channel).where(Suppression.shop_id == shop_id, Suppression.phone_hash == hashed)
    ).scalars())


def _insert_unless_present(values: dict) -> None:
    """Insert, or do nothing if another worker just suppressed the same number and channel."""
    # ON CONFLICT DO NOTHING rather than a savepoint: the caller's transaction stays usable, and
    # pysqlite commits a savepoint opened before any write (it never sent BEGIN).
    dialect = db.session.connection().dialect.name
    if dialect not in _UPSERTS:
        db.session.add(Suppression(**values))
        db.session.flush()
        return
    db.session.execute(_UPSERTS[dialect](Suppression).values(**values).on_conflict_do_nothing(
        index_elements=["shop_id", "phone_hash", "channel"]))


def _find(shop_id: int, hashed: str, channel: str) -> Suppression | None:
    return db.session.execute(
        select(Suppression).where(Suppression.shop_id == shop_id, Suppression.phone_hash == hashed,
                                  Suppression.channel == channel)
    ).scalar_one_or_none()


def _channel(channel: str) -> str:
    try:
        return SuppressionChannel(channel).value
    except ValueError:
        raise ValueError(f"unknown channel: {channel!r}") from None
