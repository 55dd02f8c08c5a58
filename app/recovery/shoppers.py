"""Which checkouts belong to one shopper: the same phone or email (keyed hashes) in the same shop.

The contact rules count people, not checkouts. A shopper who abandons two carts, or the same cart on
two devices, is one person to call: their open checkouts from the last few days are one
conversation (see `app/recovery/facts.py`), and an order by them ends outreach on all of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from app.extensions import db
from app.recovery.models import Checkout, Order

# Open checkouts of one shopper last updated within this period of each other are one conversation.
# Long enough to span a whole outreach (first contact, fallbacks, a requested callback), short
# enough that a shopper who returns next month with a new cart is a new conversation.
CONVERSATION_PERIOD = timedelta(days=7)


def same_shopper(model, email_hash: str | None, phone_hash: str | None, *more: Checkout | Order):
    """A condition on `model` (Checkout or Order) matching any of the e-mail or phone hashes given
    (and those of the `more` rows), or None when there is none."""
    emails = {h for h in (email_hash, *(row.email_hash for row in more)) if h}
    phones = {h for h in (phone_hash, *(row.phone_hash for row in more)) if h}
    conditions = [column.in_(sorted(values)) for column, values in ((model.email_hash, emails),
                                                                    (model.phone_hash, phones)) if values]
    return or_(*conditions) if conditions else None


def last_update(checkout: Checkout) -> datetime:
    """When the shopper last touched the checkout, as Shopify reported it (else when we saw it)."""
    return checkout.shopify_updated_at or checkout.shopify_created_at or checkout.created_at


def conversation(checkout: Checkout, now: datetime) -> list[Checkout]:
    """The shopper's open checkouts in the shop updated within `CONVERSATION_PERIOD` of now,
    `checkout` itself always included; oldest first (the newest is the one contacted)."""
    condition = same_shopper(Checkout, checkout.email_hash, checkout.phone_hash)
    if condition is None:
        return [checkout]
    updated = func.coalesce(Checkout.shopify_updated_at, Checkout.shopify_created_at, Checkout.created_at)
    others = db.session.execute(
        select(Checkout).where(Checkout.shop_id == checkout.shop_id, Checkout.id != checkout.id,
                               Checkout.completed_at.is_(None), condition,
                               updated >= now - CONVERSATION_PERIOD)
    ).scalars().all()
    return sorted([checkout, *others], key=recency)


def recency(checkout: Checkout) -> tuple[datetime, int]:
    """Sort key: later updates are newer; the later row breaks a tie."""
    return last_update(checkout), checkout.id or 0
