"""A shopper's reply by text, answered by the same agent the calls use.

The reply belongs to the shop that last contacted the number (the sender is shared). The agent sees
the thread about the shopper's latest checkout there and answers in its language; the answer goes
out through the outbox inside the shopper's contact window (at its next opening when outside it),
and its actions are carried out as on a call: the link, a discount code, a callback, an opt-out. A
number without standing SMS consent at that shop gets no answer beyond the keyword replies.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import agent
from app.agent_runtime import current_agent
from app.consent import queries as consent
from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import clock, links, policy, scheduler
from app.recovery.contact_window import candidate_zones
from app.recovery.facts import facts_for, settings_for
from app.recovery.models import Checkout
from app.shopify import discounts
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.sms import outbox
from app.sms import texts as sms_texts
from app.sms.models import Message
from app.sms.sender import cart_lines

log = logging.getLogger(__name__)

REPLY = "reply"
LINK = "link"
DISCOUNT = "discount"
# An answer is filed under what it carries, the code before the link before plain words.
_KINDS = (REPLY, LINK, DISCOUNT)
_CODE = re.compile(r"\b" + discounts.CODE_PREFIX + r"(?:-[0-9A-Z]{4})+\b")
SHOPPER = "shopper"
AGENT = "agent"
# The agent sees this much of the thread (the latest texts), as a call sees its turns.
HISTORY = 20


def reply_to(shop: Shop, phone: str, received: Message) -> list[Message]:
    """Hand the shopper's text to the agent, carry out its actions and queue its answer; flushes.
    Returns the texts to `enqueue` once the caller commits: now inside the shopper's contact
    window, else held (`not_before`) for its next opening."""
    checkout = _latest_checkout(shop.id, phone)
    if checkout is None:
        return []
    received.checkout_id = checkout.id
    settings = shop_settings.resolve(shop.settings.values if shop.settings else None)
    standing = consent.consent_for_checkout(shop.id, checkout.token)
    if not (standing.sms and settings["sms_enabled"]):
        log.info("text from a number without standing SMS consent at shop %s: not answered", shop.id)
        return []
    now = clock.now()
    at = policy.reply_time(facts_for(checkout, shop, now), settings_for(shop), now)
    if at is None:
        log.info("no contact window for the shopper at shop %s: not answered", shop.id)
        return []
    thread = _thread(checkout.id, received.id)
    context = _context(shop, checkout, settings, phone, calls_allowed=standing.call)
    reply = current_agent().respond(context, [agent.Turn(_role(m), m.body) for m in thread],
                             agent.Utterance(text=received.body), _state(thread))
    scene = _Scene(shop, checkout, settings, phone, context)
    # One answer per text: the agent's words, then the link or the code its actions produced.
    parts, kind = [reply.text], REPLY
    for action in reply.actions:
        extra, extra_kind = _act(scene, action)
        parts.append(extra)
        kind = max(kind, extra_kind, key=_KINDS.index)
    body = " ".join(part.strip() for part in parts if part and part.strip())
    if not body:
        return []
    return [_queue(scene, body, kind, reply.state, at if at > now else None)]


def enqueue(messages: list[Message]) -> None:
    """After commit: queue each answer's send, at once or when its hold ends."""
    now = clock.now()
    for message in messages:
        delay = message.not_before - now if message.not_before and message.not_before > now else None
        outbox.enqueue(message.id, step="reply", delay=delay)


def _latest_checkout(shop_id: int, phone: str) -> Checkout | None:
    return db.session.execute(
        select(Checkout).where(Checkout.shop_id == shop_id, Checkout.phone_hash == lookup_hash(phone))
        .order_by(Checkout.updated_at.desc(), Checkout.id.desc()).limit(1)
    ).scalar_one_or_none()


