"""Installs the sandbox's demo shop through the app's real token-exchange path."""

from __future__ import annotations

from flask import current_app
from shopify_app import IdTokenDetails

from app.sandbox_mode import DEMO_SHOP
from app.shopify.install import install_by_token_exchange
from sandbox.shopify_sim import mint_id_token

DEMO_SHOP_DETAILS = {"name": "Ringback Demo Store", "iana_timezone": "America/New_York",
                     "currency": "USD"}


def install_demo_shop():
    cfg = current_app.config
    token = mint_id_token(DEMO_SHOP, cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"])
    import jwt

    claims = jwt.decode(token, cfg["SHOPIFY_API_SECRET"], algorithms=["HS256"],
                        audience=cfg["SHOPIFY_API_KEY"])
    return install_by_token_exchange(DEMO_SHOP, IdTokenDetails(exchangeable=True, token=token,
                                                               claims=claims))
