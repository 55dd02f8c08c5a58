"""Fresh database state turned into the plain values the pure policy decides on."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import or_, select

from app import money
from app.consent import queries as consent
from app.consent.phones import lookup_key
from app.crypto import lookup_hash
from app.extensions import db
from app.privacy.restriction import is_restricted
from app.recovery import policy, shoppers
from app.recovery.models import CONTACTED, Checkout, ContactAttempt
from app.shops import settings as shop_settings
from app.shops.models import Shop

# "At most 3 calls per 24 h on one subject" (FL/OK/MD) counts over this trailing window.
CAP_PERIOD = policy.CAP_PERIOD
_HOLDOUT_SECRET_LABEL = b"ringback-holdout\x00"


def settings_for(shop: Shop) -> policy.Settings:
    """The merchant's knobs (stored over defaults) as the policy's Settings."""
    values = shop_settings.resolve(shop.settings.values if shop.settings else None)
    return policy.Settings(
        calls_enabled=values["calls_enabled"],
        sms_enabled=values["sms_enabled"],
        first_contact_delay_minutes=values["first_contact_delay_minutes"],
        sms_fallback_delay_minutes=values["sms_fallback_delay_minutes"],
        max_attempts=values["max_attempts"],
        min_attempt_spacing_minutes=values["min_attempt_spacing_minutes"],
        min_cart_value=Decimal(values["min_cart_value"]),
        allowed_countries=frozenset(values["allowed_countries"]),
        window_start=time.fromisoformat(values["contact_window_start"]),
        window_end=time.fromisoformat(values["contact_window_end"]),
        holdout_percent=values["holdout_percent"],
    )


def attribution_window(shop: Shop) -> timedelta:
    values = shop_settings.resolve(shop.settings.values if shop.settings else None)
    return timedelta(days=values["attribution_window_days"])


def holdout_secret() -> bytes:
    """The holdout key, derived from SECRET_KEY so that the split is stable but not guessable."""
    return hashlib.sha256(_HOLDOUT_SECRET_LABEL + current_app.config["SECRET_KEY"].encode()).digest()


def facts_for(checkout: Checkout, shop: Shop, now: datetime) -> policy.CheckoutFacts:
    """Everything the policy needs about one checkout, read now (consent and suppression included).

    Contacts are counted per person: `attempts` holds the whole conversation (the shopper's open
    checkouts, see `shoppers.conversation`), `other_contacts` every other contact to the number.
    """
    standing = consent.consent_for_checkout(checkout.shop_id, checkout.token)
    phone = standing.phone_e164 or checkout.phone
    checkouts = shoppers.conversation(checkout, now)
    conversation_ids = {c.id for c in checkouts}
    contacts = _contacts(checkout.shop_id, conversation_ids, phone, now)
    own = [a for a in contacts if a.checkout_id in conversation_ids]
    return policy.CheckoutFacts(
        shop_active=shop.is_active,
        completed=checkout.completed_at is not None,
        # On the list for one channel only: that channel's consent no longer stands (see `standing`).
        suppressed=bool(phone) and consent.is_suppressed_everywhere(checkout.shop_id, phone),
        holdout=bool(checkout.holdout),
        # Unknown in the shop's currency (no conversion rates here): it meets no minimum above 0.
        cart_value=money.cart_value_in_shop_currency(checkout, shop.currency) or Decimal("0"),
        country=checkout.country_code,
        province=checkout.province_code,
        phone_e164=phone,
        last_updated_at=shoppers.last_update(checkout),
        consent=policy.Consent(call=standing.call, sms=standing.sms),
        attempts=tuple(policy.Attempt(channel=a.channel, at=a.dispatched_at, outcome=a.outcome)
                       for a in own),
        requested_callback_at=checkout.requested_callback_at,
        superseded=_superseded(checkout, checkouts),
        # Contacts to the number about checkouts outside this conversation, in the last 24 h.
        other_contacts=tuple(a.dispatched_at for a in contacts if a.checkout_id not in conversation_ids),
        restricted=is_restricted(checkout.shop_id, customer_hash=checkout.customer_hash,
                                 email_hash=checkout.email_hash,
                                 phone_hash=lookup_hash(lookup_key(phone)) if phone else None),
    )


def _contacts(shop_id: int, conversation_ids: set[int], phone: str | None, now: datetime) -> list:
    """Attempts that reached someone (skipped, withheld or undeliverable ones never count): every
    one in the conversation, and those to `phone` on the shop's other checkouts in the last 24 h.

    Read as plain rows, not entities: the session may hold an older copy of an attempt that
    another worker has dispatched since, and the row as committed is what counts."""
    about = ContactAttempt.checkout_id.in_(conversation_ids)
    if phone:
        about = or_(about, (ContactAttempt.shop_id == shop_id)
                    & (ContactAttempt.phone_hash == lookup_hash(phone))
                    & (ContactAttempt.dispatched_at > now - CAP_PERIOD)
                    & (ContactAttempt.dispatched_at <= now))
    return list(db.session.execute(
        select(ContactAttempt.id, ContactAttempt.checkout_id, ContactAttempt.channel,
               ContactAttempt.dispatched_at, ContactAttempt.outcome)
        .where(about, ContactAttempt.status.in_(CONTACTED), ContactAttempt.dispatched_at.is_not(None))
        .order_by(ContactAttempt.dispatched_at, ContactAttempt.id)
    ).all())


def _superseded(checkout: Checkout, checkouts: list[Checkout]) -> bool:
    """Whether a newer checkout of the same shopper carries consent: then that one is contacted.

    The newest wins because it is what the shopper wants now (it usually holds the older cart's
    items too); a newer checkout without consent does not silence an older one that has it.
    """
    newer = [c for c in checkouts if shoppers.recency(c) > shoppers.recency(checkout)]
    return any(has_consent(c) for c in newer)


def has_consent(checkout: Checkout) -> bool:
    """Whether consent given at this checkout still stands, for calls or texts."""
    standing = consent.consent_for_checkout(checkout.shop_id, checkout.token)
    return standing.call or standing.sms
