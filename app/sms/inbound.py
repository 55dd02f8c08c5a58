"""Texts from shoppers: the carriers' keywords honoured at once, everything else to the agent.

STOP (its synonyms, and phrases in four languages) takes the number off every channel for every
shop, since all shops text from one sender; START (UNSTOP, or YES after a STOP) lets texts resume
where an SMS consent still stands, never calls; HELP answers with the store's help text. With
Twilio's Advanced Opt-Out (`OptOutType`) Twilio has answered the keyword: we record it and stay
silent. Any other text goes to the agent (app.sms.conversation), for a sender some shop contacted.
"""

from __future__ import annotations

import re

from sqlalchemy import select, union_all
from twilio.twiml.messaging_response import MessagingResponse

from app.agent import is_opt_out
from app.consent import queries as consent
from app.consent.phones import lookup_key
from app.consent.suppression import SENDER_WIDE, phone_hash, resume_sms, sender_wide_sms_block
from app.extensions import db
from app.privacy.restriction import is_restricted
from app.recovery import scheduler
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.sms import conversation
from app.sms.models import Message, MessageStatus
from app.voice.models import Call

# The carriers' opt-out, opt-in and help keywords (CTIA), matched on the whole message.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
# YES re-subscribes only a number opted out by text; otherwise it is a reply for the agent.
YES = "YES"
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
# Why a number is off the sender's list because of a text: what START may lift.
SMS_OPT_OUT_REASONS = frozenset({"sms_stop", "sms_unsubscribed"})
MAX_SHOPS = 50
_NOT_A_LETTER = re.compile(r"[^A-Z]")


def answer(sender: str, body: str, opt_out_type: str | None, sid: str | None = None) -> str:
    """The TwiML answer to one inbound text; what it changes is committed before it is answered."""
    if not sender.strip():
        return _reply(None)
    if sid and db.session.execute(select(Message.id).where(Message.sid == sid)).first():
        return _reply(None)  # the same text delivered again: handled once already
    phone = lookup_key(sender)
    keyword = _NOT_A_LETTER.sub("", body.upper())
    kind = (opt_out_type or "").upper()
    shops = shops_that_contacted(phone)
    if kind == "STOP" or keyword in OPT_OUT_KEYWORDS or is_opt_out(body):
        _opt_out(phone, body, shops, sid)
        return _reply(None if kind else _confirmation(shops))
    if kind == "START" or keyword in OPT_IN_KEYWORDS or (keyword == YES and _opted_out_by_text(phone)):
        resumed = _opt_in(phone, body, shops, sid)
        return _reply(None if kind else _resumed(shops) if resumed else _not_resumed(shops))
    if kind == "HELP" or keyword in HELP_KEYWORDS:
        _record(phone, body, shops, sid, kind="keyword")
        db.session.commit()
        return _reply(None if kind else _help(shops))
    if not shops:
        return _reply(None)  # an unknown sender gets nothing but the keywords
    if is_restricted(shops[0].id, phone_hash=phone_hash(phone)):
        return _reply(None)  # the merchant restricted processing: no conversation, nothing stored
    received = _record(phone, body, shops, sid, kind=conversation.REPLY)
    db.session.flush()
    answers = conversation.reply_to(shops[0], phone, received)
    db.session.commit()
    conversation.after_commit()
    conversation.enqueue(answers)
    return _reply(None)


def _opt_out(phone: str, body: str, shops: list[Shop], sid: str | None) -> None:
    """Off every channel, for every shop (the sender is shared), and nothing left pending."""
    dropped = scheduler.stop_contacting(SENDER_WIDE, phone, reason="sms_stop", source="sms")
    _record(phone, body, shops, sid, kind="keyword")
    db.session.commit()
    scheduler.drop_jobs(dropped)


def _opt_in(phone: str, body: str, shops: list[Shop], sid: str | None) -> bool:
    """Texts resume where an SMS consent still stands; calls stay off. True when texts resume."""
    resumed = consent.sms_consent_on_record(phone) and resume_sms(phone, reasons=SMS_OPT_OUT_REASONS)
    _record(phone, body, shops, sid, kind="keyword")
    db.session.commit()
    return resumed


def _opted_out_by_text(phone: str) -> bool:
    return sender_wide_sms_block(phone, reasons=SMS_OPT_OUT_REASONS)


def _record(phone: str, body: str, shops: list[Shop], sid: str | None, *, kind: str) -> Message | None:
    """The shopper's text in the thread of the shop it belongs to (none when no shop reached them)."""
    if not shops:
        return None
    message = Message(shop_id=shops[0].id, direction="inbound", kind=kind, phone=phone,
                      phone_hash=phone_hash(phone), body=body[:1600], sid=(sid or None) and sid[:64],
                      status=MessageStatus.RECEIVED, send_tries=0)
    db.session.add(message)
    return message


def shops_that_contacted(sender: str) -> list[Shop]:
    """The shops that called or texted this number, most recent first."""
    hashed = phone_hash(sender)
    contacts = union_all(
        select(Call.shop_id.label("shop_id"), Call.created_at.label("at")).where(Call.phone_hash == hashed),
        select(Message.shop_id.label("shop_id"), Message.created_at.label("at")).where(
            Message.phone_hash == hashed, Message.direction == "outbound"),
    ).subquery()
    rows = db.session.execute(select(contacts.c.shop_id).order_by(contacts.c.at.desc()).limit(200)).scalars()
    ordered = list(dict.fromkeys(rows))[:MAX_SHOPS]
    return [db.session.get(Shop, shop_id) for shop_id in ordered]


def _settings(shop: Shop) -> dict:
    return shop_settings.resolve(shop.settings.values if shop.settings else None)


def _name(shops: list[Shop], fallback: str) -> str:
    return shop_settings.store_name(shops[0], _settings(shops[0])) if shops else fallback


def _confirmation(shops: list[Shop]) -> str:
    who = _name(shops, "Cart reminders")
    return f"{who}: you are unsubscribed and will get no more calls or texts from us. Reply HELP for help."


def _resumed(shops: list[Shop]) -> str:
    who = _name(shops, "Cart reminders")
    return (f"{who}: texts about your cart can reach you again; calls stay off. "
            "Reply HELP for help, STOP to opt out.")


def _not_resumed(shops: list[Shop]) -> str:
    who = _name(shops, "Cart reminders")
    return f"{who}: we have no consent on record to text this number, so we will not text you."


def _help(shops: list[Shop]) -> str:
    who = _name(shops, "Automated cart reminders")
    contact = _settings(shops[0]).get("support_contact") if shops else None
    reach = f" Questions: {contact}." if contact else ""
    return (f"{who}: automated reminders about your cart, sent because you agreed at checkout.{reach} "
            "Reply STOP to opt out of all calls and texts. Msg & data rates may apply.")


def _reply(text: str | None) -> str:
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
