"""Checkout and order webhook payloads turned into plain, validated values (no DB, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app import money
from app.consent.ledger import note_attributes, resolve_phone

# Cart summary fields kept per line item; everything else in the payload is dropped.
LINE_ITEM_FIELDS = ("title", "variant_title", "quantity", "price")
MAX_LINE_ITEMS = 100
# Larger amounts are junk (the money columns, app.money.Amount, would hold up to 10^12).
MAX_AMOUNT = Decimal("1e10")
_TEXT_LIMIT = 255
# The two sides of a webhook's `<amount>_set` (a MoneyBag): the shop's currency and the shopper's.
SHOP_MONEY = "shop_money"
PRESENTMENT_MONEY = "presentment_money"


@dataclass(frozen=True)
class CheckoutData:
    token: str
    cart_token: str | None
    shopify_id: int | None
    email: str | None
    phone_e164: str | None
    first_name: str | None
    last_name: str | None
    recovery_url: str | None
    customer_id: int | None = None
    line_items: list[dict[str, Any]] = field(default_factory=list)
    currency: str | None = None
    presentment_currency: str | None = None
    # As the shopper saw them, in `presentment_currency`; `currency` is the shop's.
    subtotal_price: Decimal | None = None
    total_price: Decimal | None = None
    # The total in the shop's currency, or None when the payload gives it only in another one.
    shop_total_price: Decimal | None = None
    customer_locale: str | None = None
    country_code: str | None = None
    province_code: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class OrderData:
    shopify_id: int
    checkout_token: str | None
    cart_token: str | None
    email: str | None
    phone_e164: str | None
    # The order's total in the shop's currency (`currency`): the revenue a recovery is worth.
    total_price: Decimal | None
    currency: str | None
    ordered_at: datetime | None
    customer_id: int | None = None


def parse_checkout(payload: dict[str, Any]) -> CheckoutData | None:
    """The checkout's fields, or None when the payload has no token to key it by."""
    token = _text(payload.get("token"))
    if token is None:
        return None
    customer = _dict(payload.get("customer"))
    address = _dict(payload.get("shipping_address")) or _dict(payload.get("billing_address"))
    presentment_currency = _code(payload.get("presentment_currency"), 3)
    shop_currency = _code(payload.get("currency"), 3) or _set_amount(payload, "total_price", SHOP_MONEY)[1]
    return CheckoutData(
        token=token,
        cart_token=_text(payload.get("cart_token")),
        shopify_id=_int(payload.get("id")),
        email=_email(payload.get("email") or customer.get("email")),
        phone_e164=_phone(payload),
        first_name=_text(customer.get("first_name") or address.get("first_name")),
        last_name=_text(customer.get("last_name") or address.get("last_name")),
        recovery_url=_text(payload.get("abandoned_checkout_url"), limit=2048),
        customer_id=_int(customer.get("id")),
        line_items=_line_items(payload.get("line_items"), presentment_currency or shop_currency),
        currency=shop_currency,
        presentment_currency=presentment_currency,
        subtotal_price=_presented_amount(payload, "subtotal_price"),
        total_price=_presented_amount(payload, "total_price"),
        shop_total_price=_checkout_shop_amount(payload, "total_price", shop_currency, presentment_currency),
        customer_locale=_text(payload.get("customer_locale"), limit=32),
        country_code=_code(address.get("country_code"), 2),
        province_code=_text(address.get("province_code"), limit=16),
        created_at=parse_time(payload.get("created_at")),
        updated_at=parse_time(payload.get("updated_at")),
        completed_at=parse_time(payload.get("completed_at")),
    )


