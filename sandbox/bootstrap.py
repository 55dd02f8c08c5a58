"""Installs the sandbox's demo shop through the app's real token-exchange path."""

from __future__ import annotations

from flask import current_app
from shopify_app import IdTokenDetails

from app.extensions import db
from app.sandbox_mode import DEMO_SHOP
from app.shopify.install import install_by_token_exchange
from app.shops.models import ShopSettings
from app.shops.settings import validate_update
from sandbox.shopify_sim import mint_id_token

DEMO_SHOP_DETAILS = {"name": "Ringback Demo Store", "iana_timezone": "America/New_York",
                     "currency": "USD"}


# Every simulated shopper is called: a newcomer trying a call should see one. (The holdout, which
# withholds a share of contacts to measure lift, can be turned on in the demo shop's settings.) The
# text after an unanswered call comes a minute later, not ten: a newcomer waits to see it.
DEMO_SETTINGS = {"holdout_percent": 0, "sms_fallback_delay_minutes": 1}


def install_demo_shop():
    cfg = current_app.config
    token = mint_id_token(DEMO_SHOP, cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"])
    import jwt

    claims = jwt.decode(token, cfg["SHOPIFY_API_SECRET"], algorithms=["HS256"],
                        audience=cfg["SHOPIFY_API_KEY"])
    shop = install_by_token_exchange(DEMO_SHOP, IdTokenDetails(exchangeable=True, token=token,
                                                               claims=claims))
    if shop.settings is None:
        shop.settings = ShopSettings(values=validate_update({}, DEMO_SETTINGS))
        db.session.commit()
    return shop
