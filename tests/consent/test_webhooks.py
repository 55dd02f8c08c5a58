"""The recording hook, driven through the real webhook pipeline with a test-only registration.

The recovery feature owns the checkout and order handlers; these tests stand in for them.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.consent.models import ConsentEvent
from app.consent.webhooks import received_at, record_for_event
from app.extensions import db
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shopify.webhooks.processing import process_delivery
from app.shopify.webhooks.registry import HANDLERS, WebhookEvent
from tests.consent.payloads import US_PHONE, WORDING, attributes, checkout, order

pytestmark = pytest.mark.data


@pytest.fixture
def consent_handlers(monkeypatch):
    """Registers `record_for_event` for the checkout and order topics, for this test only."""
    for topic in ("checkouts/create", "checkouts/update", "orders/create"):
        monkeypatch.setitem(HANDLERS, topic, record_for_event)


def deliver(client, signed_webhook, topic, payload, shop="alpha.myshopify.com"):
    body, headers = signed_webhook(topic, payload, shop=shop)
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200


def events() -> list[ConsentEvent]:
    db.session.expire_all()
    return db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id)).scalars().all()


@pytest.mark.promise("opt-in-only")
def test_checkout_webhook_records_consent_through_the_pipeline(
        client, installed_shop, signed_webhook, run_jobs, consent_handlers):
    shop = installed_shop()
    deliver(client, signed_webhook, "checkouts/create", checkout(note_attributes=attributes("yes")))
    run_jobs()
    [event] = events()
    delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert (event.shop_id, event.webhook_delivery_id, event.topic) == (shop.id, delivery.id,
                                                                       "checkouts/create")
    assert (event.granted, event.phone_e164, event.wording) == (True, US_PHONE, WORDING)


def test_order_webhook_records_consent_for_its_checkout(
        client, installed_shop, signed_webhook, run_jobs, consent_handlers):
    installed_shop()
    deliver(client, signed_webhook, "orders/create", order("tok-9", note_attributes=attributes("yes")))
    run_jobs()
    [event] = events()
    assert (event.checkout_token, event.order_id, event.topic) == ("tok-9", 5005, "orders/create")


def test_repeated_checkout_updates_record_once(
        client, installed_shop, signed_webhook, run_jobs, consent_handlers):
    installed_shop()
    payload = checkout(note_attributes=attributes("yes"))
    deliver(client, signed_webhook, "checkouts/create", payload)
    for _ in range(3):
        deliver(client, signed_webhook, "checkouts/update", payload)
    run_jobs()
    assert len(events()) == 1


def test_missing_consent_time_uses_the_triggered_at_header(
        client, installed_shop, signed_webhook, run_jobs, consent_handlers):
    installed_shop()
    body, headers = signed_webhook("checkouts/create", checkout(note_attributes=attributes("yes", at=None)))
    headers["X-Shopify-Triggered-At"] = "2026-11-20T15:30:00.123Z"
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    run_jobs()
    [event] = events()
    assert event.consented_at == datetime(2026, 11, 20, 15, 30, 0, 123000, tzinfo=UTC)
    assert event.consented_at_source == "received"


def test_handler_failure_after_recording_leaves_no_event_and_the_retry_records_once(
        client, installed_shop, signed_webhook, monkeypatch):
    installed_shop()
    attempts = []

    def flaky(event):
        record_for_event(event)
        attempts.append(event.delivery_id)
        if len(attempts) == 1:
            raise RuntimeError("downstream failure")

    monkeypatch.setitem(HANDLERS, "checkouts/create", flaky)
    deliver(client, signed_webhook, "checkouts/create", checkout(note_attributes=attributes("yes")))
    delivery_id = db.session.execute(select(WebhookDelivery.id)).scalar_one()
    assert process_delivery(delivery_id) == DeliveryStatus.FAILED
    assert events() == []
    assert process_delivery(delivery_id) == DeliveryStatus.PROCESSED
    assert len(events()) == 1


def test_record_for_event_of_an_unknown_shop_records_nothing(app):
    event = WebhookEvent(delivery_id=1, topic="checkouts/create", shop_domain="ghost.myshopify.com",
                         payload=checkout(note_attributes=attributes("yes")), webhook_id="w-1")
    assert record_for_event(event) == []


def test_received_at_is_the_triggered_at_header_else_now():
    event = WebhookEvent(delivery_id=1, topic="checkouts/create", shop_domain="a.myshopify.com",
                         payload={}, webhook_id="w", triggered_at="2026-11-20T15:30:00Z")
    assert received_at(event) == datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    for junk in (None, "", "not a time"):
        event.triggered_at = junk
        assert abs((received_at(event) - datetime.now(UTC)).total_seconds()) < 5
