"""The three compliance webhooks every public Shopify app must answer (PLATFORM.md, "Compliance").

Each runs inside the webhook processor's transaction like every handler: a delivery stored before
these existed was kept `deferred` with its payload, and the webhook sweeper hands it here now.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.privacy import erasure, export
from app.privacy.subject import resolve
from app.shopify.webhooks.registry import WebhookEvent, handles
from app.shops.models import Shop


def _shop(domain: str) -> Shop | None:
    return db.session.execute(select(Shop).where(Shop.domain == domain)).scalar_one_or_none()


def _request_id(payload: dict) -> str | None:
    request = payload.get("data_request")
    value = request.get("id") if isinstance(request, dict) else None
    return str(value)[:64] if isinstance(value, int | str) and str(value).strip() else None


def _orders(payload: dict, key: str) -> list:
    value = payload.get(key)
    return value if isinstance(value, list) else []


@handles("customers/data_request")
def customer_data_request(event: WebhookEvent) -> None:
    """Compile everything held about the customer for the store owner (GET /api/data-requests)."""
    shop = _shop(event.shop_domain)
    if shop is None:
        return  # never installed, or already erased: nothing is held
    subject = resolve(shop.id, shop.domain, event.payload.get("customer"),
                      _orders(event.payload, "orders_requested"), skip_delivery=event.delivery_id)
    request_id = _request_id(event.payload)
    compiled = export.compile_export(subject, shop_domain=shop.domain, request_id=request_id)
    export.store(shop.id, subject, request_id, compiled)


@handles("customers/redact")
def customer_redact(event: WebhookEvent) -> None:
    """Erase the customer's personal data everywhere it is held, idempotently."""
    shop = _shop(event.shop_domain)
    if shop is None:
        return
    subject = resolve(shop.id, shop.domain, event.payload.get("customer"),
                      _orders(event.payload, "orders_to_redact"), skip_delivery=event.delivery_id)
    if subject.is_empty:
        return
    done = erasure.erase_customer(subject)
    event.after_commit(lambda: erasure.after_commit(done, subject))


@handles("shop/redact")
def shop_redact(event: WebhookEvent) -> None:
    """Erase the shop: tokens and outreach now, its data in batches by a job of its own."""
    shop = _shop(event.shop_domain)
    if shop is None:
        return
    dropped = erasure.request_shop_erasure(shop)
    shop_id = shop.id
    event.after_commit(lambda: erasure.after_shop_request(shop_id, dropped))
