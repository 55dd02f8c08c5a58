"""Webhook handlers: checkouts and orders in, consent recorded, contacts planned or cancelled.

Handlers run inside the webhook processor's transaction and never commit; jobs are queued or
dropped through `event.after_commit`, so Redis never sees a plan the database does not hold.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.consent.ledger import record_from_webhook
from app.crypto import customer_hash, lookup_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.privacy.restriction import is_restricted_contact
from app.recovery import attribution, clock, completion, scheduler
from app.recovery.models import Checkout, Order
from app.recovery.payloads import CheckoutData, OrderData, parse_checkout, parse_order
from app.shopify.webhooks.models import WebhookDelivery
from app.shopify.webhooks.registry import WebhookEvent, handles
from app.shops.models import Shop
from app.shops.signals import shop_uninstalled

log = logging.getLogger(__name__)
UNINSTALLED = "uninstalled"


@handles("checkouts/create")
@handles("checkouts/update")
def checkout_changed(event: WebhookEvent) -> None:
    """Upsert the checkout (stale updates ignored), complete it if ordered, plan its next contact."""
    shop = _shop(event.shop_domain)
    if shop is None:
        return
    data = parse_checkout(event.payload)
    if data is not None and _is_erased(shop.id, data.token):
        return  # customers/redact erased this checkout: a late update must not bring its data back
    if data is not None and is_restricted_contact(shop.id, customer_id=data.customer_id, email=data.email,
                                                  phone=data.phone_e164):
        return  # the merchant restricted processing for this customer: nothing is taken in
    _record_consent(shop, event)
    if data is None:
        return
    now = clock.now()
    checkout = _upsert_checkout(shop, data)
    dropped = _complete_if_done(checkout, data, now)
    queued = None
    if checkout.completed_at is None:
        queued = scheduler.plan(checkout, shop, now)
        dropped += scheduler.supersede(checkout, now)
    _after_commit(event, dropped, queued)


@handles("orders/create")
def order_created(event: WebhookEvent) -> None:
    """Store the order, complete the checkout(s) it settles, cancel their contacts, attribute it."""
    shop = _shop(event.shop_domain)
    if shop is None:
        return
    data = parse_order(event.payload)
    if data is not None and is_restricted_contact(shop.id, customer_id=data.customer_id, email=data.email,
                                                  phone=data.phone_e164):
        return  # restricted: the order is not taken in (nor attributed)
    _record_consent(shop, event)
    if data is None:
        return
    order = _upsert_order(shop, data, _received_at(event))
    if order.checkout_id is not None:
        return  # a replay: this order already completed its checkout
    checkouts, kind = completion.checkouts_for_order(order)
    dropped: list[str] = []
    for checkout in checkouts:
        dropped += completion.complete(checkout, order.ordered_at, order, kind)
    attribution.attribute(order, checkouts)
    _after_commit(event, dropped, None)


@shop_uninstalled.connect
def stop_outreach(shop: Shop, **_) -> None:
    """Uninstall: cancel every pending contact of the shop."""
    dropped = scheduler.cancel_shop(shop.id, UNINSTALLED)
    # Dropped before the uninstall commits: should it roll back, the rows are still scheduled and
    # the sweeper re-queues them; should it commit, the jobs are gone (and would re-check anyway).
    scheduler.drop_jobs(dropped)
    if dropped:
        log.info("shop %s uninstalled: %d pending contacts canceled", shop.id, len(dropped))


def _shop(domain: str) -> Shop | None:
    """The shop the delivery is for; None once shop/redact is erasing it."""
    return db.session.execute(
        select(Shop).where(Shop.domain == domain, Shop.redact_requested_at.is_(None))
    ).scalar_one_or_none()


def _is_erased(shop_id: int, token: str) -> bool:
    return db.session.execute(
        select(Checkout.id).where(Checkout.shop_id == shop_id, Checkout.token == token,
                                  Checkout.erased_at.is_not(None))
    ).first() is not None


def _received_at(event: WebhookEvent) -> datetime:
    delivery = db.session.get(WebhookDelivery, event.delivery_id)
    return delivery.received_at if delivery is not None else utcnow()


def _record_consent(shop: Shop, event: WebhookEvent) -> None:
    record_from_webhook(shop, event.topic, event.payload, delivery_id=event.delivery_id,
                        received_at=_received_at(event))


def _upsert_checkout(shop: Shop, data: CheckoutData) -> Checkout:
    """The checkout row, locked; created or updated from `data` unless `data` is older."""
    checkout = _locked_checkout(shop.id, data.token)
    if checkout is None:
        checkout = Checkout(shop_id=shop.id, token=data.token)
        _apply(checkout, data)
        try:
            with db.session.begin_nested():
                db.session.add(checkout)
            return checkout
        except IntegrityError:
            # A concurrent delivery of the same checkout inserted it first: update theirs.
            checkout = _locked_checkout(shop.id, data.token)
    if not _is_stale(checkout, data):
        _apply(checkout, data)
    return checkout


def _locked_checkout(shop_id: int, token: str) -> Checkout | None:
    return db.session.execute(
        select(Checkout).where(Checkout.shop_id == shop_id, Checkout.token == token).with_for_update()
    ).scalar_one_or_none()


def _is_stale(checkout: Checkout, data: CheckoutData) -> bool:
    """Shopify does not keep order: a payload older than what is stored must not overwrite it."""
    if checkout.shopify_updated_at is None:
        return False
    return data.updated_at is None or data.updated_at < checkout.shopify_updated_at


def _apply(checkout: Checkout, data: CheckoutData) -> None:
    checkout.cart_token = data.cart_token
    checkout.shopify_id = data.shopify_id
    checkout.customer_hash = customer_hash(data.customer_id)
    checkout.email = data.email
    checkout.phone = data.phone_e164
    checkout.email_hash = lookup_hash(data.email) if data.email else None
    checkout.phone_hash = lookup_hash(data.phone_e164) if data.phone_e164 else None
    checkout.first_name = data.first_name
    checkout.last_name = data.last_name
    checkout.recovery_url = data.recovery_url
    checkout.line_items = data.line_items
    checkout.currency = data.currency
    checkout.presentment_currency = data.presentment_currency
    checkout.subtotal_price = data.subtotal_price
    checkout.total_price = data.total_price
    checkout.shop_total_price = data.shop_total_price
    checkout.customer_locale = data.customer_locale
    checkout.country_code = data.country_code
    checkout.province_code = data.province_code
    checkout.shopify_created_at = data.created_at or checkout.shopify_created_at
    checkout.shopify_updated_at = data.updated_at or checkout.shopify_updated_at


def _complete_if_done(checkout: Checkout, data: CheckoutData, now: datetime) -> list[str]:
    """Completed in the payload, or an order for it arrived first: no contact, ever."""
    if checkout.completed_at is not None:
        return []
    order, kind = completion.order_for_checkout(checkout)
    if order is not None:
        return completion.complete(checkout, order.ordered_at, order, kind)
    if data.completed_at is not None:
        return completion.complete(checkout, data.completed_at)
    return []


def _upsert_order(shop: Shop, data: OrderData, received_at: datetime) -> Order:
    order = db.session.execute(
        select(Order).where(Order.shop_id == shop.id, Order.shopify_id == data.shopify_id)
    ).scalar_one_or_none()
    if order is not None:
        return order
    order = Order(
        shop_id=shop.id, shopify_id=data.shopify_id, checkout_token=data.checkout_token,
        cart_token=data.cart_token, customer_hash=customer_hash(data.customer_id),
        total_price=data.total_price, currency=data.currency,
        email_hash=lookup_hash(data.email) if data.email else None,
        phone_hash=lookup_hash(data.phone_e164) if data.phone_e164 else None,
        ordered_at=data.ordered_at or received_at,
    )
    db.session.add(order)
    db.session.flush()
    return order


def _after_commit(event: WebhookEvent, dropped: list[str], queued: scheduler.Queued | None) -> None:
    if dropped:
        event.after_commit(lambda: scheduler.drop_jobs(dropped))
    if queued is not None:
        event.after_commit(lambda: scheduler.enqueue(queued))
