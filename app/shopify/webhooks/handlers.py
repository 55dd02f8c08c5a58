"""Handlers for the app's own lifecycle topics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
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
    """An uninstall triggered before the shop's latest (re)install is stale: ignore it."""
    if not event.triggered_at or shop.installed_at is None:
        return False
    try:
        triggered = datetime.fromisoformat(event.triggered_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if triggered.tzinfo is None:
        triggered = triggered.replace(tzinfo=UTC)
    return triggered < shop.installed_at


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
