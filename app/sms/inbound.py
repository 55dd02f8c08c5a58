"""Texts from shoppers: STOP (and its synonyms and phrases, in four languages) honoured at once, HELP.

The rest of the inbound conversation (START, replies to the agent) is the SMS recovery feature's.
"""

from __future__ import annotations

import re

from sqlalchemy import select, union_all
from twilio.twiml.messaging_response import MessagingResponse

from app.agent import is_opt_out
from app.consent.suppression import phone_hash
from app.extensions import db
from app.recovery import scheduler
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.sms.models import Message, MessageStatus
from app.voice.models import Call

# The carriers' opt-out and help keywords (CTIA), matched on the whole message.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
MAX_SHOPS = 50
_NOT_A_LETTER = re.compile(r"[^A-Z]")


def answer(sender: str, body: str, opt_out_type: str | None) -> str:
    """The TwiML answer to one inbound text; suppressions are written (and committed) first."""
    if not sender.strip():
        return _reply(None)
    keyword = _NOT_A_LETTER.sub("", body.upper())
    kind = (opt_out_type or "").upper()
    shops = shops_that_contacted(sender)
    if kind == "STOP" or keyword in OPT_OUT_KEYWORDS or is_opt_out(body):
        _opt_out(sender, body, shops)
        # With Twilio's Advanced Opt-Out (OptOutType present) Twilio has answered the keyword already.
        return _reply(None if kind else _confirmation(shops))
    if kind == "HELP" or keyword in HELP_KEYWORDS:
        _record(sender, body, shops)
        db.session.commit()
        return _reply(None if kind else _help(shops))
    return _reply(None)


def _opt_out(sender: str, body: str, shops: list[Shop]) -> None:
    """Off every channel, for every shop that reached this number, and nothing left pending."""
    dropped: list[str] = []
    for shop in shops:
        dropped += scheduler.stop_contacting(shop.id, sender, reason="sms_stop", source="sms")
    _record(sender, body, shops)
    db.session.commit()
    scheduler.drop_jobs(dropped)


def _record(sender: str, body: str, shops: list[Shop]) -> None:
    if shops:
        db.session.add(Message(shop_id=shops[0].id, direction="inbound", kind="keyword", phone=sender,
                               phone_hash=phone_hash(sender), body=body[:1600],
                               status=MessageStatus.RECEIVED, send_tries=0))


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


def _name(shop: Shop) -> str:
    values = shop_settings.resolve(shop.settings.values if shop.settings else None)
    return values["store_display_name"] or shop.name or shop.domain.split(".")[0]


def _confirmation(shops: list[Shop]) -> str:
    who = _name(shops[0]) if shops else "You"
    return f"{who}: you are unsubscribed and will get no more calls or texts from us. Reply HELP for help."


def _help(shops: list[Shop]) -> str:
    who = _name(shops[0]) if shops else "Automated cart reminders"
    return (f"{who}: automated reminders about your cart, sent because you agreed at checkout. "
            "Reply STOP to opt out of all calls and texts. Msg & data rates may apply.")


def _reply(text: str | None) -> str:
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
