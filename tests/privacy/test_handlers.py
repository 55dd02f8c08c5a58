"""The compliance webhooks: the deferred backlog is answered, bad payloads are processed without harm."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.privacy.models import DataRequest
from app.shopify.webhooks import processing
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.privacy.seed import dump_database, found, new_customer, seed_quietly
from tests.recovery.conftest import make_shop

pytestmark = pytest.mark.data


def _deferred(topic: str, payload: dict, shop: str = "alpha.myshopify.com") -> int:
    """A compliance delivery as the app stored it before it had handlers: deferred, payload kept."""
    delivery = WebhookDelivery(webhook_id=f"old-{topic}-{id(payload)}", topic=topic, shop_domain=shop,
                               payload=json.dumps(payload), status=DeliveryStatus.DEFERRED)
    db.session.add(delivery)
    db.session.commit()
    return delivery.id


@pytest.mark.promise("access-and-portability")
@pytest.mark.promise("erasure")
def test_compliance_deliveries_stored_before_this_landed_are_processed(app, clock, deliver, run_jobs):
    make_shop()
    asked, erased = new_customer("alpha.myshopify.com", 1), new_customer("alpha.myshopify.com", 2)
    seed_quietly(asked, deliver=deliver)
    seed_quietly(erased, deliver=deliver)
    ids = [_deferred("customers/data_request", asked.data_request_payload(99)),
           _deferred("customers/redact", erased.redact_payload())]

    processing.sweep()
    run_jobs()

    db.session.commit()
    statuses = [db.session.get(WebhookDelivery, i) for i in ids]
    assert [(d.status, d.payload) for d in statuses] == [(DeliveryStatus.PROCESSED, None)] * 2
    exported = db.session.execute(select(DataRequest)).scalar_one()
    assert exported.shopify_request_id == "99" and asked.email in exported.export
    dump = dump_database()
    assert found(erased.markers, dump) == [] and found(asked.markers, dump) == asked.markers


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact", "shop/redact"])
@pytest.mark.parametrize("payload", [
    {}, {"customer": "nobody"}, {"customer": None, "orders_to_redact": "all"},
    {"customer": {"id": "not-a-number", "email": 5, "phone": ["x"]}, "orders_requested": [None, {}, "1"]},
    {"customer": {"id": True}, "data_request": {"id": {"nested": 1}}},
    {"customer": {"email": "x" * 10_000 + "@example.com", "phone": "9" * 5000}},
])
def test_a_malformed_compliance_payload_is_processed_without_harm(app, clock, deliver, topic, payload):
    make_shop()
    kept = new_customer("alpha.myshopify.com", 1)
    seed_quietly(kept, deliver=deliver)
    deliver((topic, payload), shop="unknown.myshopify.com")
    deliver((topic, payload))
    db.session.commit()
    rows = db.session.execute(select(WebhookDelivery).where(WebhookDelivery.topic == topic)).scalars().all()
    assert {r.status for r in rows} == {DeliveryStatus.PROCESSED}
    if topic != "shop/redact":
        assert found(kept.markers, dump_database()) == kept.markers
