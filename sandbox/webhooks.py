"""Sends webhooks exactly as Shopify does: raw JSON body, base64 HMAC-SHA256, X-Shopify-* headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from app.config import SHOPIFY_API_VERSION as API_VERSION


def hmac_header(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(topic: str, shop: str, body: bytes, secret: str, *,
                    webhook_id: str | None = None, event_id: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Hmac-Sha256": hmac_header(body, secret),
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "X-Shopify-API-Version": API_VERSION,
    }


class WebhookSender:
    """Posts signed webhooks to the app over real HTTP."""

    def __init__(self, app_url: str, secret: str, path: str = "/webhooks"):
        self._url = app_url.rstrip("/") + path
        self._secret = secret

    def send(self, topic: str, shop: str, payload: dict[str, Any] | bytes, **ids) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = webhook_headers(topic, shop, body, self._secret, **ids)
        return httpx.post(self._url, content=body, headers=headers, timeout=10)