def _thread(checkout_id: int, received_id: int) -> list[Message]:
    """The latest texts about the checkout, oldest first, without the one being answered."""
    rows = db.session.execute(
        select(Message).where(Message.checkout_id == checkout_id, Message.id != received_id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(HISTORY)
    ).scalars().all()
    return list(reversed(rows))


def _context(shop: Shop, checkout: Checkout, settings: dict, phone: str, *,
             calls_allowed: bool) -> agent.Context:
    """What the agent may know, as on a call; never the shopper's number, e-mail or address."""
    zones = sorted(candidate_zones(phone, checkout.country_code, checkout.province_code))
    return agent.Context(
        store_name=shop_settings.store_name(shop, settings), first_name=checkout.first_name,
        lines=tuple(agent.CartLine(title[:80], quantity) for title, quantity in cart_lines(checkout)),
        total=str(checkout.total_price) if checkout.total_price is not None else "",
        currency=checkout.presentment_currency or checkout.currency or shop.currency or "",
        language=agent.language_of(checkout.customer_locale), channel="sms", sms_allowed=True,
        discount_max_percent=settings["discount_max_percent"],
        transfer_available=False, transfer_configured=False, calls_allowed=calls_allowed,
        timezone=zones[0] if zones else (shop.iana_timezone or "UTC"), now=clock.now())


@dataclass(frozen=True)
class _Scene:
    shop: Shop
    checkout: Checkout
    settings: dict
    phone: str
    context: agent.Context


def _act(scene: _Scene, action) -> tuple[str, str]:
    """Carry out one action; returns what to add to the answer and what that makes it."""
    shop, checkout, phone = scene.shop, scene.checkout, scene.phone
    if isinstance(action, agent.SendLink):
        return links.tracked_url(checkout.id), LINK
    if isinstance(action, agent.SendDiscount):
        return _discount(scene, action.percent)
    if isinstance(action, agent.ScheduleCallback):
        _callback(shop, checkout, phone, action.at)
    elif isinstance(action, agent.OptOut):
        # An opt-out by text: the shared sender is blocked for the number, so every shop stops.
        _drop_later(scheduler.stop_contacting(None, phone, reason="sms_stop", source="sms"))
    elif isinstance(action, agent.WrongNumber):
        _drop_later(scheduler.stop_contacting(shop.id, phone, reason="wrong_number", source="sms",
                                              canceled_as="wrong_number"))
    elif isinstance(action, agent.AlreadyPurchased):
        _drop_later(scheduler.cancel_checkout(checkout, "already_purchased"))
    return "", REPLY


def _discount(scene: _Scene, percent: int) -> tuple[str, str]:
    """The code line: a new single-use code, or the one already given (one per checkout)."""
    checkout, language = scene.checkout, scene.context.language
    hours = scene.settings["discount_expiry_hours"]
    url = links.tracked_url(checkout.id)
    given = _code_given(checkout.id)
    if given is not None:
        return sms_texts.code_again(language, code=given, url=url), DISCOUNT
    try:
        code = discounts.code_for_checkout(scene.shop, checkout, scene.settings, percent)
    except (discounts.DiscountError, ValueError) as exc:
        log.warning("checkout %s: discount code not created for an SMS reply (%s)", checkout.id,
                    type(exc).__name__)
        return sms_texts.no_code(language, url=url), LINK
    return sms_texts.code_line(language, code=code.code, percent=code.percent, hours=hours, url=url), DISCOUNT


def _code_given(checkout_id: int) -> str | None:
    bodies = db.session.execute(select(Message.body).where(
        Message.checkout_id == checkout_id, Message.kind == DISCOUNT, Message.direction == "outbound")
    ).scalars()
    return next((found.group(0) for body in bodies if (found := _CODE.search(body))), None)


def _callback(shop: Shop, checkout: Checkout, phone: str, at: datetime) -> None:
    """The shopper asked to be called: only with standing call consent, and planned by the engine."""
    if not consent.consent_for_checkout(shop.id, checkout.token).call:
        return
    checkout.requested_callback_at = at
    queued = scheduler.plan(checkout, shop, clock.now())
    if queued is not None:
        db.session.info.setdefault("after_commit_plans", []).append(queued)


def _drop_later(job_ids: list[str]) -> None:
    db.session.info.setdefault("drop_jobs", []).extend(job_ids)


def after_commit() -> None:
    """Queue the plans and drop the jobs an answer asked for, once its transaction committed."""
    info = db.session.info
    for queued in info.pop("after_commit_plans", []):
        scheduler.enqueue(queued)
    scheduler.drop_jobs(info.pop("drop_jobs", []))


def _queue(scene: _Scene, body: str, kind: str, state, not_before: datetime | None) -> Message:
    message = outbox.queue_text(shop_id=scene.shop.id, phone=scene.phone, body=body[:1600], kind=kind,
                                checkout_id=scene.checkout.id)
    message.agent_state = dict(state)
    message.not_before = not_before
    return message


def _state(thread: list[Message]) -> dict:
    """The agent's state after its last answer in the thread."""
    for message in reversed(thread):
        if message.direction == "outbound" and message.agent_state is not None:
            return dict(message.agent_state)
    return {}


def _role(message: Message) -> str:
    return AGENT if message.direction == "outbound" else SHOPPER




