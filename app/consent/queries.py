"""What the rest of the app asks the ledger: may we call or text this checkout's shopper, this number?

Rules: per channel, the latest statement (by `consented_at`, then id) decides; only a well-formed
"yes" with a valid phone grants; a suppression always wins; native Shopify SMS consent never grants
calls. A checkout's consent also ends when the same person later said "no" anywhere in the shop:
the same number, or the same e-mail address (a "no" on a new cart may carry no phone at all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, select, union
from sqlalchemy.orm import aliased

from app.consent.models import Channels, ConsentEvent, Suppression, SuppressionChannel
from app.consent.phones import normalise
from app.consent.suppression import (
    applies_to,
    is_suppressed,
    is_suppressed_everywhere,
    phone_hash,
    suppress,
    suppressed_channels,
)
from app.extensions import db

CHANNELS = ("call", "sms")
# The stored `channels` values that cover each channel.
COVERING = {"call": (Channels.CALL_AND_SMS,), "sms": (Channels.CALL_AND_SMS, Channels.SMS)}


@dataclass(frozen=True)
class ConsentState:
    call: bool
    sms: bool
    phone_e164: str | None
    wording: str | None
    consented_at: datetime | None


NO_CONSENT = ConsentState(call=False, sms=False, phone_e164=None, wording=None, consented_at=None)


def consent_for_checkout(shop_id: int, checkout_token: str) -> ConsentState:
    """The consent given at one checkout, still standing now; no events → all False."""
    deciding = _latest(shop_id, ConsentEvent.checkout_token == checkout_token)
    anchor = _anchor(deciding.values())
    if anchor is None:
        return NO_CONSENT
    by_number = _latest(shop_id, ConsentEvent.phone_hash == anchor.phone_hash)
    by_email = _latest(shop_id, ConsentEvent.email_hash == anchor.email_hash) if anchor.email_hash else {}
    suppressed = suppressed_channels(shop_id, anchor.phone_hash)
    allowed = {ch: _grants(ev) and ev.phone_hash == anchor.phone_hash
               # No later "no" for this number anywhere in the shop, and no suppression.
               and _grants(by_number[ch]) and not _covers(suppressed, ch)
               # No later "no" (or unusable statement) from this e-mail address anywhere in the shop;
               # a later "yes" that named no usable phone grants nothing itself, but is no refusal.
               and (by_email.get(ch) is None or by_email[ch].granted)
               for ch, ev in deciding.items()}
    return _state(allowed, anchor)


def consent_for_phone(shop_id: int, phone_e164: str) -> ConsentState:
    """The consent standing for a number across the shop's checkouts; none → all False."""
    hashed = _hash(phone_e164)
    if hashed is None:
        return NO_CONSENT
    deciding = _latest(shop_id, ConsentEvent.phone_hash == hashed)
    suppressed = suppressed_channels(shop_id, hashed)
    allowed = {ch: _grants(ev) and not _covers(suppressed, ch) for ch, ev in deciding.items()}
    anchor = _anchor(ev for ch, ev in deciding.items() if allowed[ch])
    return _state(allowed, anchor) if anchor is not None else NO_CONSENT


def sms_consent_on_record(phone_e164: str) -> bool:
    """Whether any shop holds a standing SMS consent for the number, the do-not-contact list aside:
    what decides if a START may lift an SMS opt-out (texts resume only where consent was given)."""
    hashed = _hash(phone_e164)
    if hashed is None:
        return False
    shops = db.session.execute(
        select(ConsentEvent.shop_id).where(ConsentEvent.phone_hash == hashed).distinct().limit(50)
    ).scalars().all()
    return any(_grants(_latest(shop_id, ConsentEvent.phone_hash == hashed)["sms"]) for shop_id in shops)


def ledger_query(shop_id: int, *, phone_e164: str | None = None,
                 checkout_token: str | None = None) -> Select:
    """The shop's ledger, newest first, optionally for one number and/or one checkout."""
    query = select(ConsentEvent).where(ConsentEvent.shop_id == shop_id)
    if phone_e164 is not None:
        query = query.where(ConsentEvent.phone_hash == phone_hash(phone_e164))
    if checkout_token is not None:
        query = query.where(ConsentEvent.checkout_token == checkout_token)
    return query.order_by(ConsentEvent.id.desc())


def ledger_page(shop_id: int, *, phone_e164: str | None = None, checkout_token: str | None = None,
                page: int = 1, per_page: int = 50) -> tuple[list[ConsentEvent], int | None]:
    """One page of `ledger_query` and the next page's number (None on the last page)."""
    query = ledger_query(shop_id, phone_e164=phone_e164, checkout_token=checkout_token)
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).scalars().all()
    return list(rows[:per_page]), page + 1 if len(rows) > per_page else None


def _latest(shop_id: int, condition) -> dict[str, ConsentEvent | None]:
    """Per channel, the statement that decides it among those matching `condition` (the latest by
    `consented_at`, then id), in one query: one subject's statements are few."""
    rows = db.session.execute(
        select(ConsentEvent).where(ConsentEvent.shop_id == shop_id, condition)
        .order_by(ConsentEvent.consented_at.desc(), ConsentEvent.id.desc())
    ).scalars()
    return _deciding(rows)


def _covers(suppressed: set[str], channel: str) -> bool:
    return bool(suppressed & {channel, SuppressionChannel.ALL})


def _grants(event: ConsentEvent | None) -> bool:
    return event is not None and event.granted and event.phone_hash is not None


