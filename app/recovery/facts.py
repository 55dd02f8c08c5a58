"""Fresh database state turned into the plain values the pure policy decides on."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from app.consent import queries as consent
from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import policy
from app.recovery.channels import CALL
from app.recovery.models import CONTACTED, Checkout, ContactAttempt
from app.shops import settings as shop_settings
from app.shops.models import Shop

# "At most 3 calls per 24 h on one subject" (FL/OK/MD) counts over this trailing window.
CALL_CAP_WINDOW = timedelta(hours=24)
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
    """Everything the policy needs about one checkout, read now (consent and suppression included)."""
    standing = consent.consent_for_checkout(checkout.shop_id, checkout.token)
    phone = standing.phone_e164 or checkout.phone
    return policy.CheckoutFacts(
        shop_active=shop.is_active,
        completed=checkout.completed_at is not None,
        suppressed=bool(phone) and consent.is_suppressed(checkout.shop_id, phone, "all"),
        holdout=bool(checkout.holdout),
        cart_value=checkout.total_price if checkout.total_price is not None else Decimal("0"),
        country=checkout.country_code,
        province=checkout.province_code,
        phone_e164=phone,
        last_updated_at=checkout.shopify_updated_at or checkout.shopify_created_at or checkout.created_at,
        consent=policy.Consent(call=standing.call, sms=standing.sms),
        attempts=_contacts(checkout),
        requested_callback_at=checkout.requested_callback_at,
        calls_last_24h_same_subject=_recent_calls(checkout.shop_id, phone, now),
    )


def _contacts(checkout: Checkout) -> tuple[policy.Attempt, ...]:
    """Attempts that reached the shopper; skipped, withheld or undeliverable ones never count."""
    return tuple(
        policy.Attempt(channel=a.channel, at=a.dispatched_at, outcome=a.outcome)
        for a in checkout.attempts
        if a.status in CONTACTED and a.dispatched_at is not None
    )


def _recent_calls(shop_id: int, phone: str | None, now: datetime) -> int:
    """Calls placed to this number by this shop in the trailing 24 h, across all its checkouts."""
    if not phone:
        return 0
    return db.session.execute(
        select(func.count(ContactAttempt.id))
        .where(ContactAttempt.shop_id == shop_id, ContactAttempt.phone_hash == lookup_hash(phone),
               ContactAttempt.channel == CALL, ContactAttempt.status.in_(CONTACTED),
               ContactAttempt.dispatched_at > now - CALL_CAP_WINDOW)
    ).scalar_one()
