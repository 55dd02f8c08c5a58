"""Orders complete checkouts, whichever webhook arrives first: match by checkout token, then cart
token, then the same customer (email or phone) within 48 hours ("bought elsewhere")."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from app.extensions import db
from app.recovery import scheduler, shoppers
from app.recovery.models import Checkout, MatchKind, Order

# An order by the same customer this long after a checkout's last update still means "they bought".
BOUGHT_ELSEWHERE_WINDOW = timedelta(hours=48)
ORDER_COMPLETED = "order"
CHECKOUT_COMPLETED = "checkout_completed"


def checkouts_for_order(order: Order) -> tuple[list[Checkout], str | None]:
    """The open checkouts an order settles, the one it came from first, and how that one matched.

    Its own checkout (by checkout token, then cart token) and every open checkout of the same
    customer (email or phone) within 48 hours: a shopper who bought is not called about a sibling
    cart half an hour later.
    """
    own, kind = _own_checkout(order)
    same_customer = shoppers.same_shopper(Checkout, order.email_hash, order.phone_hash,
                                          *([own] if own is not None else []))
    siblings = [] if same_customer is None else [
        c for c in _checkouts(order.shop_id, same_customer, Checkout.completed_at.is_(None))
        if _within_window(c, order.ordered_at) and (own is None or c.id != own.id)]
    if own is not None:
        return [own, *siblings], kind
    return siblings, (MatchKind.CUSTOMER if siblings else None)


def _own_checkout(order: Order) -> tuple[Checkout | None, str | None]:
    for kind, condition in ((MatchKind.CHECKOUT_TOKEN, _eq(Checkout.token, order.checkout_token)),
                            (MatchKind.CART_TOKEN, _eq(Checkout.cart_token, order.cart_token))):
        if condition is None:
            continue
        found = _checkouts(order.shop_id, condition)
        if found:
            return found[0], kind
    return None, None


def order_for_checkout(checkout: Checkout) -> tuple[Order | None, str | None]:
    """An order already stored that completes this (just arrived) checkout, and how it matched:
    by checkout token, else cart token, else the same customer within 48 h (one query for all)."""
    keys = [(MatchKind.CHECKOUT_TOKEN, Order.checkout_token, checkout.token),
            (MatchKind.CART_TOKEN, Order.cart_token, checkout.cart_token)]
    conditions = [_eq(column, value) for _, column, value in keys]
    conditions.append(shoppers.same_shopper(Order, checkout.email_hash, checkout.phone_hash))
    conditions = [condition for condition in conditions if condition is not None]
    if not conditions:
        return None, None
    orders = _orders(checkout.shop_id, or_(*conditions))
    for kind, column, value in keys:
        found = next((o for o in orders if value and getattr(o, column.key) == value), None)
        if found is not None:
            return found, kind
    # The rest matched by customer: only an order placed while the checkout was open settles it.
    for order in orders:
        if _within_window(checkout, order.ordered_at):
            return order, MatchKind.CUSTOMER
    return None, None


def complete(checkout: Checkout, at: datetime, order: Order | None = None, kind: str | None = None
             ) -> list[str]:
    """Mark the checkout completed and cancel its pending contacts; returns job ids to drop."""
    if checkout.completed_at is None:
        checkout.completed_at = at
    if order is not None and order.checkout_id is None:
        order.checkout_id = checkout.id
        order.match_kind = kind
    reason = ORDER_COMPLETED if order is not None else CHECKOUT_COMPLETED
    return scheduler.cancel_checkout(checkout, reason, at)


def _within_window(checkout: Checkout, ordered_at: datetime) -> bool:
    started = checkout.shopify_created_at or checkout.created_at
    last = checkout.shopify_updated_at or started
    return started <= ordered_at <= last + BOUGHT_ELSEWHERE_WINDOW


def _eq(column, value):
    return column == value if value else None


def _checkouts(shop_id: int, *conditions) -> list[Checkout]:
    return list(db.session.execute(
        select(Checkout).where(Checkout.shop_id == shop_id, *conditions)
        .order_by(Checkout.shopify_updated_at.desc().nulls_last(), Checkout.id.desc()).with_for_update()
    ).scalars())


def _orders(shop_id: int, condition) -> list[Order]:
    return list(db.session.execute(
        select(Order).where(Order.shop_id == shop_id, condition).order_by(Order.ordered_at)
    ).scalars())
