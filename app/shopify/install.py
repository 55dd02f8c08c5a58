"""Installing a shop: exchange a token, learn the shop's name, zone and currency, record it."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.shopify import admin
from app.shopify.errors import ShopifyError, TokenExchangeFailed
from app.shopify.http import admin_http_client, shopify_app
from app.shopify.tokens import store_token
from app.shops.models import Shop
from app.shops.signals import shop_installed

log = logging.getLogger(__name__)


def needs_install(shop_domain: str) -> bool:
    shop = db.session.execute(select(Shop).where(Shop.domain == shop_domain)).scalar_one_or_none()
    return shop is None or not shop.is_active or shop.token is None


def install_by_token_exchange(shop_domain: str, id_token) -> Shop:
    """Swap a verified ID token for an expiring offline token and install (or reinstall) the shop."""
    with admin_http_client() as client:
        result = shopify_app().exchange_using_token_exchange(
            "offline", id_token=id_token, expiring=True, http_client=client
        )
    if not result.ok or result.access_token is None:
        raise TokenExchangeFailed(f"token exchange failed: {result.log.code}")
    return record_install(shop_domain, result.access_token)


def record_install(shop_domain: str, exchanged) -> Shop:
    """Store the token, mark the shop installed and fetch its details (commits)."""
    shop = db.session.execute(select(Shop).where(Shop.domain == shop_domain)).scalar_one_or_none()
    if shop is None:
        shop = Shop(domain=shop_domain)
        db.session.add(shop)
    store_token(shop, exchanged)
    shop.scopes = exchanged.scope or ""
    # Every grant of a token (install, reinstall, re-authorisation, by token exchange or legacy
    # OAuth) moves the install time: an `app/uninstalled` triggered before it is stale and must not
    # delete the token just granted (see `webhooks.handlers.app_uninstalled`).
    shop.installed_at = utcnow()
    shop.uninstalled_at = None
    db.session.commit()
    try:
        refresh_shop_details(shop)
    except ShopifyError as exc:
        # The install stands; details are fetched again on the next app load.
        db.session.rollback()
        log.warning("could not fetch details of shop %s: %s", shop.id, exc.code)
    shop_installed.send(shop)
    log.info("installed shop %s", shop.id)
    return shop


def refresh_shop_details(shop: Shop) -> None:
    """Copy name, IANA time zone and currency from the Admin API onto the shop (commits)."""
    data = admin.graphql(shop, admin.SHOP_QUERY)
    details = data.get("shop") or {}
    shop.name = details.get("name") or shop.name
    shop.iana_timezone = details.get("ianaTimezone") or shop.iana_timezone
    shop.currency = details.get("currencyCode") or shop.currency
    gid = str(details.get("id") or "")
    if gid.rsplit("/", 1)[-1].isdigit():
        shop.shopify_id = int(gid.rsplit("/", 1)[-1])
    db.session.commit()
