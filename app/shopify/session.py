"""Shopify ID tokens: verified by the SDK, then held to the contract's stricter rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import select

from app.extensions import db
from app.shopify.domains import shop_from_dest
from app.shopify.errors import InvalidShopDomain
from app.shopify.http import shopify_app
from app.shops.models import Shop

RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"
REQUIRED_CLAIMS = ("exp", "dest", "aud")


@dataclass(frozen=True)
class VerifiedRequest:
    shop_domain: str
    id_token: object  # shopify_app.IdTokenDetails, exchangeable


def request_input() -> dict:
    return {
        "method": request.method,
        "headers": dict(request.headers),
        "url": request.url,
        "body": "",
    }


def _strict(result) -> VerifiedRequest | None:
    """Beyond the SDK: `exp` must exist and `dest` must be a real shop origin."""
    claims = result.id_token.claims if result.id_token else {}
    if any(claim not in claims for claim in REQUIRED_CLAIMS):
        return None
    try:
        return VerifiedRequest(shop_from_dest(claims["dest"]), result.id_token)
    except InvalidShopDomain:
        return None


def verify_bearer() -> VerifiedRequest | None:
    """The API's check: a valid `Authorization: Bearer <ID token>`, or None."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    result = shopify_app().verify_app_home_req(request_input(), "/auth/patch-id-token")
    return _strict(result) if result.ok else None


def unauthorized():
    response = jsonify({"error": "invalid_session", "message": "missing or invalid session token"})
    response.status_code = 401
    response.headers[RETRY_HEADER] = "1"
    return response


def session_token_required(view):
    """Authenticate an /api/ call and scope it to the token's shop (`g.shop`)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        verified = verify_bearer()
        if verified is None:
            return unauthorized()
        shop = db.session.execute(
            select(Shop).where(Shop.domain == verified.shop_domain)
        ).scalar_one_or_none()
        if shop is None or not shop.is_active:
            return jsonify({"error": "not_installed", "message": "open the app from Shopify admin"}), 403
        g.shop = shop
        return view(*args, **kwargs)

    return wrapper
