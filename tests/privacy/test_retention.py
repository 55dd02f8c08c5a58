"""Retention: each shop's personal data goes once older than its `retention_days`; consent 24 months
after its last use; the do-not-contact list never."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.consent.models import ConsentEvent, Suppression
from app.extensions import db
from app.jobs import periodic
from app.privacy import retention
from app.privacy.models import DataRequest, TwilioDeletion
from app.privacy.registry import HOLDINGS
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order, Recovery, RecoveryClick
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shops.models import Shop
from app.sms.models import Message
from app.voice.models import Call, CallStatus, CallTurn
from tests.privacy.conftest import NY_PHONE, SHOP_DOMAIN, T0, make_shop

pytestmark = pytest.mark.data

DAY = timedelta(days=1)
DEFAULT_RETENTION = 730 * DAY
OTHER_DOMAIN = "beta.myshopify.com"
_ids = itertools.count(1)


# -- builders --------------------------------------------------------------------------------------

def _sid(prefix: str) -> str:
    return f"{prefix}{next(_ids):032d}"


def add_checkout(shop: Shop, updated_at: datetime, *, phone_hash: str = "hash-ada") -> int:
    """A contacted checkout with everything that can hang off it (a call placed, recorded, with a
    transcript; the texts of the conversation; a link click; a recovered order); returns its id."""
    checkout = Checkout(shop_id=shop.id, token=f"tok-{next(_ids)}", phone=NY_PHONE, phone_hash=phone_hash,
                        line_items=[], created_at=updated_at - DAY, updated_at=updated_at)
    db.session.add(checkout)
    db.session.flush()
    attempt = ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                             scheduled_at=updated_at, status=AttemptStatus.COMPLETED, phone=NY_PHONE,
                             phone_hash=phone_hash, dispatched_at=updated_at)
    db.session.add(attempt)
    db.session.flush()
    call = Call(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, status=CallStatus.COMPLETED,
                phone=NY_PHONE, phone_hash=phone_hash, sid=_sid("CA"), recording_sid=_sid("RE"))
    db.session.add(call)
    db.session.flush()
    db.session.add_all([
        CallTurn(call_id=call.id, seq=1, role="agent", text="Hi Ada, about your cart", at=updated_at),
        CallTurn(call_id=call.id, seq=2, role="shopper", text="Send me the link", at=updated_at),
        Message(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, call_id=call.id,
                kind="link", phone=NY_PHONE, phone_hash=phone_hash, body="Your cart: https://x.test/c",
                sid=_sid("SM"), created_at=updated_at),
        RecoveryClick(checkout_id=checkout.id, attempt_id=attempt.id, clicked_at=updated_at),
    ])
    order = Order(shop_id=shop.id, shopify_id=next(_ids), checkout_id=checkout.id, ordered_at=updated_at,
                  created_at=updated_at)
    db.session.add(order)
    db.session.flush()
    db.session.add(Recovery(shop_id=shop.id, checkout_id=checkout.id, order_id=order.id,
                            attempt_id=attempt.id, channel="call", match_kind="checkout_token",
                            touched_at=updated_at, ordered_at=updated_at))
    db.session.commit()
    return checkout.id


def add_text(shop: Shop, created_at: datetime) -> int:
    """An inbound keyword text (it hangs off no checkout); returns its id."""
    message = Message(shop_id=shop.id, direction="inbound", kind="keyword", phone=NY_PHONE,
                      phone_hash="hash-ada", body="HELP", sid=_sid("SM"), status="received",
                      created_at=created_at)
    db.session.add(message)
    db.session.commit()
    return message.id


def add_delivery(domain: str, received_at: datetime, status: str = DeliveryStatus.PROCESSED) -> int:
    payload = None if status == DeliveryStatus.PROCESSED else '{"phone": "+12125550123"}'
    delivery = WebhookDelivery(webhook_id=f"wh-{next(_ids)}", topic="checkouts/update", shop_domain=domain,
                               received_at=received_at, payload=payload, status=status)
    db.session.add(delivery)
    db.session.commit()
    return delivery.id


def add_consent(shop: Shop, recorded_at: datetime, phone_hash: str = "hash-ada") -> int:
    consent = ConsentEvent(shop_id=shop.id, topic="checkouts/update", source="checkout_extension",
                           channels="call,sms", granted=True, wording="Yes, call me",
                           consented_at=recorded_at, consented_at_source="attribute", phone_e164=NY_PHONE,
                           phone_hash=phone_hash, phone_status="valid", recorded_at=recorded_at)
    db.session.add(consent)
    db.session.commit()
    return consent.id


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def hanging_off(checkout_id: int) -> dict[str, int]:
    calls = select(Call.id).where(Call.checkout_id == checkout_id)
    return {
        "checkouts": count(Checkout, Checkout.id == checkout_id),
        "contact_attempts": count(ContactAttempt, ContactAttempt.checkout_id == checkout_id),
        "calls": count(Call, Call.checkout_id == checkout_id),
        "call_turns": count(CallTurn, CallTurn.call_id.in_(calls)),
        "messages": count(Message, Message.checkout_id == checkout_id),
        "recovery_clicks": count(RecoveryClick, RecoveryClick.checkout_id == checkout_id),
        "recoveries": count(Recovery, Recovery.checkout_id == checkout_id),
        "orders": count(Order, Order.checkout_id == checkout_id),
    }


def scheduled_at_twilio() -> set[tuple[str, str]]:
    return set(db.session.execute(select(TwilioDeletion.resource, TwilioDeletion.sid)).all())


def twilio_ids(checkout_id: int) -> set[tuple[str, str]]:
    call = db.session.execute(select(Call).where(Call.checkout_id == checkout_id)).scalar_one()
    texts = db.session.execute(select(Message.sid).where(Message.checkout_id == checkout_id)).scalars()
    return {("call", call.sid), ("recording", call.recording_sid), *(("message", sid) for sid in texts)}


# -- checkouts and what hangs off them --------------------------------------------------------------

@pytest.mark.promise("retention-24-months")
def test_a_checkout_older_than_retention_days_is_deleted(app, clock):
    shop = make_shop()
    checkout = add_checkout(shop, T0 - DEFAULT_RETENTION - DAY)
    at_twilio = twilio_ids(checkout)
    assert len(at_twilio) == 3

    counts = retention.run()

    assert all(n == 0 for n in hanging_off(checkout).values())
    assert count(Order) == 0
    assert counts["checkouts"] == counts["calls"] == counts["orders"] == counts["recoveries"] == 1
    assert counts["call_turns"] == 2 and counts["messages"] == 1
    assert scheduled_at_twilio() == at_twilio


@pytest.mark.promise("retention-24-months")
def test_a_checkout_younger_than_retention_days_is_kept(app, clock):
    shop = make_shop()
    checkout = add_checkout(shop, T0 - DEFAULT_RETENTION + DAY)

    counts = retention.run()

    assert all(n > 0 for n in hanging_off(checkout).values())
    assert not any(counts.values())
    assert scheduled_at_twilio() == set()


@pytest.mark.promise("retention-24-months")
def test_retention_is_per_shop(app, clock):
    brief = make_shop(SHOP_DOMAIN, retention_days=30)
    long = make_shop(OTHER_DOMAIN, retention_days=365)
    aged = T0 - 31 * DAY
    gone, kept = add_checkout(brief, aged), add_checkout(long, aged)
    for shop in (brief, long):
        add_text(shop, aged)
        add_delivery(shop.domain, aged)

    retention.run()

    assert hanging_off(gone)["checkouts"] == 0
    assert all(n > 0 for n in hanging_off(kept).values())
    assert count(Message, Message.shop_id == brief.id) == 0
    assert count(Message, Message.shop_id == long.id) == 2
    assert count(WebhookDelivery, WebhookDelivery.shop_domain == SHOP_DOMAIN) == 0
    assert count(WebhookDelivery, WebhookDelivery.shop_domain == OTHER_DOMAIN) == 1


@pytest.mark.promise("retention-24-months")
def test_old_orders_are_deleted_and_leave_their_checkout(app, clock):
    shop = make_shop(retention_days=30)
    checkout = add_checkout(shop, T0 - DAY)
    db.session.execute(Order.__table__.update().values(created_at=T0 - 31 * DAY))
    db.session.commit()

    counts = retention.run()

    assert counts["orders"] == 1 and counts["recoveries"] == 1
    assert hanging_off(checkout)["checkouts"] == 1


@pytest.mark.promise("retention-24-months")
def test_old_texts_off_any_checkout_are_deleted_and_at_twilio(app, clock):
    shop = make_shop(retention_days=30)
    old, young = add_text(shop, T0 - 31 * DAY), add_text(shop, T0 - 29 * DAY)
    old_sid = db.session.get(Message, old).sid

    retention.run()

    assert count(Message, Message.id == old) == 0
    assert count(Message, Message.id == young) == 1
    assert scheduled_at_twilio() == {("message", old_sid)}


@pytest.mark.promise("retention-24-months")
def test_shops_awaiting_shop_redact_are_left_to_their_erasure(app, clock):
    shop = make_shop(retention_days=30)
    checkout = add_checkout(shop, T0 - 31 * DAY)
    shop.redact_requested_at = T0
    db.session.commit()

    retention.run()

    assert hanging_off(checkout)["checkouts"] == 1


# -- webhook deliveries, data requests -------------------------------------------------------------

@pytest.mark.promise("retention-24-months")
def test_old_webhook_deliveries_are_deleted(app, clock):
    make_shop(retention_days=30)
    for status in (DeliveryStatus.PROCESSED, DeliveryStatus.FAILED, DeliveryStatus.DEAD,
                   DeliveryStatus.DEFERRED):
        add_delivery(SHOP_DOMAIN, T0 - 31 * DAY, status)
    young = add_delivery(SHOP_DOMAIN, T0 - 29 * DAY, DeliveryStatus.DEAD)

    counts = retention.run()

    assert counts["webhook_deliveries"] == 4
    assert db.session.execute(select(WebhookDelivery.id)).scalars().all() == [young]


@pytest.mark.promise("retention-24-months")
def test_deliveries_of_a_domain_without_a_shop_go_after_24_months(app, clock):
    old = add_delivery("gone.myshopify.com", T0 - DEFAULT_RETENTION - DAY, DeliveryStatus.DEAD)
    young = add_delivery("gone.myshopify.com", T0 - DEFAULT_RETENTION + DAY, DeliveryStatus.DEAD)

    retention.run()

    assert count(WebhookDelivery, WebhookDelivery.id == old) == 0
    assert count(WebhookDelivery, WebhookDelivery.id == young) == 1


@pytest.mark.promise("retention-24-months")
def test_expired_data_request_exports_are_deleted(app, clock):
    shop = make_shop()
    expired = DataRequest(shop_id=shop.id, export='{"checkouts": []}', expires_at=T0 - timedelta(minutes=1))
    current = DataRequest(shop_id=shop.id, export='{"checkouts": []}', expires_at=T0 + DAY)
    db.session.add_all([expired, current])
    db.session.commit()

    counts = retention.run()

    assert counts["data_requests"] == 1
    assert db.session.execute(select(DataRequest.id)).scalars().all() == [current.id]


# -- consent, suppressions ---------------------------------------------------------------------------

@pytest.mark.promise("retention-24-months")
def test_consent_is_kept_24_months_after_its_last_use(app, clock):
    shop = make_shop(retention_days=730)
    consent = add_consent(shop, T0 - 1000 * DAY)
    add_checkout(shop, T0 - 729 * DAY)  # a contact relying on it, 729 days ago
    brief = make_shop(OTHER_DOMAIN, retention_days=30)
    recent = add_consent(brief, T0 - 100 * DAY)  # older than the shop's retention, not 24 months

    retention.run()
    assert count(ConsentEvent, ConsentEvent.id.in_([consent, recent])) == 2

    clock.advance(days=2)  # 731 days since the last use
    retention.run()
    assert count(ConsentEvent, ConsentEvent.id == consent) == 0


@pytest.mark.promise("retention-24-months")
def test_consent_unused_for_24_months_is_deleted(app, clock):
    shop = make_shop()
    unused = add_consent(shop, T0 - DEFAULT_RETENTION - DAY)
    young = add_consent(shop, T0 - DEFAULT_RETENTION + DAY)
    other = make_shop(OTHER_DOMAIN)
    add_checkout(other, T0 - DAY)  # the same phone contacted by another shop: not this consent's use

    counts = retention.run()

    assert counts["consent_events"] == 1
    assert count(ConsentEvent, ConsentEvent.id == unused) == 0
    assert count(ConsentEvent, ConsentEvent.id == young) == 1


@pytest.mark.promise("stop-at-once")
@pytest.mark.promise("retention-24-months")
def test_suppressions_are_never_aged_out(app, clock):
    shop = make_shop(retention_days=30)
    ancient = T0 - 10 * 365 * DAY
    db.session.add_all([
        Suppression(shop_id=shop.id, phone_hash="hash-ada", phone_e164=NY_PHONE, channel="all",
                    reason="verbal_opt_out", source="call", created_at=ancient),
        Suppression(shop_id=None, phone_hash="hash-bob", channel="sms", reason="stop_keyword",
                    source="sms", created_at=ancient),
    ])
    db.session.commit()
    add_checkout(shop, ancient)

    retention.run()

    assert count(Suppression) == 2


# -- the job ---------------------------------------------------------------------------------------

@pytest.mark.promise("retention-24-months")
def test_retention_is_a_daily_periodic_job(app, clock, run_jobs):
    entry = next(e for e in periodic.PERIODIC if e.name == "retention")
    assert entry.every_seconds == 24 * 3600
    assert periodic.resolve(entry) is retention.run
    checkout = add_checkout(make_shop(), T0 - DEFAULT_RETENTION - DAY)

    assert periodic.tick((entry,)) == ["retention"]
    run_jobs()

    assert hanging_off(checkout)["checkouts"] == 0
    assert periodic.tick((entry,)) == []  # not again within the day


@pytest.mark.promise("retention-24-months")
def test_retention_runs_in_batches(app, clock, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    shop = make_shop(retention_days=30)
    aged = T0 - 31 * DAY
    checkouts = [add_checkout(shop, aged, phone_hash=f"hash-{i}") for i in range(5)]
    for _ in range(5):
        add_text(shop, aged)
        add_delivery(SHOP_DOMAIN, aged)
    commits = []

    def committed(_session) -> None:
        commits.append(1)

    session = db.session()
    event.listen(session, "after_commit", committed)
    try:
        counts = retention.run()
    finally:
        event.remove(session, "after_commit", committed)

    assert counts["checkouts"] == counts["orders"] == counts["webhook_deliveries"] == 5
    assert counts["messages"] == 10
    assert all(hanging_off(c)["checkouts"] == 0 for c in checkouts)
    assert count(Message) == count(WebhookDelivery) == count(Order) == 0
    assert len(commits) >= 4 * 3  # 5 rows in batches of 2 (3 commits) for each of four tables
    assert len(scheduled_at_twilio()) == 5 * 3 + 5


@pytest.mark.promise("retention-24-months")
def test_every_table_the_registry_ages_is_aged_out():
    assert {h.model for h in HOLDINGS if h.aged_by} == retention.AGED_MODELS
