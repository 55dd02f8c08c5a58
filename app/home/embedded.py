"""Opening an embedded admin document: verify the ID token, install on first sight, answer with CSP.

Every admin page goes through `open_document()` then `render_document()`. The sandbox (when it runs)
plugs in through `app.extensions[SANDBOX_DOCUMENTS]`, so this module never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from flask import Response, current_app, render_template, request
from sqlalchemy import select

from app.extensions import db
from app.shopify.domains import shop_from_dest
from app.shopify.errors import InvalidShopDomain
from app.shopify.http import shopify_app
from app.shopify.install import install_by_token_exchange, needs_install
from app.shopify.session import request_input
from app.shops.models import Shop

PATCH_ID_TOKEN_PATH = "/auth/patch-id-token"
# The key under which the sandbox registers its stand-in for Shopify's document request: a callable
# returning the demo shop's Document (or a Response saying why there is none).
SANDBOX_DOCUMENTS = "ringback.sandbox.documents"
# Query parameters Shopify adds to a document request; links between pages keep all but the token.
SHOPIFY_QUERY = ("shop", "host", "id_token", "embedded")
KEPT_QUERY = ("shop", "host", "embedded", "locale")
# The setting that sends each service's traffic elsewhere: on this machine, it is a simulator.
SERVICE_URL_SETTINGS = {"Shopify": "SHOPIFY_ADMIN_URL_TEMPLATE", "Twilio": "TWILIO_API_BASE_URL"}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Document:
    """Who an admin page is for: the shop, whether this is the sandbox, headers the SDK asked for."""

    shop: Shop
    sandbox: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    # The simulated shoppers a newcomer may try (sandbox only).
    personas: list[tuple[str, str]] = field(default_factory=list)


def frame_ancestors(shop_domain: str) -> str:
    return f"frame-ancestors https://{shop_domain} https://admin.shopify.com;"


def open_document() -> Document | Response:
    """The verified shop of this document request (installed now if new), or the SDK's answer
    (a redirect to the bounce page, a 401)."""
    sandbox = current_app.extensions.get(SANDBOX_DOCUMENTS)
    if sandbox is not None and _sandbox_allowed() and not _has_shopify_query():
        return sandbox()
    result = shopify_app().verify_app_home_req(request_input(), PATCH_ID_TOKEN_PATH)
    if not result.ok:
        return sdk_response(result.response)
    try:
        shop_domain = shop_from_dest(result.id_token.claims.get("dest"))
    except InvalidShopDomain:
        return Response("Unauthorized", status=401)
    if needs_install(shop_domain):
        install_by_token_exchange(shop_domain, result.id_token)
    shop = db.session.execute(select(Shop).where(Shop.domain == shop_domain)).scalar_one()
    return Document(shop=shop, headers=dict(result.response.headers))


def embedded_page(template: str, **context) -> Response:
    """Open the document and render `template` for its shop (or answer what the SDK said)."""
    document = open_document()
    if isinstance(document, Response):
        return document
    return render_document(document, template, **context)


def render_document(document: Document, template: str, **context) -> Response:
    html = render_template(
        template,
        shop=document.shop,
        api_key=current_app.config["SHOPIFY_API_KEY"],
        sandbox=document.sandbox,
        simulators=local_simulators() if document.sandbox else [],
        personas=document.personas,
        page_url=page_url,
        **context,
    )
    response = Response(html, mimetype="text/html")
    for name, value in document.headers.items():
        response.headers[name] = value
    response.headers["Content-Security-Policy"] = frame_ancestors(document.shop.domain)
    return response


def page_url(path: str) -> str:
    """A link to another admin page that keeps Shopify's query (shop, host), never the ID token."""
    kept = [(name, request.args[name]) for name in KEPT_QUERY if name in request.args]
    if not kept:
        return path
    return f"{path}?{urlencode(kept)}"


def local_simulators() -> list[str]:
    """The services this app reaches on this machine instead of the real ones (the sandbox's)."""
    return [service for service, setting in SERVICE_URL_SETTINGS.items()
            if urlsplit(current_app.config[setting]).hostname in _LOOPBACK_HOSTS]


def sdk_response(res) -> Response:
    return Response(res.body, status=res.status, headers=res.headers)


def register_sandbox_documents(app, opener: Callable[[], Document | Response]) -> None:
    """Called by the sandbox: serve documents without Shopify's query as `opener` says."""
    app.extensions[SANDBOX_DOCUMENTS] = opener


def _sandbox_allowed() -> bool:
    return bool(current_app.config["SANDBOX"]) and current_app.config["APP_ENV"] != "production"


def _has_shopify_query() -> bool:
    return any(key in request.args for key in SHOPIFY_QUERY)
