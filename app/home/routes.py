"""GET / (embedded document) and the bounce page that fetches a fresh ID token."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import select

from app.extensions import db
from app.shopify.domains import shop_from_dest
from app.shopify.errors import InvalidShopDomain
from app.shopify.http import shopify_app
from app.shopify.install import install_by_token_exchange, needs_install
from app.shopify.session import request_input
from app.shops.models import Shop

bp = Blueprint("home", __name__, template_folder="templates", static_folder="static",
               static_url_path="/home-static")

PATCH_ID_TOKEN_PATH = "/auth/patch-id-token"
# The setting that sends each service's traffic elsewhere: on this machine, it is a simulator.
SERVICE_URL_SETTINGS = {"Shopify": "SHOPIFY_ADMIN_URL_TEMPLATE", "Twilio": "TWILIO_API_BASE_URL"}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _sdk_response(res) -> Response:
    return Response(res.body, status=res.status, headers=res.headers)


def frame_ancestors(shop_domain: str) -> str:
    return f"frame-ancestors https://{shop_domain} https://admin.shopify.com;"


@bp.get("/")
def index():
    if current_app.config["SANDBOX"] and not _has_shopify_query():
        from app.sandbox_mode import sandbox_home

        return sandbox_home()
    result = shopify_app().verify_app_home_req(request_input(), PATCH_ID_TOKEN_PATH)
    if not result.ok:
        return _sdk_response(result.response)
    try:
        shop_domain = shop_from_dest(result.id_token.claims.get("dest"))
    except InvalidShopDomain:
        return Response("Unauthorized", status=401)
    if needs_install(shop_domain):
        install_by_token_exchange(shop_domain, result.id_token)
    shop = db.session.execute(select(Shop).where(Shop.domain == shop_domain)).scalar_one()
    response = render_home(shop, sandbox=False)
    for name, value in result.response.headers.items():
        response.headers[name] = value
    response.headers["Content-Security-Policy"] = frame_ancestors(shop_domain)
    return response


def render_home(shop: Shop, *, sandbox: bool, personas: list[tuple[str, str]] | None = None) -> Response:
    """The admin page; the sandbox passes the simulated shoppers a newcomer may try."""
    html = render_template(
        "home/index.html",
        shop=shop,
        api_key=current_app.config["SHOPIFY_API_KEY"],
        sandbox=sandbox,
        simulators=_local_simulators() if sandbox else [],
        personas=personas or [],
    )
    return Response(html, mimetype="text/html")


def _local_simulators() -> list[str]:
    """The services this app reaches on this machine instead of the real ones (the sandbox's)."""
    return [service for service, setting in SERVICE_URL_SETTINGS.items()
            if urlsplit(current_app.config[setting]).hostname in _LOOPBACK_HOSTS]


def _has_shopify_query() -> bool:
    from flask import request

    return any(key in request.args for key in ("shop", "host", "id_token", "embedded"))


@bp.get(PATCH_ID_TOKEN_PATH)
def patch_id_token():
    """The bounce page: loads App Bridge only, which reloads the app with a fresh id_token."""
    return _sdk_response(shopify_app().app_home_patch_id_token(request_input()).response)
