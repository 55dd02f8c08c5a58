"""GET /api/shop: the shop the session token belongs to."""

from flask import g, jsonify

from app.api import bp
from app.api.openapi import operation
from app.shopify.session import session_token_required

SHOP_SCHEMA = {
    "type": "object",
    "properties": {
        "domain": {"type": "string"},
        "name": {"type": ["string", "null"]},
        "iana_timezone": {"type": ["string", "null"]},
        "currency": {"type": ["string", "null"]},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "installed_at": {"type": ["string", "null"], "format": "date-time"},
    },
    "required": ["domain", "name", "iana_timezone", "currency", "scopes", "installed_at"],
}


@bp.get("/shop")
@operation("/shop", "get", summary="The current shop", response=SHOP_SCHEMA)
@session_token_required
def get_shop():
    shop = g.shop
    return jsonify({
        "domain": shop.domain,
        "name": shop.name,
        "iana_timezone": shop.iana_timezone,
        "currency": shop.currency,
        "scopes": [s for s in shop.scopes.split(",") if s],
        "installed_at": shop.installed_at.isoformat() if shop.installed_at else None,
    })
