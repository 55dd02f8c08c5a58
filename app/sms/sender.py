"""The SMS channel: a planned contact becomes one recovery text, written before it is sent.

The engine hands over an attempt already committed as `dispatched` (app.recovery.jobs); this sender
renders the merchant's template for the shopper's language, writes the message row and sends it in
the same job. The outbox reports the hand-off's end to the engine, so nothing here commits the
attempt. A job run twice for one attempt finds the row and sends nothing new.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.agent import language_of
from app.extensions import db
from app.recovery import channels, links
from app.recovery.models import Checkout, ContactAttempt
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.sms import outbox, templates
from app.sms.models import Message
from app.telephony import client as telephony
from app.transactions import begin_writing

log = logging.getLogger(__name__)


@channels.register(channels.SMS, available=telephony.is_configured)
def send_recovery_text(attempt: ContactAttempt) -> None:
    """The SMS sender: the recovery text for this planned contact, sent once."""
    message_id = _message_row(attempt)
    outbox.send(message_id)


def _message_row(attempt: ContactAttempt) -> int:
    attempt_id, shop_id, phone = attempt.id, attempt.shop_id, attempt.phone
    checkout_id, phone_hash = attempt.checkout_id, attempt.phone_hash
    # A writer from the start: delivery reports of other texts commit meanwhile (SQLite).
    db.session.rollback()
    begin_writing()
    existing = db.session.execute(
        select(Message.id).where(Message.attempt_id == attempt_id, Message.kind == outbox.RECOVERY)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    checkout, shop = db.session.execute(
        select(Checkout, Shop).join(Shop, Shop.id == Checkout.shop_id)
        .where(Checkout.id == checkout_id).options(joinedload(Shop.settings))
    ).one()
    settings = shop_settings.resolve(shop.settings.values if shop.settings else None)
    rendered = templates.render_recovery(
        settings, language_of(checkout.customer_locale), store=shop_settings.store_name(shop, settings),
        first_name=checkout.first_name, lines=cart_lines(checkout),
        link=links.tracked_url(checkout.id, attempt_id), first_text=not _texted_before(shop_id, phone_hash))
    if not rendered.within_limit:
        log.info("recovery text for attempt %s is %d segments, over the shop's limit of %d", attempt_id,
                 rendered.segments, rendered.limit)
    message = outbox.queue_text(shop_id=shop_id, phone=phone, body=rendered.body,
                                kind=outbox.RECOVERY, checkout_id=checkout.id, attempt_id=attempt_id)
    db.session.commit()
    return message.id


def cart_lines(checkout: Checkout) -> list[tuple[str, int]]:
    """(title, quantity) of each cart line, as the texts and the agent describe the cart."""
    lines = []
    for item in checkout.line_items or []:
        if isinstance(item, dict):
            lines.append((str(item.get("title") or "item"), _quantity(item)))
    return lines


def _texted_before(shop_id: int, phone_hash: str) -> bool:
    """Whether the shop has already sent this number a text that reached Twilio."""
    return db.session.execute(
        select(Message.id).where(Message.shop_id == shop_id, Message.phone_hash == phone_hash,
                                 Message.direction == "outbound", Message.sid.is_not(None)).limit(1)
    ).first() is not None


def _quantity(item: dict) -> int:
    try:
        return max(1, int(item.get("quantity") or 1))
    except (TypeError, ValueError):
        return 1
