"""Shop domain validation: the one regex every entry point uses."""

import re

from app.shopify.errors import InvalidShopDomain

SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")


def is_shop_domain(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 255 and bool(SHOP_DOMAIN.fullmatch(value))


def normalize_shop_domain(value: object) -> str:
    """`value` as a lower-case myshopify domain, or InvalidShopDomain."""
    if not is_shop_domain(value):
        raise InvalidShopDomain("not a myshopify.com shop domain")
    return str(value).lower()


def shop_from_dest(dest: object) -> str:
    """The shop domain of an ID token's `dest` claim (`https://<shop>`), strictly."""
    if not isinstance(dest, str) or not dest.startswith("https://"):
        raise InvalidShopDomain("dest is not an https shop origin")
    return normalize_shop_domain(dest.removeprefix("https://"))
