"""Recovery fixtures: a controllable clock, a shop, signed checkout/order webhooks, recording senders."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import channels
from app.recovery import clock as recovery_clock
from app.recovery.models import ContactAttempt
from app.shops import settings as schema
from app.shops.models import Shop, ShopSettings

# A Tuesday without a DST change: 11:00 in New York, 08:00 in Los Angeles, 17:00 in Paris.
T0 = datetime(2026, 6, 9, 15, 0, tzinfo=UTC)
NY_PHONE = "+12125550123"
LA_PHONE = "+13105550123"
CONSENT_TEXT = "Yes, Alpha Goods may call or text me about my cart (AI assistant, may be recorded)."
SHOP_DOMAIN = "alpha.myshopify.com"
_ids = itertools.count(1000)


class FakeClock:
    """The recovery engine's clock, moved by hand."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock(T0)
    monkeypatch.setattr(recovery_clock, "now", fake.now)
    return fake


def make_shop(domain: str = SHOP_DOMAIN, **settings) -> Shop:
    """An installed shop (holdout off unless asked: most tests must know who gets contacted)."""
    shop = Shop(domain=domain, name="Alpha Goods", installed_at=utcnow() - timedelta(days=30))
    shop.settings = ShopSettings(values=schema.validate_update({}, {"holdout_percent": 0, **settings}))
    db.session.add(shop)
    db.session.commit()
    return shop


@pytest.fixture
def shop(app) -> Shop:
    return make_shop()


def configure(shop: Shop, **changes) -> None:
    shop.settings.values = schema.validate_update(shop.settings.values, changes)
    db.session.commit()


def checkout_payload(token: str = "tok-1", *, updated_at: datetime = T0 - timedelta(minutes=5),
                     created_at: datetime | None = None, phone: str | None = NY_PHONE,
                     consent: str | None = "yes", consent_at: datetime | None = None,
                     total: str = "120.00", email: str | None = "shopper@example.com",
                     country: str = "US", province: str = "NY", cart_token: str | None = None,
                     completed_at: datetime | None = None, **extra) -> dict:
    """A checkouts/create|update payload as Shopify sends it, with Ringback's consent attributes."""
    attributes = []
    if consent is not None:
        stamp = (consent_at or updated_at).isoformat().replace("+00:00", "Z")
        attributes = [{"name": "ringback_consent", "value": consent},
                      {"name": "ringback_consent_text", "value": CONSENT_TEXT},
                      {"name": "ringback_consent_at", "value": stamp}]
    payload = {
        "id": next(_ids), "token": token, "cart_token": cart_token or f"cart-{token}",
        "email": email, "phone": phone, "currency": "USD", "presentment_currency": "USD",
        "subtotal_price": total, "total_price": total, "customer_locale": "en-US",
        "abandoned_checkout_url": f"https://{SHOP_DOMAIN}/1/checkouts/{token}/recover?key=k",
        "line_items": [{"title": "Hat", "variant_title": "Red", "quantity": 2, "price": "60.00",
                        "sku": "HAT-R", "product_id": 1, "variant_id": 2}],
        "customer": {"id": 77, "first_name": "Ada", "last_name": "Lovelace", "email": email,
                     "phone": phone},
        "shipping_address": {"first_name": "Ada", "phone": phone, "country_code": country,
                             "province_code": province},
        "billing_address": [],
        "note_attributes": attributes,
        "created_at": _iso(created_at or updated_at - timedelta(minutes=10)),
        "updated_at": _iso(updated_at),
        "completed_at": _iso(completed_at) if completed_at else None,
    }
    payload.update(extra)
    return payload


def shopper(i: int) -> dict:
    """Contact details of the i-th of several distinct shoppers (no shared phone or e-mail), for
    `checkout_payload(**shopper(i))`: checkouts sharing either are one shopper's conversation."""
    return {"phone": f"+1212555{1000 + i:04d}", "email": f"shopper{i}@example.com"}


def order_payload(order_id: int | None = None, *, checkout_token: str | None = "tok-1",
                  cart_token: str | None = None, email: str | None = "shopper@example.com",
                  phone: str | None = None, total: str = "120.00", currency: str = "USD",
                  created_at: datetime = T0 + timedelta(hours=2)) -> dict:
    return {"id": order_id or next(_ids), "checkout_token": checkout_token, "cart_token": cart_token,
            "email": email, "phone": phone, "total_price": total, "currency": currency,
            "customer": {"id": 77, "email": email, "phone": phone}, "note_attributes": [],
            "created_at": _iso(created_at)}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def store_delivery(client, signed_webhook, topic: str, payload: dict, *, shop: str = SHOP_DOMAIN) -> int:
    """Post a signed webhook through the real route; returns the stored delivery's id, unprocessed
    (its job is queued, but the test decides when and by whom it is processed)."""
    from app.shopify.webhooks.models import WebhookDelivery

    body, headers = signed_webhook(topic, payload, shop=shop)
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    return db.session.execute(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == headers["X-Shopify-Webhook-Id"])).scalar_one()


@pytest.fixture
def deliver(client, signed_webhook, run_jobs):
    """Post signed webhooks through the real route, then drain the queue with a real RQ worker."""

    def send(*deliveries, shop: str = SHOP_DOMAIN) -> None:
        for topic, payload, *webhook_id in deliveries:
            body, headers = signed_webhook(topic, payload, shop=shop,
                                           webhook_id=webhook_id[0] if webhook_id else str(uuid.uuid4()))
            assert client.post("/webhooks", data=body, headers=headers).status_code == 200
        run_jobs()
        db.session.expire_all()

    return send


@pytest.fixture
def sent(monkeypatch) -> list[tuple[int, str, datetime]]:
    """Registers recording senders for both channels; each dispatch appends (attempt id, phone, when)."""
    calls: list[tuple[int, str, datetime]] = []

    def record(attempt: ContactAttempt) -> None:
        calls.append((attempt.id, attempt.phone, recovery_clock.now()))

    monkeypatch.setitem(channels.CHANNELS, channels.CALL, record)
    monkeypatch.setitem(channels.CHANNELS, channels.SMS, record)
    return calls


@pytest.fixture
def run_due(run_jobs):
    """Move the clock, let the sweeper queue what is due, and run it with a real RQ worker."""
    from app.recovery.sweeper import sweep

    def run(fake_clock: FakeClock, **delta) -> None:
        if delta:
            fake_clock.advance(**delta)
        sweep()
        run_jobs()
        db.session.expire_all()

    return run


def attempts(checkout_id: int | None = None) -> list[ContactAttempt]:
    db.session.expire_all()
    query = select(ContactAttempt).order_by(ContactAttempt.checkout_id, ContactAttempt.seq)
    if checkout_id is not None:
        query = query.where(ContactAttempt.checkout_id == checkout_id)
    return list(db.session.execute(query).scalars())
