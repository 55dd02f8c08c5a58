"""The hook checkout and order webhook handlers call to keep the consent ledger.

The recovery feature owns the `checkouts/*` and `orders/create` handlers; each calls
`record_for_event(event)` (or `ledger.record_from_webhook` when it already has the shop).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.consent.ledger import parse_time, record_from_webhook
from app.consent.models import ConsentEvent
from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.webhooks.registry import WebhookEvent
from app.shops.models import Shop


def record_for_event(event: WebhookEvent) -> list[ConsentEvent]:
    """Record the consent a delivery carries for its shop; flushes, never commits."""
    shop = db.session.execute(
        select(Shop).where(Shop.domain == event.shop_domain)
    ).scalar_one_or_none()
    if shop is None:
        return []
    return record_from_webhook(shop, event.topic, event.payload, delivery_id=event.delivery_id,
                               received_at=received_at(event))


def received_at(event: WebhookEvent) -> datetime:
    """When Shopify triggered the delivery (its header), else now."""
    return parse_time(event.triggered_at) or utcnow()
