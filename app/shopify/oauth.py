"""The legacy authorization-code install (`use_legacy_install_flow = true`), with Authlib."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from authlib.integrations.requests_client import OAuth2Session
from flask import Blueprint, current_app, jsonify, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.shopify.domains import is_shop_domain
from app.shopify.http import admin_base_url
from app.shopify.install import record_install

log = logging.getLogger(__name__)
bp = Blueprint("oauth", __name__)

STATE_COOKIE = "ringback_oauth_state"
STATE_MAX_AGE_SECONDS = 600
# Shopify's callback must be recent: replaying an old signed callback URL is refused.
TIMESTAMP_TOLERANCE_SECONDS = 600


@dataclass(frozen=True)
class _Exchanged:
    """The token answer in the shape `store_token` expects (as the SDK's TokenExchangeAccessToken)."""

    token: str
    scope: str
    expires: str | None
    refresh_token: str | None
    refresh_token_expires: str | None


def _refuse(message: str, status: int = 400):
    return jsonify({"error": "oauth_refused", "message": message}), status


def query_hmac_valid(args) -> bool:
    """Shopify's query HMAC: hex HMAC-SHA256 of the sorted `k=v` pairs without `hmac`."""
    received = args.get("hmac", "")
    if not received:
        return False
    message = "&".join(
        f"{key}={','.join(args.getlist(key))}" for key in sorted(args) if key not in ("hmac", "signature")
    ).encode()
    cfg = current_app.config
    for secret in filter(None, (cfg["SHOPIFY_API_SECRET"], cfg.get("SHOPIFY_OLD_API_SECRET"))):
        digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        if hmac.compare_digest(digest, received):
            return True
    return False


def _timestamp_fresh(value: str | None) -> bool:
    try:
        return abs(time.time() - int(value or "")) <= TIMESTAMP_TOLERANCE_SECONDS
    except ValueError:
        return False


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ringback-oauth-state")


# Seconds to wait for Shopify's token endpoint.
TOKEN_TIMEOUT = 10


def _client(**kwargs) -> OAuth2Session:
    cfg = current_app.config
    return OAuth2Session(
        client_id=cfg["SHOPIFY_API_KEY"],
        client_secret=cfg["SHOPIFY_API_SECRET"],
        token_endpoint_auth_method="client_secret_post",
        **kwargs,
    )


@bp.get("/auth")
def begin():
    shop = request.args.get("shop", "")
    if not is_shop_domain(shop):
        return _refuse("invalid shop domain")
    if "hmac" in request.args and not query_hmac_valid(request.args):
        return _refuse("invalid hmac", 401)
    shop = shop.lower()
    state = secrets.token_urlsafe(24)
    with _client(scope=current_app.config["SHOPIFY_SCOPES"],
                 redirect_uri=current_app.config["APP_URL"] + "/auth/callback") as client:
        url, _ = client.create_authorization_url(admin_base_url(shop) + "/admin/oauth/authorize",
                                                 state=state)
    response = redirect(url)
    response.set_cookie(
        STATE_COOKIE, _serializer().dumps({"state": state, "shop": shop}),
        max_age=STATE_MAX_AGE_SECONDS, httponly=True, samesite="Lax",
        secure=current_app.config["APP_URL"].startswith("https://"), path="/auth",
    )
    return response


@bp.get("/auth/callback")
def callback():
    args = request.args
    shop = args.get("shop", "")
    if not is_shop_domain(shop):
        return _refuse("invalid shop domain")
    if not query_hmac_valid(args):
        return _refuse("invalid hmac", 401)
    if not _timestamp_fresh(args.get("timestamp")):
        return _refuse("stale request")
    try:
        saved = _serializer().loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature:
        return _refuse("missing or expired state", 403)
    if not isinstance(saved, dict) or not hmac.compare_digest(str(saved.get("state", "")),
                                                              args.get("state", "")):
        return _refuse("state mismatch", 403)
    if saved.get("shop") != shop.lower() or not args.get("code"):
        return _refuse("state mismatch", 403)
    shop = shop.lower()
    with _client() as client:
        token = client.fetch_token(admin_base_url(shop) + "/admin/oauth/access_token",
                                   code=args["code"], expiring="1", timeout=TOKEN_TIMEOUT)
    record_install(shop, _exchanged(token))
    response = redirect(f"{admin_base_url(shop)}/admin/apps/{current_app.config['SHOPIFY_API_KEY']}")
    response.delete_cookie(STATE_COOKIE, path="/auth")
    return response


def _exchanged(token: dict) -> _Exchanged:
    now = datetime.now(UTC)

    def at(seconds) -> str | None:
        if seconds is None:
            return None
        return (now + timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")

    return _Exchanged(
        token=token["access_token"],
        scope=token.get("scope", ""),
        expires=at(token.get("expires_in")),
        refresh_token=token.get("refresh_token"),
        refresh_token_expires=at(token.get("refresh_token_expires_in")),
    )
