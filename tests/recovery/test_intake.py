"""Checkout and order intake through the real webhook route and RQ: upserts, staleness, duplicates,
reordering, completion by orders (whichever arrives first), consent recorded from the same webhook."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app import jobs
from app.consent.models import ConsentEvent
from app.crypto import keyring, lookup_hash
from app.extensions import db
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, MatchKind, Order
from app.recovery.payloads import parse_checkout, parse_order
from tests.recovery.conftest import T0, attempts, checkout_payload, make_shop, order_payload

pytestmark = pytest.mark.data


def _checkout(token: str = "tok-1") -> Checkout:
    db.session.expire_all()
    return db.session.execute(select(Checkout).where(Checkout.token == token)).scalar_one()


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_checkout_create_keeps_cart_totals_locale_url_contact_and_address(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(province="NY")))
    checkout = _checkout()
    assert checkout.shop_id == shop.id and checkout.cart_token == "cart-tok-1"
    assert checkout.line_items == [{"title": "Hat", "variant_title": "Red", "quantity": 2, "price": "60.00"}]
    assert str(checkout.total_price) == "120.00" and checkout.currency == "USD"
    assert checkout.customer_locale == "en-US"
    assert checkout.recovery_url == "https://alpha.myshopify.com/1/checkouts/tok-1/recover?key=k"
    assert (checkout.email, checkout.phone) == ("shopper@example.com", "+12125550123")
    assert (checkout.first_name, checkout.last_name) == ("Ada", "Lovelace")
    assert checkout.email_hash == lookup_hash("shopper@example.com")
    assert checkout.phone_hash == lookup_hash("+12125550123")
    assert (checkout.country_code, checkout.province_code) == ("US", "NY")
    assert checkout.shopify_updated_at == T0 - timedelta(minutes=5)


@pytest.mark.promise("encryption-at-rest")
def test_contact_data_is_encrypted_at_rest(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    raw = db.session.execute(text("SELECT email, phone, first_name, recovery_url FROM checkouts")).one()
    plain = ("shopper@example.com", "+12125550123", "Ada", "https://alpha.myshopify.com/1/checkouts/tok-1/")
    for value, expected in zip(raw, plain, strict=True):
        # A Fernet token is random base64: it may contain "Ada" by chance, never the whole value.
        assert value.startswith("gAAAAA") and keyring().decrypt(value).startswith(expected)
        assert expected not in value


def test_consent_is_recorded_from_the_checkout_webhook(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    event = db.session.execute(select(ConsentEvent)).scalar_one()
    assert event.granted and event.checkout_token == "tok-1" and event.shop_id == shop.id


def test_a_consenting_checkout_gets_one_attempt_after_the_merchant_delay(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(updated_at=T0 - timedelta(minutes=5))))
    [attempt] = attempts()
    assert attempt.status == AttemptStatus.SCHEDULED and attempt.seq == 1
    assert attempt.channel == "call"
    assert attempt.scheduled_at == T0 + timedelta(minutes=25)


@pytest.mark.promise("opt-in-only")
def test_checkout_without_consent_gets_no_attempt(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(consent=None)),
            ("checkouts/create", checkout_payload("tok-2", consent="no")))
    assert attempts() == []


@pytest.mark.promise("restriction-and-rectification")
def test_newer_update_overwrites_and_moves_the_pending_attempt(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(updated_at=T0 - timedelta(minutes=5))))
    deliver(("checkouts/update", checkout_payload(updated_at=T0, total="200.00")))
    assert str(_checkout().total_price) == "200.00"
    [attempt] = attempts()
    assert attempt.seq == 1 and attempt.scheduled_at == T0 + timedelta(minutes=30)


def test_stale_update_is_ignored(shop, clock, deliver):
    deliver(("checkouts/update", checkout_payload(updated_at=T0, total="200.00")))
    deliver(("checkouts/update", checkout_payload(updated_at=T0 - timedelta(hours=1), total="5.00")))
    checkout = _checkout()
    assert str(checkout.total_price) == "200.00" and checkout.shopify_updated_at == T0
    [attempt] = attempts()
    assert attempt.scheduled_at == T0 + timedelta(minutes=30)


def test_duplicate_webhook_never_schedules_twice(shop, clock, deliver):
    payload = checkout_payload()
    deliver(("checkouts/create", payload, "same-delivery"), ("checkouts/create", payload, "same-delivery"))
    # Shopify may also deliver the same event to two subscriptions, with two webhook ids.
    deliver(("checkouts/create", payload), ("checkouts/update", payload))
    assert len(attempts()) == 1
    assert jobs.queue().count == 0 and _scheduled_jobs() <= 1


def test_reordered_webhooks_end_in_the_newest_state_with_one_attempt(shop, clock, deliver):
    newest = checkout_payload(updated_at=T0, total="300.00")
    older = checkout_payload(updated_at=T0 - timedelta(minutes=20), total="100.00")
    deliver(("checkouts/update", newest), ("checkouts/create", older))
    assert str(_checkout().total_price) == "300.00"
    [attempt] = attempts()
    assert attempt.scheduled_at == T0 + timedelta(minutes=30)


def test_order_completes_its_checkout_by_checkout_token_and_cancels_at_once(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    [pending] = attempts()
    deliver(("orders/create", order_payload(checkout_token="tok-1", created_at=T0)))
    checkout = _checkout()
    assert checkout.completed_at == T0
    [attempt] = attempts()
    assert attempt.status == AttemptStatus.CANCELED and attempt.reason == "order"
    assert not jobs.is_live(pending.job_id)
    order = db.session.execute(select(Order)).scalar_one()
    assert order.checkout_id == checkout.id and order.match_kind == MatchKind.CHECKOUT_TOKEN


def test_order_matches_by_cart_token_when_checkout_token_is_absent(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(cart_token="cart-9")))
    deliver(("orders/create", order_payload(checkout_token=None, cart_token="cart-9", created_at=T0)))
    assert _checkout().completed_at is not None
    assert db.session.execute(select(Order.match_kind)).scalar_one() == MatchKind.CART_TOKEN


def test_order_by_the_same_customer_within_48_hours_is_bought_elsewhere(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    deliver(("orders/create", order_payload(checkout_token="other", cart_token="other",
                                            created_at=T0 + timedelta(hours=47))))
    assert _checkout().completed_at is not None
    assert db.session.execute(select(Order.match_kind)).scalar_one() == MatchKind.CUSTOMER
    assert attempts()[0].status == AttemptStatus.CANCELED


def test_order_by_phone_alone_matches_the_same_customer(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(email=None)))
    deliver(("orders/create", order_payload(checkout_token=None, email=None, phone="+1 212 555 0123",
                                            created_at=T0 + timedelta(hours=1))))
    assert _checkout().completed_at is not None


def test_same_customer_after_48_hours_does_not_complete_the_checkout(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    deliver(("orders/create", order_payload(checkout_token="other", created_at=T0 + timedelta(hours=49))))
    assert _checkout().completed_at is None
    assert db.session.execute(select(Order.checkout_id)).scalar_one() is None


def test_order_arriving_before_its_checkout_still_prevents_contact(shop, clock, deliver):
    deliver(("orders/create", order_payload(checkout_token="tok-1", created_at=T0)))
    deliver(("checkouts/create", checkout_payload()), ("checkouts/update", checkout_payload(
        updated_at=T0 + timedelta(minutes=1))))
    assert _checkout().completed_at == T0
    assert attempts() == []
    assert db.session.execute(select(Order.checkout_id)).scalar_one() == _checkout().id


def test_checkout_completed_in_its_payload_is_never_contacted(shop, clock, deliver):
    deliver(("checkouts/update", checkout_payload(completed_at=T0)))
    assert _checkout().completed_at == T0 and attempts() == []


def test_duplicate_order_is_stored_once(shop, clock, deliver):
    payload = order_payload(order_id=555)
    deliver(("orders/create", payload), ("orders/create", payload))
    assert _count(Order) == 1


def test_checkout_of_an_unknown_shop_is_dropped(app, clock, deliver):
    make_shop("beta.myshopify.com")
    deliver(("checkouts/create", checkout_payload()))
    assert _count(Checkout) == 0


def test_empty_addresses_and_junk_fields_do_not_break_intake(shop, clock, deliver):
    payload = checkout_payload(shipping_address=[], billing_address=[], line_items="junk",
                               total_price="not money", customer=None)
    deliver(("checkouts/create", payload), ("checkouts/create", {"id": 1}))
    checkout = _checkout()
    assert checkout.line_items == [] and checkout.total_price is None and checkout.country_code is None


def _scheduled_jobs() -> int:
    from rq.registry import ScheduledJobRegistry

    return len(ScheduledJobRegistry(queue=jobs.queue()).get_job_ids())


def test_attempt_rows_are_unique_per_checkout_and_seq(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    db.session.add(ContactAttempt(checkout_id=attempt.checkout_id, shop_id=shop.id, seq=1, channel="sms",
                                  scheduled_at=T0, status=AttemptStatus.CANCELED))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.session.commit()
    db.session.rollback()


# -- payload parsing (pure) -------------------------------------------------------------------------

def test_checkout_payload_without_a_token_is_not_a_checkout():
    assert parse_checkout({"id": 1}) is None and parse_checkout({"token": "  "}) is None


def test_checkout_payload_values_are_normalized():
    data = parse_checkout(checkout_payload(email=" Shopper@Example.COM ", phone="(212) 555-0123",
                                           updated_at=T0, total="12.5"))
    assert data.email == "shopper@example.com" and data.phone_e164 == "+12125550123"
    assert data.total_price == Decimal("12.50") and data.updated_at == T0
    assert parse_checkout({"token": "t", "updated_at": "2026-06-09T11:00:00-04:00"}).updated_at == T0


def test_phone_typed_into_the_consent_block_is_used_when_the_checkout_has_none():
    payload = checkout_payload(phone=None)
    payload["note_attributes"].append({"name": "ringback_phone", "value": "+1 310 555 0123"})
    assert parse_checkout(payload).phone_e164 == "+13105550123"


def test_junk_values_are_dropped_not_raised():
    data = parse_checkout({"token": "t", "total_price": "NaN", "currency": "dollars", "line_items": [
        "x", {"title": 5, "quantity": "two", "price": "-1"}], "updated_at": "yesterday"})
    assert data.total_price is None and data.currency is None and data.updated_at is None
    assert data.line_items == [{"title": "5", "variant_title": None, "quantity": 1, "price": None}]


def test_order_payload_needs_an_id():
    assert parse_order({"checkout_token": "t"}) is None
    order = parse_order(order_payload(order_id=9, total="10", currency="eur"))
    assert (order.shopify_id, order.total_price, order.currency) == (9, Decimal("10.00"), "EUR")