def _anchor(events) -> ConsentEvent | None:
    """The latest granting statement: its phone is the one consent is about."""
    granting = [ev for ev in events if _grants(ev)]
    return max(granting, key=lambda ev: (ev.consented_at, ev.id), default=None)


def _state(allowed: dict[str, bool], anchor: ConsentEvent) -> ConsentState:
    if not any(allowed.values()):
        return NO_CONSENT
    return ConsentState(call=allowed["call"], sms=allowed["sms"], phone_e164=anchor.phone_e164,
                        wording=anchor.wording, consented_at=anchor.consented_at)


def _hash(phone: str) -> str | None:
    result = normalise(phone)
    return phone_hash(result.e164) if result.is_valid and result.e164 else None


__all__ = ["ConsentState", "NO_CONSENT", "consent_for_checkout", "consent_for_phone", "is_suppressed",
           "is_suppressed_everywhere", "sms_consent_on_record",
           "ledger_page", "ledger_query", "suppress"]


# -- many checkouts at once (the merchant's list) ---------------------------------------------------

# Bound values per IN list: under SQLite's 32766 per statement and PostgreSQL's 65535.
_HASHES_PER_QUERY = 5000
_EVENT_COLUMNS = (ConsentEvent.id, ConsentEvent.checkout_token, ConsentEvent.channels, ConsentEvent.granted,
                  ConsentEvent.phone_hash, ConsentEvent.email_hash, ConsentEvent.consented_at)


def consent_for_checkouts(shop_id: int, tokens: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The channels consent stands for now, per checkout token, with the rules of
    `consent_for_checkout` applied to statements read at once (a page of the merchant's list): those of these
    checkouts, of their numbers and of their e-mail addresses (one query), and the do-not-contact
    entries of the numbers consent was given for. Tokens without any are left out."""
    own, other = aliased(ConsentEvent), aliased(ConsentEvent)
    mine = and_(own.shop_id == shop_id, own.checkout_token.in_(tokens))
    columns = [getattr(other, column.key) for column in _EVENT_COLUMNS]
    # Three index lookups (checkout token, number, e-mail address), not one OR no index can serve.
    found = union(
        select(*columns).where(other.shop_id == shop_id, other.checkout_token.in_(tokens)),
        select(*columns).where(other.shop_id == shop_id, other.phone_hash.in_(
            select(own.phone_hash).where(mine, own.phone_hash.is_not(None)))),
        select(*columns).where(other.shop_id == shop_id, other.email_hash.in_(
            select(own.email_hash).where(mine, own.email_hash.is_not(None))))).subquery()
    events = db.session.execute(
        select(found).order_by(found.c.consented_at.desc(), found.c.id.desc())).all()
    by_token, by_phone, by_email = defaultdict(list), defaultdict(list), defaultdict(list)
    for event in events:  # newest first, as `_deciding` wants them
        by_token[event.checkout_token].append(event)
        by_phone[event.phone_hash].append(event)
        by_email[event.email_hash].append(event)
    deciding = {token: _deciding(by_token[token]) for token in set(tokens) if token in by_token}
    anchors = {token: _anchor(latest.values()) for token, latest in deciding.items()}
    suppressed = _suppressed_channels(shop_id, {anchor.phone_hash for anchor in anchors.values() if anchor})
    standing = {}
    for token, anchor in anchors.items():
        channels = (_standing_channels(deciding[token], anchor, by_phone, by_email, suppressed)
                    if anchor else ())
        if channels:
            standing[token] = channels
    return standing


def _suppressed_channels(shop_id: int, hashes: set[str]) -> dict[str, set[str]]:
    """The channels each number (hashed) is on the shop's or the sender-wide do-not-contact list for."""
    channels: dict[str, set[str]] = defaultdict(set)
    ordered = sorted(hashes)
    for at in range(0, len(ordered), _HASHES_PER_QUERY):
        for hashed, channel in db.session.execute(
                select(Suppression.phone_hash, Suppression.channel).where(
                    applies_to(shop_id), Suppression.phone_hash.in_(ordered[at:at + _HASHES_PER_QUERY]))):
            channels[hashed].add(channel)
    return channels


def _standing_channels(deciding: Mapping, anchor, by_phone: Mapping, by_email: Mapping,
              suppressed: Mapping[str, set[str]]) -> tuple[str, ...]:
    """`consent_for_checkout` on statements already read: per channel the checkout's latest statement
    grants, for the anchor's number, with no later "no" from that number or e-mail address anywhere in
    the shop, and the number is not on the do-not-contact list for the channel."""
    by_number = _deciding(by_phone.get(anchor.phone_hash, []))
    by_address = _deciding(by_email.get(anchor.email_hash, [])) if anchor.email_hash else {}
    blocked = suppressed.get(anchor.phone_hash, set())
    return tuple(channel for channel, event in deciding.items()
                 if _grants(event) and event.phone_hash == anchor.phone_hash and _grants(by_number[channel])
                 and not _covers(blocked, channel)
                 and (by_address.get(channel) is None or by_address[channel].granted))


def _deciding(events: Iterable) -> dict:
    """Per channel, the first statement covering it among `events` (newest first)."""
    latest = dict.fromkeys(CHANNELS)
    for event in events:
        for channel in CHANNELS:
            if latest[channel] is None and event.channels in COVERING[channel]:
                latest[channel] = event
        if all(latest.values()):
            break
    return latest

