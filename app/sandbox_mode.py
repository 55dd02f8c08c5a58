"""Sandbox mode (no Shopify credentials, never in production): the admin UI without Shopify around it.

A stand-in for App Bridge gets ID tokens from /sandbox/id-token, so the page exercises the same
Bearer-token API path as inside Shopify admin.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.home.embedded import Document, register_sandbox_documents
from app.recovery import clock
from app.recovery.models import Checkout
from app.shops import settings as shop_settings
from app.shops.models import Shop

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
# The stand-ins for App Bridge and Polaris (Shopify's CDN is out of reach offline): sandbox only.
STAND_INS = Path(__file__).resolve().parent / "sandbox_static"
DEMO_SHOP = "ringback-demo.myshopify.com"
# The simulated shoppers offered on the sandbox page (the Twilio simulator's personas).
SHOPPERS = [
    ("interested", "Interested: wants the link"), ("shipping", "Finds shipping too expensive"),
    ("callback", "Busy: call me tomorrow at 6"), ("person", "Wants a person"),
    ("robot", "Asks if it is a robot"),
    ("stop", "Says stop calling me"), ("press9", "Presses 9"), ("wrong_number", "Wrong number"),
    ("already_bought", "Already bought it"), ("silent", "Says nothing"), ("voicemail", "Voicemail"),
    ("no_answer", "Does not answer"), ("busy", "Line busy"), ("spanish", "Speaks Spanish"),
    # Texters let the call ring out, get the SMS follow-up and answer it.
    ("texter-yes", "Misses the call, texts back for a code"),
    ("texter-question", "Misses the call, texts a question"),
    ("texter-stop", "Misses the call, texts STOP"),
]
# Where the dev server keeps its Twilio simulator (`app.extensions`), so shoppers can be scripted.
TWILIO_SIMULATOR = "ringback.sandbox.twilio"


def _require_sandbox() -> None:
    if not current_app.config["SANDBOX"] or current_app.config["APP_ENV"] == "production":
        abort(404)


def _demo_shop() -> Shop | None:
    return db.session.execute(select(Shop).where(Shop.domain == DEMO_SHOP)).scalar_one_or_none()


def sandbox_document():
    """An admin page opened without Shopify around it is the demo shop's (what App Bridge would say)."""
    _require_sandbox()
    shop = _demo_shop()
    if shop is None or not shop.is_active:
        return Response("The sandbox demo shop is not installed yet: run `make run`.", status=503,
                        mimetype="text/plain")
    return Document(shop=shop, sandbox=True, personas=SHOPPERS)


def _serve_admin_documents(state) -> None:
    register_sandbox_documents(state.app, sandbox_document)


bp.record_once(_serve_admin_documents)


@bp.get("/id-token")
def id_token():
    """A fresh ID token for the demo shop, signed with the sandbox secret (App Bridge's job)."""
    from sandbox.shopify_sim import mint_id_token

    _require_sandbox()
    cfg = current_app.config
    return jsonify({"id_token": mint_id_token(DEMO_SHOP, cfg["SHOPIFY_API_KEY"],
                                              cfg["SHOPIFY_API_SECRET"])})


@bp.post("/checkouts")
def simulate_checkout():
    """A simulated shopper abandons a checkout with consent, due for contact now (real webhook path).

    JSON body: `persona` (how the simulated shopper answers the call) and `language` (en/es/fr/de).
    """
    from sandbox.shopper import abandoned_checkout, pick_number
    from sandbox.twilio_sim import PERSONAS
    from sandbox.webhooks import WebhookSender

    _require_sandbox()
    shop = _demo_shop()
    if shop is None:
        return jsonify({"error": "not_installed", "message": "run `make run` first"}), 503
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    persona, language = body.get("persona", "interested"), body.get("language", "en")
    if persona not in PERSONAS or language not in shop_settings.LANGUAGES:
        return jsonify({"error": "invalid", "personas": sorted(PERSONAS),
                        "languages": list(shop_settings.LANGUAGES)}), 422
    values = shop_settings.resolve(shop.settings.values if shop.settings else None)
    number = pick_number(language, clock.now())
    if number is None:
        return jsonify({"error": "no_window", "message": "it is night for every sandbox number"}), 409
    phone, country, province = number
    simulator = current_app.extensions.get(TWILIO_SIMULATOR)
    if simulator is not None:
        simulator.set_persona(phone, persona)
    store = values["store_display_name"] or shop.name or shop.domain
    payload = abandoned_checkout(shop.domain, store, language=language, phone=phone, country=country,
                                 province=province, now=clock.now(),
                                 idle_minutes=values["first_contact_delay_minutes"] + 1)
    cfg = current_app.config
    sent = WebhookSender(cfg["APP_URL"], cfg["SHOPIFY_API_SECRET"]).send("checkouts/create", shop.domain,
                                                                         payload)
    if sent.status_code != 200:
        return jsonify({"error": "webhook_refused", "status": sent.status_code}), 502
    return jsonify({"checkout_token": payload["token"], "persona": persona, "language": language,
                    "country": country}), 202


