"""GET /api/recovery/summary: recovered revenue, counts, and lift over the holdout with its CI."""

from __future__ import annotations

from datetime import timedelta

from flask import g, jsonify, request

from app.api import bp
from app.api.openapi import operation
from app.recovery import clock
from app.recovery.attribution import summary
from app.shopify.session import session_token_required

MAX_DAYS = 730
_ARM = {"type": "object", "properties": {"checkouts": {"type": "integer"},
                                         "recovered": {"type": "integer"}}}
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "contacted": _ARM,
        "holdout": _ARM,
        "lift": {"type": "object", "description": "Contacted minus holdout recovery rate, with its CI."},
        "revenue": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "Recovered revenue per currency (decimal strings)."},
        "by_channel": {"type": "object", "additionalProperties": {"type": "integer"}},
        "days": {"type": ["integer", "null"]},
    },
}
_DAYS = {"name": "days", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
         "description": "Only contacts of the last N days; all time when absent."}


@bp.get("/recovery/summary")
@operation("/recovery/summary", "get", summary="Recovered revenue and lift", response=SUMMARY_SCHEMA,
           parameters=[_DAYS], errors={"400": "`days` is not a whole number in range."})
@session_token_required
def recovery_summary():
    days = request.args.get("days", type=int)
    if "days" in request.args and (days is None or not 1 <= days <= MAX_DAYS):
        return jsonify({"error": "invalid_days", "message": f"days must be 1..{MAX_DAYS}"}), 400
    since = clock.now() - timedelta(days=days) if days else None
    return jsonify({**summary(g.shop.id, since), "days": days})
