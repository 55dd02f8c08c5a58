"""Offline tokens: store what an exchange returns, refresh before expiry under a row lock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.errors import NotInstalled, TokenRefreshFailed
from app.shopify.http import admin_http_client, shopify_app
from app.shops.models import Shop, ShopToken

log = logging.getLogger(__name__)


def parse_expiry(value: str | None) -> datetime | None:
    """The SDK's ISO-8601 expiry strings as aware datetimes."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def store_token(shop: Shop, exchanged) -> ShopToken:
    """Save an exchanged or refreshed token pair on the shop (the caller commits)."""
    token = shop.token
    if token is None:
        token = ShopToken()
        shop.token = token  # set from the Shop side so the save cascades into the session
    token.access_token = exchanged.token
    token.expires_at = parse_expiry(exchanged.expires)
    token.refresh_token = exchanged.refresh_token
    token.refresh_token_expires_at = parse_expiry(exchanged.refresh_token_expires)
    token.scope = exchanged.scope or ""
    return token


def access_token_for(shop_id: int, *, rejected: str | None = None) -> str:
    """A usable access token for the shop, refreshed first if it is about to expire.

    `rejected` is a token the Admin API just refused: refresh unless another worker already did.
    The row lock (SELECT ... FOR UPDATE) makes concurrent refreshers wait for the first one and
    then reuse its result, so a refresh token is never spent twice and the new pair is never lost.
    """
    with Session(db.engine, expire_on_commit=False) as session, session.begin():
        token = session.execute(
            select(ShopToken).where(ShopToken.shop_id == shop_id).with_for_update()
        ).scalar_one_or_none()
        shop = session.get(Shop, shop_id)
        if token is None or shop is None or not shop.is_active:
            raise NotInstalled("shop has no offline token")
        now = utcnow()
        stale = rejected is not None and token.access_token == rejected
        if not stale and not token.needs_refresh(now):
            return token.access_token
        if not token.refresh_token:
            raise TokenRefreshFailed("token expired and no refresh token is held")
        refreshed = _refresh(shop, token, now)
        store_token(shop, refreshed)
        log.info("refreshed offline token for shop %s", shop.id)
        return refreshed.token


def _refresh(shop: Shop, token: ShopToken, now: datetime):
    # The SDK skips refreshing a token it thinks is still valid; our margin is wider than its
    # 60 s, and a rejected token must be refreshed regardless, so hand it an expiry in the past.
    request = {
        "shop": shop.handle,
        "refresh_token": token.refresh_token,
        "expires": (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "refresh_token_expires": (
            token.refresh_token_expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            if token.refresh_token_expires_at else None
        ),
        "access_mode": "offline",
    }
    with admin_http_client() as client:
        result = shopify_app().refresh_token_exchanged_access_token(request, http_client=client)
    if not result.ok or result.access_token is None:
        raise TokenRefreshFailed(f"refresh failed: {result.log.code}")
    return result.access_token
