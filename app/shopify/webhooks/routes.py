"""POST /webhooks: verify the HMAC, store the delivery durably, answer within Shopify's 5 s.

The busiest route, so it is answered in front of Flask, by a WSGI middleware that sees every request
first and hands anything else to Flask untouched: a delivery costs what the contract needs (the
HMAC, the headers, one JSON parse, the store) and none of Flask's per-request machinery (contexts,
URL matching, signals), which cost more than all of that (README: "Running the web tier for
throughput"). Answers are the contract's, in the shapes the rest of the app gives: 200
{"status", "message"} for a delivery taken or a duplicate, 401, 400, 503 likewise; 405 and 413 as
app.errors renders them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from app.errors import error_body
from app.shopify.domains import is_shop_domain
from app.shopify.webhooks import intake
from app.shopify.webhooks.models import DeliveryStatus
from app.shopify.webhooks.topics import ALL_TOPICS

log = logging.getLogger(__name__)

PATH = "/webhooks"  # and anything under it: /webhooks/<topic> is the same endpoint
MAX_WEBHOOK_BYTES = 5 * 1024 * 1024  # the contract: 413 above 5 MiB
# Shopify's "Events" system sends the same headers without the X- prefix (WSGI names: HTTP_…).
_HEADER_PREFIXES = ("HTTP_X_SHOPIFY_", "HTTP_SHOPIFY_")


def install(app) -> None:
    """Put the webhook endpoint in front of the app's WSGI callable."""
    app.wsgi_app = WebhookEndpoint(app, app.wsgi_app)
    intake.init_app(app)


class WebhookEndpoint:
    """Receives POST /webhooks[/…]; every other request goes on to `downstream` (Flask)."""

    def __init__(self, app, downstream: Callable):
        self._app = app
        self._downstream = downstream
        config = app.config
        # Secret rotation: deliveries signed with the previous secret are accepted while it is set.
        self._secrets = tuple(secret.encode() for secret in
                              (config["SHOPIFY_API_SECRET"], config.get("SHOPIFY_OLD_API_SECRET")) if secret)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path != PATH and not path.startswith(PATH + "/"):
            return self._downstream(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            response = _error(MethodNotAllowed(valid_methods=["POST"]))
        else:
            response = self._receive(environ)
        return response(environ, start_response)

    def _receive(self, environ: dict) -> Response:
        request = _WebhookRequest(environ)
        try:
            raw = request.get_data(cache=False)  # 413 past the limit, before anything is verified
        except RequestEntityTooLarge as exc:
            return _error(exc)
        if not self._signed(raw, _header(environ, "HMAC_SHA256")):
            return _answer(401, "invalid or missing HMAC")

        topic, webhook_id = _header(environ, "TOPIC"), _header(environ, "WEBHOOK_ID")
        shop_domain = _header(environ, "SHOP_DOMAIN")
        if not topic or not webhook_id or len(webhook_id) > 255:
            return _answer(400, "missing topic or webhook id header")
        if not is_shop_domain(shop_domain):
            return _answer(400, "missing or invalid shop domain header")
        try:
            payload = json.loads(raw)  # bytes that are not UTF-8 fail here too
        except ValueError:
            return _answer(400, "body is not JSON")
        if not isinstance(payload, dict):
            return _answer(400, "body is not a JSON object")

        known = topic in ALL_TOPICS
        values = {
            "webhook_id": webhook_id,
            "event_id": (_header(environ, "EVENT_ID") or "")[:255] or None,
            "topic": topic[:64],
            "shop_domain": shop_domain.lower(),
            "api_version": (_header(environ, "API_VERSION") or "")[:16] or None,
            "triggered_at": (_header(environ, "TRIGGERED_AT") or "")[:64] or None,
            "payload": raw.decode("utf-8") if known else None,
            "payload_bytes": len(raw),
            "status": DeliveryStatus.RECEIVED if known else DeliveryStatus.IGNORED,
        }
        try:
            delivery_id = intake.store(self._app, values)
        except intake.StoreUnavailable as exc:
            log.error("webhook not stored, database unavailable: %s", exc)
            response = _answer(503, "temporarily unavailable")
            response.headers["Retry-After"] = "5"
            return response
        if delivery_id is None:
            return _answer(200, "duplicate delivery")
        return _answer(200, "accepted")

    def _signed(self, body: bytes, signature: str | None) -> bool:
        """Shopify's X-Shopify-Hmac-Sha256: base64 of the HMAC-SHA256 of the raw body with the app
        secret (the check shopify_app's verify_webhook_req makes; tests hold the two to agree)."""
        if not signature:
            return False
        received = signature.encode("latin-1")
        return any(hmac.compare_digest(base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()),
                                       received)
                   for secret in self._secrets)


class _WebhookRequest(Request):
    max_content_length = MAX_WEBHOOK_BYTES


def _header(environ: dict, name: str) -> str | None:
    """A Shopify header by its WSGI name after the prefix ("WEBHOOK_ID"), either prefix."""
    for prefix in _HEADER_PREFIXES:
        value = environ.get(prefix + name)
        if value:
            return value.strip()
    return None


def _answer(status: int, message: str) -> Response:
    return Response(_answer_body(status, message), status=status, mimetype="application/json")


@functools.cache
def _answer_body(status: int, message: str) -> bytes:
    """{"message": …, "status": …} for the few answers there are, serialised once each."""
    return (json.dumps({"status": status, "message": message}, sort_keys=True, separators=(",", ":"))
            + "\n").encode()


def _error(exc: HTTPException) -> Response:
    response = Response(json.dumps(error_body(exc), separators=(",", ":")) + "\n", status=exc.code,
                        mimetype="application/json")
    for name, value in exc.get_headers():
        if name != "Content-Type":
            response.headers[name] = value
    return response
