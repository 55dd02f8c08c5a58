"""The SDK facade and the HTTP client that sends every shop request where config says."""

from __future__ import annotations

import httpx
from flask import current_app
from shopify_app import ShopifyApp

DEFAULT_ADMIN_URL_TEMPLATE = "https://{shop}"
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def shopify_app() -> ShopifyApp:
    cfg = current_app.config
    return ShopifyApp(
        client_id=cfg["SHOPIFY_API_KEY"],
        client_secret=cfg["SHOPIFY_API_SECRET"],
        old_client_secret=cfg.get("SHOPIFY_OLD_API_SECRET") or None,
    )


def admin_base_url(shop_domain: str) -> str:
    """Where a shop's Admin lives (SHOPIFY_ADMIN_URL_TEMPLATE), without a trailing slash."""
    template = current_app.config.get("SHOPIFY_ADMIN_URL_TEMPLATE") or DEFAULT_ADMIN_URL_TEMPLATE
    return template.format(shop=shop_domain).rstrip("/")


class AdminUrlTransport(httpx.BaseTransport):
    """Rewrites `https://<shop>.myshopify.com/...` (what the SDK builds) onto the configured template."""

    def __init__(self, template: str, inner: httpx.BaseTransport | None = None):
        self._template = template
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host.endswith(".myshopify.com") and self._template != DEFAULT_ADMIN_URL_TEMPLATE:
            base = httpx.URL(self._template.format(shop=host))
            request.url = base.copy_with(
                path=base.path.rstrip("/") + request.url.path, query=request.url.query or None
            )
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def admin_http_client() -> httpx.Client:
    """An httpx client for the SDK's `http_client=`; the caller closes it."""
    template = current_app.config.get("SHOPIFY_ADMIN_URL_TEMPLATE") or DEFAULT_ADMIN_URL_TEMPLATE
    return httpx.Client(transport=AdminUrlTransport(template), timeout=HTTP_TIMEOUT)
