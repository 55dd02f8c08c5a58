"""Money: ISO 4217 precision, exact rendering and sums, the cart value in the shop's currency, and
money columns that keep a third decimal on PostgreSQL and SQLite alike."""

from datetime import timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from app import money
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery.models import Checkout, Order, Recovery
from app.shops.models import Shop

MONEY_COLUMNS = {("checkouts", "subtotal_price"), ("checkouts", "total_price"),
                 ("checkouts", "shop_total_price"), ("orders", "total_price"), ("recoveries", "revenue")}


@pytest.mark.parametrize(("currency", "places"), [
    ("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0),
    ("KWD", 3), ("BHD", 3), ("IQD", 3), ("JOD", 3), ("LYD", 3), ("OMR", 3), ("TND", 3),
    ("kwd", 3), ("XYZ", 2), (None, 2), ("", 2),
])
def test_minor_units_follow_iso_4217(currency, places):
    assert money.minor_units(currency) == places


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (Decimal("120"), "USD", "120.00"),
    (Decimal("120.000"), "USD", "120.00"),
    (Decimal("12.345"), "KWD", "12.345"),
    (Decimal("12.3"), "KWD", "12.300"),
    (Decimal("1500.00"), "JPY", "1500"),
    (Decimal("1500"), "jpy", "1500"),
    (Decimal("0"), "USD", "0.00"),
    (0, None, "0.00"),
])
def test_to_string_renders_an_amount_at_its_currency_precision(amount, currency, shown):
    assert money.to_string(amount, currency) == shown


def test_to_string_never_rounds_money_away():
    assert money.to_string(Decimal("12.345"), "USD") == "12.345"
    assert money.to_string(Decimal("1500.5"), "JPY") == "1500.5"


def test_revenue_totals_stay_exact_per_currency():
    rows = [("KWD", Decimal("12.345")), ("KWD", Decimal("0.001")), ("USD", Decimal("0.1")),
            ("USD", Decimal("0.2")), ("JPY", Decimal("1500.00")), (None, None)]
    assert money.totals_by_currency(rows) == {"KWD": "12.346", "USD": "0.30", "JPY": "1500", "": "0.00"}
    assert money.totals_by_currency([]) == {}


def test_min_cart_value_compares_the_shop_currency_amount():
    # A USD shop, a shopper paying in EUR: the cart is worth 108.50 USD to the merchant, not "100".
    checkout = Checkout(currency="USD", presentment_currency="EUR", total_price=Decimal("100.00"),
                        shop_total_price=Decimal("108.50"))
    assert money.cart_value_in_shop_currency(checkout) == Decimal("108.50")
    assert money.cart_value_in_shop_currency(checkout, "usd") == Decimal("108.50")


def test_a_cart_known_only_in_another_currency_has_no_shop_currency_value():
    checkout = Checkout(currency="USD", presentment_currency="EUR", total_price=Decimal("100.00"))
    assert money.cart_value_in_shop_currency(checkout) is None


def test_a_cart_in_the_shops_former_currency_has_no_value_in_the_current_one():
    checkout = Checkout(currency="USD", presentment_currency="USD", total_price=Decimal("100.00"),
                        shop_total_price=Decimal("100.00"))
    assert money.cart_value_in_shop_currency(checkout, "CAD") is None
    assert money.cart_value_in_shop_currency(checkout, None) == Decimal("100.00")


# -- the money columns ------------------------------------------------------------------------------

def _shop() -> Shop:
    shop = Shop(domain="money.myshopify.com", installed_at=utcnow())
    db.session.add(shop)
    db.session.flush()
    return shop


@pytest.mark.data
def test_three_decimal_currencies_stay_exact(db):
    shop = _shop()
    checkout = Checkout(shop_id=shop.id, token="kwd", line_items=[], currency="KWD",
                        presentment_currency="KWD", subtotal_price=Decimal("12.300"),
                        total_price=Decimal("12.345"), shop_total_price=Decimal("12.345"))
    db.session.add(checkout)
    db.session.flush()
    now = utcnow()
    orders = [Order(shop_id=shop.id, shopify_id=n, total_price=amount, currency="KWD", ordered_at=now)
              for n, amount in ((1, Decimal("12.345")), (2, Decimal("0.001")))]
    db.session.add_all(orders)
    db.session.flush()
    db.session.add(Recovery(shop_id=shop.id, checkout_id=checkout.id, order_id=orders[0].id,
                            match_kind="checkout_token", touched_at=now - timedelta(hours=1),
                            ordered_at=now, revenue=Decimal("12.345"), currency="KWD"))
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Checkout, checkout.id)
    assert (stored.total_price, stored.shop_total_price) == (Decimal("12.345"), Decimal("12.345"))
    assert money.to_string(stored.subtotal_price, stored.currency) == "12.300"
    assert db.session.execute(select(Recovery.revenue)).scalar_one() == Decimal("12.345")
    rows = db.session.execute(select(Order.currency, Order.total_price)).all()
    assert money.totals_by_currency(rows) == {"KWD": "12.346"}


@pytest.mark.data
def test_two_decimal_amounts_read_back_as_they_were_written(db):
    shop = _shop()
    db.session.add(Checkout(shop_id=shop.id, token="usd", line_items=[], total_price=Decimal("120.00")))
    db.session.commit()
    db.session.expire_all()
    assert str(db.session.execute(select(Checkout.total_price)).scalar_one()) == "120.00"


@pytest.mark.data
def test_migrations_give_every_money_column_three_decimals(app):
    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    ours = [diff for diff in _flatten(diffs) if _column_of(diff) in MONEY_COLUMNS]
    assert ours == []


def _flatten(diffs):
    for diff in diffs:
        yield from (diff if isinstance(diff, list) else [diff])


def _column_of(diff) -> tuple[str, str] | None:
    """(table, column) that an autogenerate diff is about, when it is about a column."""
    if diff[0] in ("add_column", "remove_column"):
        return diff[2], diff[3].name
    if diff[0].startswith("modify_"):
        return diff[2], diff[3]
    return None