PRIVACY_TOPICS = {"data_request": "customers/data_request", "redact": "customers/redact"}


@bp.post("/privacy")
def simulate_privacy_request():
    """Shopify asks for the latest shopper's data, or to erase them (signed, the real webhook path).

    JSON body: `action` (`data_request` or `redact`)."""
    from sandbox.webhooks import WebhookSender

    _require_sandbox()
    shop = _demo_shop()
    body = request.get_json(silent=True)
    action = body.get("action") if isinstance(body, dict) else None
    if shop is None:
        return jsonify({"error": "not_installed", "message": "run `make run` first"}), 503
    if action not in PRIVACY_TOPICS:
        return jsonify({"error": "invalid", "actions": sorted(PRIVACY_TOPICS)}), 422
    checkout = db.session.execute(
        select(Checkout).where(Checkout.shop_id == shop.id, Checkout.erased_at.is_(None))
        .order_by(Checkout.id.desc()).limit(1)).scalar_one_or_none()
    if checkout is None:
        return jsonify({"error": "no_shopper", "message": "abandon a checkout first"}), 409
    # Shopify names the customer by id too; the sandbox's shoppers are found by e-mail and phone.
    customer = {"id": None, "email": checkout.email, "phone": checkout.phone}
    payload = {"shop_id": shop.shopify_id, "shop_domain": shop.domain, "customer": customer}
    if action == "redact":
        payload["orders_to_redact"] = []
    else:
        payload |= {"orders_requested": [], "data_request": {"id": secrets.randbelow(10**9)}}
    cfg = current_app.config
    sent = WebhookSender(cfg["APP_URL"], cfg["SHOPIFY_API_SECRET"]).send(PRIVACY_TOPICS[action], shop.domain,
                                                                         payload)
    if sent.status_code != 200:
        return jsonify({"error": "webhook_refused", "status": sent.status_code}), 502
    return jsonify({"topic": PRIVACY_TOPICS[action], "checkout_token": checkout.token}), 202


@bp.get("/app-bridge.js")
def app_bridge_stand_in():
    """window.shopify as App Bridge provides it (idToken(), fetch() carrying the token, the save bar,
    s-app-nav, toasts), for pages served without Shopify around them."""
    _require_sandbox()
    return _stand_in("app-bridge.js")


@bp.get("/polaris.js")
def polaris_stand_in():
    """Polaris web components the admin pages use, built on native inputs (offline; never in production)."""
    _require_sandbox()
    return _stand_in("polaris.js")


def _stand_in(name: str) -> Response:
    return Response((STAND_INS / name).read_bytes(), mimetype="application/javascript",
                    headers={"Cache-Control": "no-cache"})


@click.group("sandbox")
def sandbox_group() -> None:
    """Sandbox helpers (development only)."""


@sandbox_group.command("install")
@with_appcontext
def install_command() -> None:
    """Install the demo shop through the Shopify simulator, by token exchange."""
    from sandbox.bootstrap import install_demo_shop

    shop = install_demo_shop()
    click.echo(f"installed {shop.domain}")


@sandbox_group.command("simulate")
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, 200),
              help="Checkouts to abandon.")
@click.option("--persona", type=click.Choice([value for value, _ in SHOPPERS]),
              help="How the simulated shoppers answer (default: a different one each).")
@click.option("--language", default="en", show_default=True, type=click.Choice(list(shop_settings.LANGUAGES)))
@click.option("--url", help="The running sandbox (default: APP_URL).")
@with_appcontext
def simulate_command(count: int, persona: str | None, language: str, url: str | None) -> None:
    """Abandon consenting checkouts on the running sandbox (`make run`), as the page's button does:
    signed checkout webhooks, a realistic cart, a number where it is daytime, due for contact now."""
    import httpx

    url = (url or current_app.config["APP_URL"]).rstrip("/") + "/sandbox/checkouts"
    personas = [persona] if persona else [value for value, _ in SHOPPERS]
    for i in range(count):
        body = {"persona": personas[i % len(personas)], "language": language}
        try:
            answer = httpx.post(url, json=body, timeout=10)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"the sandbox at {url} is not answering ({type(exc).__name__}): "
                                       "start it with `make run`") from exc
        if answer.status_code != 202:
            raise click.ClickException(f"the sandbox refused the checkout ({answer.status_code}): "
                                       f"{answer.json().get('message') or answer.json().get('error')}")
        click.echo(f"abandoned checkout {answer.json()['checkout_token']} ({body['persona']})")