def parse_order(payload: dict[str, Any]) -> OrderData | None:
    """The order's matching keys and revenue, or None without an order id."""
    shopify_id = _int(payload.get("id"))
    if shopify_id is None:
        return None
    customer = _dict(payload.get("customer"))
    total_price, currency = _order_shop_amount(payload)
    return OrderData(
        shopify_id=shopify_id,
        checkout_token=_text(payload.get("checkout_token")),
        cart_token=_text(payload.get("cart_token")),
        email=_email(payload.get("email") or customer.get("email")),
        phone_e164=_phone(payload),
        total_price=total_price,
        currency=currency,
        ordered_at=parse_time(payload.get("created_at")),
        customer_id=_int(customer.get("id")),
    )


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as aware UTC; naive values are taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _phone(payload: dict[str, Any]) -> str | None:
    """The phone the consent ledger reads for the same payload, so both name the same number."""
    found = resolve_phone(payload, note_attributes(payload))
    return found.e164 if found.is_valid else None


def _line_items(value: Any, currency: str | None) -> list[dict[str, Any]]:
    """The cart summary; prices are strings at the precision of `currency` (the one they are in)."""
    if not isinstance(value, list):
        return []
    items = []
    for raw in value[:MAX_LINE_ITEMS]:
        if not isinstance(raw, dict):
            continue
        price = _money(raw.get("price"))
        quantity = _int(raw.get("quantity"))
        items.append({
            "title": _text(raw.get("title")),
            "variant_title": _text(raw.get("variant_title")),
            "quantity": quantity if quantity is not None else 1,
            "price": money.to_string(price, currency) if price is not None else None,
        })
    return items


def _set_amount(payload: dict[str, Any], key: str, side: str) -> tuple[Decimal | None, str | None]:
    """The amount and currency code of `<key>_set.<side>` (SHOP_MONEY or PRESENTMENT_MONEY), when sent."""
    amount = _dict(_dict(payload.get(f"{key}_set")).get(side))
    return _money(amount.get("amount")), _code(amount.get("currency_code"), 3)


def _presented_amount(payload: dict[str, Any], key: str) -> Decimal | None:
    """A checkout amount as the shopper saw it: the plain field, or its presentment money."""
    plain = _money(payload.get(key))
    return plain if plain is not None else _set_amount(payload, key, PRESENTMENT_MONEY)[0]


def _checkout_shop_amount(payload: dict[str, Any], key: str, shop_currency: str | None,
                          presentment_currency: str | None) -> Decimal | None:
    """A checkout amount in the shop's currency, or None when the payload has it only in another.

    A checkout's plain amounts are in the presentment currency, and `currency` is the shop's
    (Shopify's multi-currency guide); REST checkout webhooks carry no `_set`, GraphQL's
    AbandonedCheckout does. So: the shop money when sent (and in the shop's currency), else the plain
    amount when the shopper pays in the shop's own currency. With no exchange rate at hand, nothing
    else is converted or guessed.
    """
    amount, code = _set_amount(payload, key, SHOP_MONEY)
    if amount is not None:
        return amount if code is None or code == shop_currency else None
    if shop_currency is not None and presentment_currency == shop_currency:
        return _money(payload.get(key))
    return None


def _order_shop_amount(payload: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """An order's total and its currency, in the shop's currency.

    An order's plain `total_price` and `currency` are already the shop's (unlike a checkout's);
    `total_price_set.shop_money` says the same explicitly and is preferred when sent.
    """
    currency = _code(payload.get("currency"), 3)
    amount, code = _set_amount(payload, "total_price", SHOP_MONEY)
    if amount is not None:
        return amount, code or currency
    return _money(payload.get("total_price")), currency


def _dict(value: Any) -> dict[str, Any]:
    # Shopify sends an empty address as [] rather than null.
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = _TEXT_LIMIT) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] or None


def _code(value: Any, length: int) -> str | None:
    text = _text(value)
    return text.upper() if text and len(text) == length and text.isalpha() else None


def _email(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text and "@" in text else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _money(value: Any) -> Decimal | None:
    """An amount as sent, exact to the third decimal (ISO 4217's most: KWD, BHD, JOD…)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        return None
    exponent = amount.as_tuple().exponent
    if exponent < -money.STORED_PLACES:
        # Finer than any currency: round to what the column keeps, so Python and the database agree.
        return amount.quantize(money.SMALLEST_STORED)
    if exponent > 0:
        return amount.quantize(Decimal(1))  # "1E+3" reads as 1000
    return amount
