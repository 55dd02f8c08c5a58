"""Handlers for the app's own lifecycle topics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.webhooks.models import WebhookDelivery
from app.shopify.webhooks.registry import WebhookEvent, handles
from app.shops.models import Shop
from app.shops.signals import shop_uninstalled

log = logging.getLogger(__name__)


def _shop(domain: str) -> Shop | None:
    return db.session.execute(select(Shop).where(Shop.domain == domain)).scalar_one_or_none()


@handles("app/uninstalled")
def app_uninstalled(event: WebhookEvent) -> None:
    """Drop the (already revoked) tokens and stop all outreach; keep data until shop/redact."""
    shop = _shop(event.shop_domain)
    if shop is None or _predates_install(event, shop):
        return
    if shop.token is not None:
        db.session.delete(shop.token)
        shop.token = None
    if shop.uninstalled_at is None:
        shop.uninstalled_at = utcnow()
    db.session.flush()
    shop_uninstalled.send(shop)


def _predates_install(event: WebhookEvent, shop: Shop) -> bool:
    """An uninstall triggered before the shop's latest (re)install is stale: ignore it.

    Shopify's trigger time orders the two; a delivery without one is dated by its arrival, which
    is later still, so a stale event read that way is only ever kept, never wrongly ignored."""
    if shop.installed_at is None:
        return False
    triggered = _triggered_at(event) or _received_at(event)
    return triggered is not None and triggered < shop.installed_at


def _triggered_at(event: WebhookEvent) -> datetime | None:
    try:
        triggered = datetime.fromisoformat((event.triggered_at or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return triggered if triggered.tzinfo else triggered.replace(tzinfo=UTC)


def _received_at(event: WebhookEvent) -> datetime | None:
    delivery = db.session.get(WebhookDelivery, event.delivery_id)
    return delivery.received_at if delivery is not None else None


@handles("app/scopes_update")
def app_scopes_update(event: WebhookEvent) -> None:
    """Record the scopes the merchant now grants."""
    shop = _shop(event.shop_domain)
    current = event.payload.get("current")
    if shop is None or not isinstance(current, list):
        return
    scopes = ",".join(sorted(str(s) for s in current if isinstance(s, str)))
    shop.scopes = scopes
    if shop.token is not None:
        shop.token.scope = scopes
