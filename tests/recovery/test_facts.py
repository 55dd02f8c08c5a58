"""Database rows turned into the policy's plain values: every knob, consent, suppression, contacts."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.consent.queries import suppress
from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import facts, shoppers
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.shops.models import Shop
from tests.recovery.conftest import LA_PHONE, NY_PHONE, T0, checkout_payload, configure, shopper

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
    assert result.attempts == () and result.other_contacts == () and not result.superseded


@pytest.mark.promise("stop-at-once")
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
    assert result.other_contacts == ()  # the same contacts are never counted twice


def _contact(checkout: Checkout, at, *, phone: str = NY_PHONE, channel: str = "call") -> None:
    """Mark the checkout's first attempt as a contact made at `at` to `phone`."""
    attempt = checkout.attempts[0]
    attempt.status, attempt.dispatched_at, attempt.channel = AttemptStatus.DISPATCHED, at, channel
    attempt.phone_hash = lookup_hash(phone)
    db.session.commit()


def test_contacts_to_the_same_number_outside_the_conversation_count_for_the_state_cap(shop, clock,
                                                                                       deliver):
    deliver(("checkouts/create", checkout_payload("a")))
    _contact(_checkout("a"), T0, channel="sms")
    _checkout("a").completed_at = T0  # a finished conversation about another cart
    db.session.commit()
    deliver(("checkouts/create", checkout_payload("b", email="other@example.com")))
    result = facts.facts_for(_checkout("b"), shop, T0 + timedelta(hours=1))
    assert result.attempts == () and result.other_contacts == (T0,)
    assert facts.facts_for(_checkout("b"), shop, T0 + timedelta(hours=25)).other_contacts == ()


def test_contacts_about_the_shoppers_other_open_checkout_are_this_conversation(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a", phone=NY_PHONE)))
    _contact(_checkout("a"), T0)
    # The same e-mail with another number: one person, one conversation.
    deliver(("checkouts/create", checkout_payload("b", phone=LA_PHONE, updated_at=T0)))
    result = facts.facts_for(_checkout("b"), shop, T0 + timedelta(hours=1))
    assert [(a.channel, a.at) for a in result.attempts] == [("call", T0)]


def test_checkouts_older_than_the_conversation_period_are_a_new_conversation(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a")))
    _contact(_checkout("a"), T0)
    later = T0 + shoppers.CONVERSATION_PERIOD + timedelta(days=1)
    clock.set(later)
    deliver(("checkouts/create", checkout_payload("b", updated_at=later)))
    result = facts.facts_for(_checkout("b"), shop, later)
    assert result.attempts == () and not result.superseded


def test_a_newer_consenting_checkout_of_the_same_shopper_supersedes_an_older_one(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a", updated_at=T0 - timedelta(minutes=9))),
            ("checkouts/create", checkout_payload("b", updated_at=T0 - timedelta(minutes=5))))
    assert facts.facts_for(_checkout("a"), shop, T0).superseded
    assert not facts.facts_for(_checkout("b"), shop, T0).superseded


def test_a_newer_checkout_without_consent_does_not_silence_an_older_one(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a", updated_at=T0 - timedelta(minutes=9))),
            ("checkouts/create", checkout_payload("b", updated_at=T0 - timedelta(minutes=5), consent=None)))
    assert not facts.facts_for(_checkout("a"), shop, T0).superseded


def test_another_shoppers_checkout_never_supersedes(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a", updated_at=T0 - timedelta(minutes=9))),
            ("checkouts/create", checkout_payload("b", updated_at=T0 - timedelta(minutes=5),
                                                  phone=LA_PHONE, email="b@example.com")))
    assert not facts.facts_for(_checkout("a"), shop, T0).superseded


def test_holdout_secret_derives_from_the_app_secret(app):
    secret = facts.holdout_secret()
    assert isinstance(secret, bytes) and len(secret) == 32 and secret == facts.holdout_secret()
    app.config["SECRET_KEY"] = "another-secret"
    assert facts.holdout_secret() != secret


def test_the_cart_value_is_the_amount_in_the_shops_currency(shop, clock, deliver):
    shop.currency = "USD"
    db.session.commit()
    money = {"shop_money": {"amount": "108.50", "currency_code": "USD"},
             "presentment_money": {"amount": "100.00", "currency_code": "EUR"}}
    paid_in_euros = checkout_payload("eur", currency="USD", presentment_currency="EUR", total="100.00",
                                     total_price_set=money)
    only_euros = checkout_payload("eur-only", currency="USD", presentment_currency="EUR", total="100.00",
                                  **shopper(1))
    deliver(("checkouts/create", paid_in_euros), ("checkouts/create", only_euros))
    assert facts.facts_for(_checkout("eur"), shop, T0).cart_value == Decimal("108.50")
    # No exchange rates here: a cart known only in another currency meets no minimum above zero.
    assert facts.facts_for(_checkout("eur-only"), shop, T0).cart_value == Decimal("0")
