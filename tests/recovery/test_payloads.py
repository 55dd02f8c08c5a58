"""Webhook amounts: exact to the third decimal, and the cart total kept in the shop's currency beside
the shopper's (a checkout's plain amounts are in its presentment currency, an order's in the shop's)."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.recovery.models import Checkout, Order
from app.recovery.payloads import parse_checkout, parse_order
from tests.recovery.conftest import checkout_payload, order_payload


def _money_set(shop: str, shop_currency: str, presented: str, presentment_currency: str) -> dict:
    """A webhook MoneyBag, as orders (and GraphQL's AbandonedCheckout) carry them."""
    return {"shop_money": {"amount": shop, "currency_code": shop_currency},
            "presentment_money": {"amount": presented, "currency_code": presentment_currency}}


def _foreign_checkout(**extra) -> dict:
    """A USD shop's checkout paid in EUR: Shopify's plain totals are the shopper's EUR amounts."""
    return checkout_payload(total="100.00", currency="USD", presentment_currency="EUR", **extra)


def test_three_decimal_currencies_stay_exact():
    data = parse_checkout(checkout_payload(total="12.345", currency="KWD", presentment_currency="KWD"))
    assert data.total_price == Decimal("12.345") and data.shop_total_price == Decimal("12.345")
    assert parse_order(order_payload(total="7.125", currency="BHD")).total_price == Decimal("7.125")


def test_amounts_finer_than_any_currency_are_rounded_to_a_thousandth():
    assert parse_checkout(checkout_payload(total="12.3456")).total_price == Decimal("12.346")


def test_line_item_prices_keep_the_precision_of_their_currency():
    items = [{"title": "Oud", "quantity": 1, "price": "3.250"}, {"title": "Hat", "quantity": 1, "price": 60}]
    kwd = parse_checkout(checkout_payload(currency="KWD", presentment_currency="KWD", line_items=items))
    assert [item["price"] for item in kwd.line_items] == ["3.250", "60.000"]
    usd = parse_checkout(checkout_payload(line_items=items))
    assert [item["price"] for item in usd.line_items] == ["3.25", "60.00"]


def test_min_cart_value_compares_the_shop_currency_amount():
    data = parse_checkout(_foreign_checkout(total_price_set=_money_set("108.50", "USD", "100.00", "EUR")))
    assert (data.total_price, data.presentment_currency) == (Decimal("100.00"), "EUR")
    assert (data.shop_total_price, data.currency) == (Decimal("108.50"), "USD")


def test_the_plain_total_is_the_shop_amount_when_the_shopper_pays_in_the_shop_currency():
    data = parse_checkout(checkout_payload(total="120.00"))
    assert data.shop_total_price == Decimal("120.00") and data.currency == "USD"


def test_a_total_only_in_another_presentment_currency_has_no_shop_amount():
    data = parse_checkout(_foreign_checkout())
    assert data.total_price == Decimal("100.00") and data.shop_total_price is None


def test_a_total_in_an_unknown_currency_has_no_shop_amount():
    payload = checkout_payload(total="120.00")
    del payload["presentment_currency"]
    assert parse_checkout(payload).shop_total_price is None


def test_shop_money_in_a_currency_other_than_the_shops_is_not_trusted():
    data = parse_checkout(_foreign_checkout(total_price_set=_money_set("92.00", "GBP", "100.00", "EUR")))
    assert data.shop_total_price is None


def test_shop_money_names_the_shop_currency_when_the_payload_does_not():
    payload = _foreign_checkout(total_price_set=_money_set("108.50", "USD", "100.00", "EUR"))
    del payload["currency"]
    data = parse_checkout(payload)
    assert (data.shop_total_price, data.currency) == (Decimal("108.50"), "USD")


def test_a_checkout_sending_only_money_sets_keeps_both_totals():
    payload = _foreign_checkout(total_price_set=_money_set("108.50", "USD", "100.00", "EUR"),
                                subtotal_price_set=_money_set("97.65", "USD", "90.00", "EUR"))
    del payload["total_price"], payload["subtotal_price"]
    data = parse_checkout(payload)
    assert (data.total_price, data.subtotal_price) == (Decimal("100.00"), Decimal("90.00"))
    assert data.shop_total_price == Decimal("108.50")


def test_order_revenue_is_the_shop_money_amount_when_the_plain_total_is_absent():
    payload = order_payload(total="60.33", currency="AUD")
    payload.update(presentment_currency="USD", total_price_set=_money_set("60.33", "AUD", "45.85", "USD"))
    assert (parse_order(payload).total_price, parse_order(payload).currency) == (Decimal("60.33"), "AUD")
    del payload["total_price"]
    assert (parse_order(payload).total_price, parse_order(payload).currency) == (Decimal("60.33"), "AUD")


@pytest.mark.data
def test_intake_keeps_the_shop_amount_beside_the_shoppers_total(shop, clock, deliver):
    deliver(("checkouts/create",
             _foreign_checkout(total_price_set=_money_set("108.505", "USD", "100.00", "EUR"))),
            ("orders/create", order_payload(checkout_token=None, total="5.125", currency="KWD")))
    db.session.expire_all()
    checkout = db.session.execute(select(Checkout)).scalar_one()
    assert (checkout.total_price, checkout.presentment_currency) == (Decimal("100.00"), "EUR")
    assert (checkout.shop_total_price, checkout.currency) == (Decimal("108.505"), "USD")
    assert db.session.execute(select(Order.total_price)).scalar_one() == Decimal("5.125")
