"""Admin GraphQL: one call site that refreshes tokens, retries what is transient and types errors."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.shopify.errors import AdminApiError, AdminApiUnauthorized, AdminApiUnavailable
from app.shopify.http import admin_http_client, shopify_app
from app.shopify.tokens import access_token_for
from app.shops.models import Shop

log = logging.getLogger(__name__)

# Shopify's leaky bucket refills at restoreRate points/s; never wait longer than this for it.
MAX_THROTTLE_WAIT_SECONDS = 10.0

SHOP_QUERY = """
query RingbackShop {
  shop { id name ianaTimezone currencyCode myshopifyDomain }
}
"""


@dataclass(frozen=True)
class _Attempt:
    data: dict[str, Any] | None
    retry_after: float | None  # seconds, when the failure is transient
    error: AdminApiError | None
    unauthorized: bool = False


def graphql(shop: Shop, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run an Admin GraphQL operation for the shop and return its `data`."""
    cfg = current_app.config
    max_retries = int(cfg.get("SHOPIFY_MAX_RETRIES", 4))
    base = float(cfg.get("SHOPIFY_RETRY_BASE_SECONDS", 1.0))
    token = access_token_for(shop.id)
    refreshed = False
    attempt = 0
    while True:
        outcome = _attempt(shop, token, query, variables)
        if outcome.data is not None:
            return outcome.data
        if outcome.unauthorized:
            if refreshed:
                raise AdminApiUnauthorized("token rejected after refresh", http_status=401)
            token = access_token_for(shop.id, rejected=token)
            refreshed = True
            continue
        if outcome.retry_after is None or attempt >= max_retries:
            raise outcome.error or AdminApiUnavailable("Admin API unavailable")
        delay = max(outcome.retry_after * base, base * (2 ** attempt)) + random.uniform(0, base / 10)
        log.warning("Admin API transient failure for shop %s; retry %d in %.2fs",
                    shop.id, attempt + 1, delay)
        time.sleep(delay)
        attempt += 1


def _attempt(shop: Shop, token: str, query: str, variables) -> _Attempt:
    with admin_http_client() as client:
        result = shopify_app().admin_graphql_request(
            query,
            shop=shop.handle,
            access_token=token,
            api_version=current_app.config["SHOPIFY_API_VERSION"],
            variables=variables,
            max_retries=0,  # retries happen here, with throttle awareness and testable backoff
            http_client=client,
        )
    if result.ok:
        return _Attempt(data=result.data or {}, retry_after=None, error=None)
    status = result.response.status
    if status == 401:
        return _Attempt(None, None, None, unauthorized=True)
    if status == 429:
        retry_after = _seconds(result.response.headers.get("retry-after")
                               or result.response.headers.get("Retry-After"))
        return _Attempt(None, retry_after or 1.0, AdminApiUnavailable("rate limited", http_status=429))
    if status >= 500 or status == 0 or result.log.code.startswith("network"):
        return _Attempt(None, 1.0, AdminApiUnavailable(f"Admin API {status}", http_status=status))
    errors = _errors(result.response.body)
    if status == 200 and _throttled(errors):
        wait = _throttle_wait(result.response.body)
        return _Attempt(None, wait, AdminApiUnavailable("throttled", http_status=200, errors=errors))
    return _Attempt(None, None, AdminApiError(
        f"Admin API error ({result.log.code})", http_status=status, errors=errors))


def _errors(body: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(body or "{}")
    except ValueError:
        return []
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    if isinstance(errors, list):
        return [e for e in errors if isinstance(e, dict)]
    if isinstance(errors, str):
        return [{"message": errors}]
    return []


def _throttled(errors: list[dict[str, Any]]) -> bool:
    return any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


def _throttle_wait(body: str) -> float:
    """Seconds until the bucket holds what the query asked for (from extensions.cost)."""
    try:
        cost = json.loads(body)["extensions"]["cost"]
        status = cost["throttleStatus"]
        missing = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        return min(max(missing / float(status["restoreRate"]), 0.1), MAX_THROTTLE_WAIT_SECONDS)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return 1.0


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
