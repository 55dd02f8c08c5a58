"""POST /webhooks: verify the HMAC, store the delivery durably, enqueue, answer within 5 s."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, request

from app.shopify.domains import is_shop_domain
from app.shopify.http import shopify_app
from app.shopify.webhooks import intake
from app.shopify.webhooks.models import DeliveryStatus
from app.shopify.webhooks.topics import ALL_TOPICS

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

MAX_WEBHOOK_BYTES = 5 * 1024 * 1024  # the contract: 413 above 5 MiB
# Shopify's "Events" system sends the same headers without the X- prefix.
_HEADER_PREFIXES = ("X-Shopify-", "Shopify-")


@bp.record_once
def _set_up_intake(state) -> None:
    intake.init_app(state.app)


def _header(name: str) -> str | None:
    for prefix in _HEADER_PREFIXES:
        value = request.headers.get(prefix + name)
        if value:
            return value.strip()
    return None


def _answer(status: int, message: str):
    return jsonify({"status": status, "message": message}), status


@bp.post("/webhooks")
@bp.post("/webhooks/<path:_subpath>")
def receive(_subpath: str | None = None):
    request.max_content_length = MAX_WEBHOOK_BYTES
    raw = request.get_data(cache=False)  # 413 past the limit, before anything is verified
    verification = shopify_app().verify_webhook_req({
        "method": request.method,
        "headers": dict(request.headers),
        "url": request.url,
        # Shopify signs UTF-8 JSON; anything else cannot carry a valid HMAC and is refused as 401.
        "body": raw.decode("utf-8", errors="replace"),
    })
    if not verification.ok:
        return _answer(401, "invalid or missing HMAC")

    topic, webhook_id, shop_domain = _header("Topic"), _header("Webhook-Id"), _header("Shop-Domain")
    if not topic or not webhook_id or len(webhook_id) > 255:
        return _answer(400, "missing topic or webhook id header")
    if not is_shop_domain(shop_domain):
        return _answer(400, "missing or invalid shop domain header")
    try:
        payload = json.loads(raw)
    except ValueError:
        return _answer(400, "body is not JSON")
    if not isinstance(payload, dict):
        return _answer(400, "body is not a JSON object")

    known = topic in ALL_TOPICS
    values = {
        "webhook_id": webhook_id,
        "event_id": (_header("Event-Id") or "")[:255] or None,
        "topic": topic[:64],
        "shop_domain": shop_domain.lower(),
        "api_version": (_header("API-Version") or "")[:16] or None,
        "triggered_at": (_header("Triggered-At") or "")[:64] or None,
        "payload": raw.decode("utf-8") if known else None,
        "payload_bytes": len(raw),
        "status": DeliveryStatus.RECEIVED if known else DeliveryStatus.IGNORED,
    }
    try:
        delivery_id = intake.store(values)
    except intake.StoreUnavailable as exc:
        log.error("webhook not stored, database unavailable: %s", exc)
        response, status = _answer(503, "temporarily unavailable")
        response.headers["Retry-After"] = "5"
        return response, status
    if delivery_id is None:
        return _answer(200, "duplicate delivery")
    return _answer(200, "accepted")

