"""GET/PUT /api/settings: the shop's settings, validated all-or-nothing."""

from flask import g, jsonify, request

from app.api import bp
from app.api.openapi import operation
from app.extensions import db
from app.shopify.session import session_token_required
from app.shops import settings as schema
from app.shops.models import ShopSettings

_ERRORS_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"},
                   "errors": {"type": "object", "additionalProperties": {"type": "string"}}},
}


@bp.get("/settings")
@operation("/settings", "get", summary="The shop's settings", response=schema.json_schema())
@session_token_required
def get_settings():
    stored = g.shop.settings.values if g.shop.settings else {}
    return jsonify(schema.resolve(stored))


@bp.put("/settings")
@operation("/settings", "put", summary="Change any subset of the settings",
           response=schema.json_schema(),
           request={**schema.json_schema(), "minProperties": 0},
           errors={"422": "One or more fields are invalid; nothing was saved."})
@session_token_required
def put_settings():
    changes = request.get_json(silent=True)
    current = g.shop.settings.values if g.shop.settings else {}
    try:
        merged = schema.validate_update(current, changes)
    except schema.SettingsError as exc:
        return jsonify({"error": "invalid_settings", "errors": exc.errors}), 422
    if g.shop.settings is None:
        g.shop.settings = ShopSettings(values={})  # from the Shop side, so the save cascades
    g.shop.settings.values = merged
    db.session.commit()
    return jsonify(merged)
