"""Discount codes the agent offers: single use, capped by the merchant, expiring, created on the shop."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.dbtypes import utcnow
from app.shopify import admin
from app.shopify.errors import AdminApiError, AdminApiUnavailable
from app.shops.models import Shop

log = logging.getLogger(__name__)

# Read aloud on a call and typed from an SMS: no 0/O or 1/I to confuse.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_PREFIX = "RB"
CODE_GROUPS = (4, 4)  # 8 symbols of 5 bits: 2**40 codes, far beyond guessing one that is live
MAX_PERCENT = 100
# Shopify's answer when a code already exists on the shop (DiscountErrorCode.TAKEN).
CODE_TAKEN = "TAKEN"

CREATE_MUTATION = """
mutation RingbackDiscountCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""


@dataclass(frozen=True)
class DiscountCode:
    """A code that now exists on the shop, ready to be read out or texted."""

    code: str
    percent: int
    ends_at: datetime  # aware UTC
    node_id: str  # gid://shopify/DiscountCodeNode/…


class DiscountError(Exception):
    """Shopify refused the discount (`user_errors`) or could not be reached (`transient`)."""

    def __init__(self, message: str, *, user_errors: Sequence[dict[str, Any]] = (), transient: bool = False):
        super().__init__(message)
        self.user_errors: list[dict[str, Any]] = list(user_errors)
        self.transient = transient


@dataclass(frozen=True)
class _Outcome:
    node_id: str | None
    user_errors: list[dict[str, Any]] = field(default_factory=list)


def generate_code() -> str:
    """A fresh unguessable code such as "RB-7KQ2-9XMD"."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(size)) for size in CODE_GROUPS)
    return "-".join((CODE_PREFIX, *groups))


def create_discount_code(shop: Shop, *, percent: int, max_percent: int, expires_in: timedelta,
                         product_ids: Sequence[int] = (), minimum_subtotal: Decimal | None = None,
                         now: datetime | None = None) -> DiscountCode:
    """Create a single-use percentage code on the shop, never above `max_percent`.

    It applies to `product_ids` when given, else to orders of at least `minimum_subtotal` when given,
    else to every item.
    """
    percent = _capped(percent, max_percent)
    if expires_in <= timedelta(0):
        raise ValueError("a discount must expire in the future")
    starts_at = _utc(now or utcnow())
    ends_at = starts_at + expires_in
    code = generate_code()
    outcome = _create(shop, _input(code, percent, starts_at, ends_at, product_ids, minimum_subtotal))
    if outcome.node_id is None and set(_codes(outcome.user_errors)) == {CODE_TAKEN}:
        # 2**40 codes make a collision nearly impossible; one fresh draw settles the rare case.
        code = generate_code()
        outcome = _create(shop, _input(code, percent, starts_at, ends_at, product_ids, minimum_subtotal))
    if outcome.node_id is None:
        codes = _codes(outcome.user_errors)
        log.warning("Shopify refused a discount for shop %s: %s", shop.id, ",".join(codes) or "no node")
        raise DiscountError(f"discount refused ({','.join(codes) or 'no node returned'})",
                            user_errors=outcome.user_errors)
    log.info("Discount of %d%% created for shop %s", percent, shop.id)
    return DiscountCode(code=code, percent=percent, ends_at=ends_at, node_id=outcome.node_id)


def code_for_checkout(shop: Shop, checkout, settings: dict, percent: int) -> DiscountCode:
    """The code the agent offers about one checkout, on the merchant's terms (cap, expiry, scope:
    the cart's products, an order minimum of the cart's subtotal, or everything)."""
    cap = settings["discount_max_percent"]
    if cap <= 0:
        raise ValueError("the merchant allows no discount")
    scope = settings["discount_applies_to"]
    return create_discount_code(
        shop, percent=min(percent, cap), max_percent=cap,
        expires_in=timedelta(hours=settings["discount_expiry_hours"]),
        product_ids=_product_ids(checkout.line_items) if scope == "cart_products" else (),
        minimum_subtotal=checkout.subtotal_price if scope == "order_minimum" else None)


def _product_ids(line_items) -> list[int]:
    ids = {item["product_id"] for item in line_items or []
           if isinstance(item, dict) and isinstance(item.get("product_id"), int)}
    return sorted(ids)


def _capped(percent: int, max_percent: int) -> int:
    if max_percent <= 0:
        raise ValueError("discounts are off for this shop (max_percent <= 0)")
    if percent <= 0:
        raise ValueError("percent must be positive")
    return min(int(percent), int(max_percent), MAX_PERCENT)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    # Whole seconds: what Shopify stores is what we return.
    return moment.astimezone(UTC).replace(microsecond=0)


def _input(code: str, percent: int, starts_at: datetime, ends_at: datetime,
           product_ids: Sequence[int], minimum_subtotal: Decimal | None) -> dict[str, Any]:
    """The DiscountCodeBasicInput (Admin API 2026-10: `context` replaces `customerSelection`)."""
    if product_ids:
        items: dict[str, Any] = {"products": {"productsToAdd": [_product_gid(p) for p in product_ids]}}
    else:
        items = {"all": True}
    basic: dict[str, Any] = {
        "title": f"Ringback recovery {percent}% ({code})",
        "code": code,
        "startsAt": _iso(starts_at),
        "endsAt": _iso(ends_at),
        "context": {"all": "ALL"},
        "customerGets": {"value": {"percentage": percent / 100}, "items": items},
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        # No stacking with other product or order discounts, so the shopper never gets more than the
        # merchant's cap off the goods; a free-shipping code does not touch the goods and may combine.
        "combinesWith": {"productDiscounts": False, "orderDiscounts": False, "shippingDiscounts": True},
    }
    if not product_ids and minimum_subtotal is not None:
        basic["minimumRequirement"] = {"subtotal": {"greaterThanOrEqualToSubtotal": str(minimum_subtotal)}}
    return {"basicCodeDiscount": basic}


def _create(shop: Shop, variables: dict[str, Any]) -> _Outcome:
    try:
        data = admin.graphql(shop, CREATE_MUTATION, variables)
    except AdminApiError as exc:
        log.warning("Admin API failed creating a discount for shop %s: %s", shop.id, exc.code)
        raise DiscountError("Admin API failed creating the discount",
                            transient=isinstance(exc, AdminApiUnavailable)) from exc
    payload = data.get("discountCodeBasicCreate") or {}
    user_errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
    node = payload.get("codeDiscountNode") or {}
    node_id = node.get("id") if not user_errors else None
    return _Outcome(node_id=node_id, user_errors=user_errors)


def _codes(user_errors: Sequence[dict[str, Any]]) -> list[str]:
    return [str(e.get("code") or "UNKNOWN") for e in user_errors]


def _product_gid(product_id: int) -> str:
    return f"gid://shopify/Product/{int(product_id)}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
