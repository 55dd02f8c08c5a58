"""GET /api/setup: what is left to do before Ringback can recover checkouts, each step checked by the app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from flask import current_app, g, jsonify
from sqlalchemy import exists, select

from app.api import bp
from app.api.openapi import operation
from app.consent.models import ConsentEvent, ConsentSource
from app.extensions import db
from app.shopify.session import session_token_required
from app.shops.models import Shop
from app.voice.models import Call

# Consent written by Ringback's own blocks (checkout UI extension, cart-page theme block) proves one is live.
BLOCK_SOURCES = (ConsentSource.CHECKOUT_EXTENSION.value, ConsentSource.CART_BLOCK.value)
CHECKOUT_EDITOR = "https://admin.shopify.com/store/{handle}/settings/checkout/editor"
THEME_EDITOR = "https://{domain}/admin/themes/current/editor?context=apps"

_LINK = {"type": "object", "properties": {"label": {"type": "string"}, "url": {"type": "string"}},
         "required": ["label", "url"]}
SETUP_SCHEMA = {
    "type": "object",
    "properties": {
        "complete": {"type": "boolean", "description": "Every step is done."},
        "steps": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"enum": ["twilio", "consent_block", "test_call"]},
            "title": {"type": "string"},
            "done": {"type": "boolean", "description": "Checked by the app, not ticked by the merchant."},
            "detail": {"type": "string"},
            "links": {"type": "array", "items": _LINK},
        }, "required": ["id", "title", "done", "detail", "links"]}},
    },
    "required": ["complete", "steps"],
}


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    done: bool
    detail: str
    links: list[dict[str, str]] = field(default_factory=list)


@bp.get("/setup")
@operation("/setup", "get", summary="The setup guide: each step and whether the app found it done",
           response=SETUP_SCHEMA)
@session_token_required
def get_setup():
    steps = setup_steps(g.shop, current_app.config, consent_block_live=_consent_block_live(g.shop.id),
                        answered_call=_answered_call(g.shop.id))
    return jsonify({"complete": all(step.done for step in steps), "steps": [asdict(step) for step in steps]})


def setup_steps(shop: Shop, config: Mapping[str, object], *, consent_block_live: bool,
                answered_call: bool) -> list[Step]:
    """The guide's steps from what the app knows (pure: no queries)."""
    return [_twilio(config), _consent_block(shop, consent_block_live), _test_call(answered_call)]


def twilio_configured(config: Mapping[str, object]) -> bool:
    sender = config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")
    return bool(config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN") and sender)


def _twilio(config: Mapping[str, object]) -> Step:
    done = twilio_configured(config)
    detail = ("Calls and texts go through the configured Twilio account." if done else
              "Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER (or "
              "TWILIO_MESSAGING_SERVICE_SID) where Ringback runs, then restart it.")
    return Step("twilio", "Connect Twilio", done, detail,
                [{"label": "Twilio console", "url": "https://console.twilio.com/"}])


def _consent_block(shop: Shop, live: bool) -> Step:
    detail = ("Shoppers are giving consent through Ringback's block." if live else
              "Add the Ringback consent block to checkout (Shopify Plus) or to the cart page of your theme. "
              "This step is done once the first shopper's answer arrives.")
    return Step("consent_block", "Add the consent block to checkout or cart", live, detail, [
        {"label": "Open the checkout editor", "url": CHECKOUT_EDITOR.format(handle=shop.handle)},
        {"label": "Open the theme editor", "url": THEME_EDITOR.format(domain=shop.domain)},
    ])


def _test_call(answered: bool) -> Step:
    detail = ("A call was answered: Ringback can reach your shoppers." if answered else
              "On your store, add something to the cart, tick the consent box with your own phone number "
              "and leave the checkout. Ringback calls you once the first-contact delay has passed.")
    return Step("test_call", "Take a test call on your own phone", answered, detail)


def _consent_block_live(shop_id: int) -> bool:
    return db.session.execute(select(exists().where(
        ConsentEvent.shop_id == shop_id, ConsentEvent.source.in_(BLOCK_SOURCES)))).scalar_one()


def _answered_call(shop_id: int) -> bool:
    return db.session.execute(select(exists().where(
        Call.shop_id == shop_id, Call.answered_at.is_not(None)))).scalar_one()
