"""Database rows turned into the policy's plain values: every knob, consent, suppression, contacts."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.consent.queries import suppress
from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import facts
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.shops.models import Shop
from tests.recovery.conftest import NY_PHONE, T0, checkout_payload, configure

pytestmark = pytest.mark.data


def _checkout(token: str = "tok-1") -> Checkout:
    db.session.expire_all()
    return db.session.execute(select(Checkout).where(Checkout.token == token)).scalar_one()


def test_settings_carry_every_recovery_knob_of_the_merchant(shop):
    configure(shop, calls_enabled=False, sms_fallback_delay_minutes=15, max_attempts=2,
              min_attempt_spacing_minutes=60, min_cart_value="25.5", allowed_countries=["us", "CA"],
              contact_window_start="10:30", contact_window_end="19:00", holdout_percent=20,
              first_contact_delay_minutes=45)
    settings = facts.settings_for(shop)
    assert settings.calls_enabled is False and settings.sms_enabled is True
    assert (settings.first_contact_delay_minutes, settings.sms_fallback_delay_minutes) == (45, 15)
    assert (settings.max_attempts, settings.min_attempt_spacing_minutes) == (2, 60)
    assert settings.min_cart_value == Decimal("25.50")
    assert settings.allowed_countries == frozenset({"US", "CA"})
    assert (settings.window_start, settings.window_end) == (time(10, 30), time(19))
    assert settings.holdout_percent == 20


def test_settings_of_a_shop_without_stored_settings_are_the_defaults(app):
    shop = Shop(domain="bare.myshopify.com")
    assert facts.settings_for(shop).first_contact_delay_minutes == 30
    assert facts.attribution_window(shop) == timedelta(days=7)


def test_facts_read_consent_address_value_and_last_update(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(total="99.50", province="FL")))
    result = facts.facts_for(_checkout(), shop, clock.now())
    assert result.consent.call and result.consent.sms and not result.suppressed
    assert result.phone_e164 == NY_PHONE and (result.country, result.province) == ("US", "FL")
    assert result.cart_value == Decimal("99.50")
    assert result.last_updated_at == T0 - timedelta(minutes=5)
    assert result.shop_active and not result.completed and not result.holdout
    assert result.attempts == () and result.calls_last_24h_same_subject == 0


def test_facts_see_a_suppression_at_once(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    suppress(shop.id, NY_PHONE, reason="stop_keyword", source="sms")
    result = facts.facts_for(_checkout(), shop, clock.now())
    assert result.suppressed and not result.consent.call


def test_only_attempts_that_reached_the_shopper_count_as_contacts(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    checkout = _checkout()
    checkout.attempts[0].status = AttemptStatus.SKIPPED
    for seq, status in ((2, AttemptStatus.AWAITING_CHANNEL), (3, AttemptStatus.WITHHELD),
                        (4, AttemptStatus.DISPATCHED), (5, AttemptStatus.COMPLETED)):
        checkout.attempts.append(ContactAttempt(
            shop_id=shop.id, seq=seq, channel="call", scheduled_at=T0, status=status,
            dispatched_at=T0 if seq >= 4 else None, outcome="no-answer" if seq == 5 else None,
            phone_hash=lookup_hash(NY_PHONE)))
    db.session.commit()
    result = facts.facts_for(_checkout(), shop, T0 + timedelta(hours=1))
    assert [(a.channel, a.at, a.outcome) for a in result.attempts] == [
        ("call", T0, None), ("call", T0, "no-answer")]
    assert result.calls_last_24h_same_subject == 2
    assert facts.facts_for(_checkout(), shop, T0 + timedelta(hours=25)).calls_last_24h_same_subject == 0


def test_calls_to_the_same_number_count_across_checkouts(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a")), ("checkouts/create", checkout_payload("b")))
    first = _checkout("a")
    first.attempts[0].status = AttemptStatus.DISPATCHED
    first.attempts[0].dispatched_at = T0
    first.attempts[0].phone_hash = lookup_hash(NY_PHONE)
    db.session.commit()
    assert facts.facts_for(_checkout("b"), shop, T0 + timedelta(hours=1)).calls_last_24h_same_subject == 1


def test_holdout_secret_derives_from_the_app_secret(app):
    secret = facts.holdout_secret()
    assert isinstance(secret, bytes) and len(secret) == 32 and secret == facts.holdout_secret()
    app.config["SECRET_KEY"] = "another-secret"
    assert facts.holdout_secret() != secret
