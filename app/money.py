"""Money: each currency's precision, exact storage and rendering, and the cart value that the
merchant's `min_cart_value` (a shop-currency amount) is compared with."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Numeric
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from app.recovery.models import Checkout

# ISO 4217 list one, column "minor unit": the digits after the decimal separator. Most currencies
# have 2; these are the exceptions among the codes a shop can sell in. (The funds codes CLF and UYW,
# with 4, are units of account, not store currencies.)
ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
    "XAF", "XOF", "XPF",
})
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
DEFAULT_MINOR_UNITS = 2

# Stored amounts keep the most places any store currency has (three, ISO 4217), in 15 digits: the
# most a SQLite REAL (an IEEE double, which SQLAlchemy's Numeric uses there) gives back exactly.
STORED_PLACES = 3
STORED_DIGITS = 15
SMALLEST_STORED = Decimal(1).scaleb(-STORED_PLACES)
_CENT = Decimal("0.01")


def minor_units(currency: str | None) -> int:
    """How many decimals `currency` has (ISO 4217); 2 when the code is unknown or missing."""
    code = (currency or "").strip().upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return DEFAULT_MINOR_UNITS


def to_string(amount: Decimal | int, currency: str | None) -> str:
    """`amount` as an API decimal string at its currency's precision: "120.00" USD, "12.345" KWD,
    "1500" JPY. An amount finer than its currency keeps its extra digits: money is never rounded away."""
    amount = Decimal(amount)
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        places = max(places, -amount.normalize().as_tuple().exponent)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


def totals_by_currency(rows: Iterable[tuple[str | None, Decimal | None]]) -> dict[str, str]:
    """Exact sums of (currency, amount) rows per currency ("" when unknown), as `to_string` renders
    them. Summed here in Decimal because SQLite's SUM over NUMERIC columns adds floats."""
    totals: dict[str, Decimal] = {}
    for currency, amount in rows:
        code = currency or ""
        totals[code] = totals.get(code, Decimal(0)) + (amount if amount is not None else 0)
    return {code: to_string(total, code) for code, total in totals.items()}


def cart_value_in_shop_currency(checkout: Checkout, shop_currency: str | None = None) -> Decimal | None:
    """The checkout's total in the shop's currency, the one `min_cart_value` is meant in; None when
    it is not known in that currency.

    Shopify's checkout amounts are in the shopper's presentment currency; only its shop-money amount,
    or a plain total paid in the shop's own currency, says what the cart is worth to the merchant
    (see `payloads.parse_checkout`). Ringback has no exchange rates, so a cart priced only in another
    currency is not converted: the caller treats it as not meeting a minimum (as it treats a cart
    without any total), which never contacts a shopper the merchant meant to leave alone.
    `shop_currency` is the shop's currency now: a minimum set after the store changed currency is
    not compared with a total in the old one.
    """
    if checkout.shop_total_price is None:
        return None
    if shop_currency and checkout.currency and checkout.currency != shop_currency.strip().upper():
        return None
    return checkout.shop_total_price


class Amount(TypeDecorator):
    """An exact amount of money: NUMERIC(15, 3), so that KWD, BHD, JOD… keep their third decimal."""

    impl = Numeric
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(precision=STORED_DIGITS, scale=STORED_PLACES)

    def process_result_value(self, value: Decimal | None, dialect) -> Decimal | None:
        # The database pads every amount to three places; a two-place amount reads back as it was
        # written ("120.00", not "120.000"), and one with a third decimal keeps it. Values are equal
        # either way; only the representation that str() shows is chosen here.
        if value is None:
            return None
        cents = value.quantize(_CENT)
        return cents if cents == value else value
