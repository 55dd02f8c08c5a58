"""A call's conversation: TwiML requests in, the agent's words and actions out, side effects done.

Thin on purpose: the agent (`app.agent`) decides what to say and which actions to take; this module
builds its context from the database, carries out the actions (texts, codes, callbacks, opt-outs)
and renders TwiML. A streaming transport would reuse everything but the TwiML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import requests
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from twilio.base.exceptions import TwilioRestException

from app import agent
from app.agent_runtime import current_agent
from app.consent import queries as consent
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import clock, links, scheduler
from app.recovery.contact_window import candidate_zones
from app.recovery.models import Checkout
from app.shopify import discounts
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.sms import outbox
from app.sms import texts as sms_texts
from app.telephony import client as telephony
from app.voice import outcomes, twiml, urls
from app.voice.models import Call, CallTurn

log = logging.getLogger(__name__)

STATE_KEY = "agent"
SHOPPER = "shopper"
AGENT = "agent"
# Said when Shopify would not create a code, and before a code read out (no consent to text it).
_DISCOUNT_FAILED = {
    "en": "I'm sorry, I couldn't create the code just now.",
    "es": "Lo siento, no he podido crear el código ahora mismo.",
    "fr": "Je suis désolée, je n'ai pas pu créer le code pour le moment.",
    "de": "Es tut mir leid, ich konnte den Code gerade nicht erstellen.",
}
_CODE_IS = {"en": "Your code is", "es": "Tu código es", "fr": "Votre code est", "de": "Ihr Code lautet"}


@dataclass
class Scene:
    """One request's view of a call: the call, its checkout and shop, the merchant's settings."""

    call: Call
    checkout: Checkout
    shop: Shop
    settings: dict


def scene_of(call: Call) -> Scene:
    """Checkout, shop and settings in one query (a turn's time is mostly its queries)."""
    checkout, shop = db.session.execute(
        select(Checkout, Shop).join(Shop, Shop.id == Checkout.shop_id)
        .where(Checkout.id == call.checkout_id).options(joinedload(Shop.settings))
    ).one()
    values = shop_settings.resolve(shop.settings.values if shop.settings else None)
    return Scene(call, checkout, shop, values)


def start(call: Call) -> str:
    """The first TwiML of an answered call: the fixed disclosure, then the agent's first turn."""
    scene = scene_of(call)
    settings = scene.settings
    context = context_for(scene)
    reply = current_agent().greet(context)
    disclosure = agent.opening(context, recording=settings["recording_enabled"])
    _say(call, disclosure, intent="opening")
    _say(call, reply.text, intent=reply.intent)
    _keep_state(call, reply)
    voice, language = _voice(call, settings)
    return twiml.opening(disclosure, reply.text, action=urls.turn(call.id), voice=voice, language=language)


def take_turn(call: Call, utterance: agent.Utterance) -> str:
    """One exchange: what the shopper said (or pressed) → the agent's answer, acted upon."""
    scene = scene_of(call)
    settings = scene.settings
    context = context_for(scene)
    history = [agent.Turn(t.role, t.text) for t in call.turns]
    heard = utterance.text.strip() or (f"[pressed {utterance.digits}]" if utterance.digits else "[silence]")
    _record(call, SHOPPER, heard)
    reply = current_agent().respond(context, history, utterance, _state(call))
    spoken = reply.text
    transfer_to = None
    for action in reply.actions:
        extra, number = _act(scene, action, context)
        spoken = f"{spoken} {extra}".strip() if extra else spoken
        transfer_to = number or transfer_to
    if reply.objection and not call.objection:
        call.objection = reply.objection[:32]

    _say(call, spoken, intent=reply.intent)
    _keep_state(call, reply)
    voice, language = _voice(call, settings)
    if transfer_to:
        return twiml.transfer(spoken, transfer_to, caller_id=current_app.config["TWILIO_FROM_NUMBER"],
                              voice=voice, language=language)
    if reply.end:
        return twiml.goodbye(spoken, voice=voice, language=language)
    return twiml.listen(spoken, action=urls.turn(call.id), voice=voice, language=language)


def start_again(call: Call) -> str:
    """Twilio fetched the answer URL again: repeat the last thing said and listen, nothing more."""
    settings = scene_of(call).settings
    last = next((t.text for t in reversed(call.turns) if t.role == AGENT), "")
    voice, language = _voice(call, settings)
    return twiml.listen(last, action=urls.turn(call.id), voice=voice, language=language)


def redirect_live_call(call: Call, body: str) -> bool:
    """Replace what a live call plays (Twilio's call update), e.g. with the voicemail message."""
    try:
        telephony.twilio_client().calls(call.sid).update(twiml=body)
    except (TwilioRestException, requests.RequestException) as exc:
        log.warning("call %s: could not update the live call (%s)", call.id, type(exc).__name__)
        return False
    return True


def voicemail_twiml(call: Call) -> str:
    """What to leave on an answering machine (or a bare hang-up, per the merchant's setting)."""
    scene = scene_of(call)
    settings = scene.settings
    call.outcome = outcomes.stronger(call.outcome, outcomes.VOICEMAIL)
    if settings["voicemail_action"] != "message":
        return twiml.hangup()
    message = agent.voicemail(context_for(scene))
    _say(call, message, intent="voicemail")
    voice, language = _voice(call, settings)
    return twiml.goodbye(message, voice=voice, language=language)


def context_for(scene: Scene) -> agent.Context:
    """What the agent may know: store, first name, cart, language, the merchant's rules. Never the
    shopper's phone, e-mail or address."""
    call, checkout, shop, settings = scene.call, scene.checkout, scene.shop, scene.settings
    transfer_configured = bool(settings["transfer_phone"])
    return agent.Context(
        store_name=shop_settings.store_name(shop, settings),
        first_name=checkout.first_name,
        lines=tuple(agent.CartLine(str(item.get("title") or "item")[:80], _quantity(item))
                    for item in (checkout.line_items or []) if isinstance(item, dict)),
        total=str(checkout.total_price) if checkout.total_price is not None else "",
        currency=checkout.presentment_currency or checkout.currency or shop.currency or "",
        language=call.language,
        channel="call",
        sms_allowed=_sms_consent(scene, fresh=False),
        discount_max_percent=settings["discount_max_percent"],
        transfer_available=transfer_configured and _within_hours(settings["transfer_hours"], shop),
        transfer_configured=transfer_configured,
        timezone=_shopper_zone(call, checkout, shop),
        now=clock.now(),
    )


# -- actions -------------------------------------------------------------------------------------

def _act(scene: Scene, action, context: agent.Context) -> tuple[str, str | None]:
    """Carry out one action; returns words to add to the reply and a number to transfer to."""
    call, settings = scene.call, scene.settings
    if isinstance(action, agent.SendLink):
        if context.sms_allowed and _sms_consent(scene, fresh=True):
            _text_link(scene)
            call.outcome = outcomes.stronger(call.outcome, outcomes.LINK_SENT)
    elif isinstance(action, agent.SendDiscount):
        return _discount(scene, action, context), None
    elif isinstance(action, agent.ScheduleCallback):
        _schedule_callback(scene, action.at)
    elif isinstance(action, agent.OptOut):
        opt_out(call)
    elif isinstance(action, agent.WrongNumber):
        # Whoever answered is not the shopper who consented: never call or text this number again.
        _suppress(call, reason="wrong_number")
        call.outcome = outcomes.stronger(call.outcome, outcomes.WRONG_NUMBER)
    elif isinstance(action, agent.AlreadyPurchased):
        call.outcome = outcomes.stronger(call.outcome, outcomes.ALREADY_PURCHASED)
    elif isinstance(action, agent.Transfer) and context.transfer_available:
        call.outcome = outcomes.stronger(call.outcome, outcomes.TRANSFERRED)
        return "", settings["transfer_phone"]
    elif isinstance(action, agent.End):
        call.outcome = outcomes.stronger(call.outcome, action.outcome)
    return "", None


def after_commit() -> None:
    """Queue the texts and drop the jobs a turn asked for, once its transaction has committed."""
    info = db.session.info
    for message_id in info.pop("queue_texts", []):
        outbox.enqueue(message_id)
    scheduler.drop_jobs(info.pop("drop_jobs", []))


def opt_out(call: Call) -> None:
    """A spoken stop or a 9: off every channel for the calling shop, at once, and nothing pending."""
    _suppress(call, reason="opted_out")
    call.outcome = outcomes.stronger(call.outcome, outcomes.OPTED_OUT)


def _suppress(call: Call, *, reason: str) -> None:
    dropped = scheduler.stop_contacting(call.shop_id, call.phone, reason=reason, source="call")
    db.session.flush()
    # Jobs are dropped after the request commits (see routes); keep them on the session meanwhile.
    db.session.info.setdefault("drop_jobs", []).extend(dropped)


def _text_link(scene: Scene) -> None:
    call = scene.call
    if (call.agent_state or {}).get("link_texted"):
        return
    url = links.tracked_url(call.checkout_id, call.attempt_id)
    body = sms_texts.link(call.language, store=shop_settings.store_name(scene.shop, scene.settings), url=url)
    _queue_text(call, body, "link")
    call.agent_state = {**(call.agent_state or {}), "link_texted": True}


def _discount(scene: Scene, action, context: agent.Context) -> str:
    """Create the single-use code on the shop, text it (or say it); on failure apologise and go on."""
    call, checkout, shop, settings = scene.call, scene.checkout, scene.shop, scene.settings
    if call.discount_code:
        return ""
    if settings["discount_max_percent"] <= 0:
        return ""
    try:
        code = discounts.code_for_checkout(shop, checkout, settings, action.percent)
    except (discounts.DiscountError, ValueError) as exc:
        log.warning("call %s: discount code not created (%s)", call.id, type(exc).__name__)
        return _DISCOUNT_FAILED.get(call.language, _DISCOUNT_FAILED["en"])
    call.discount_code = code.code
    if context.sms_allowed and not action.read_out and _sms_consent(scene, fresh=True):
        url = links.tracked_url(call.checkout_id, call.attempt_id)
        _queue_text(call, sms_texts.discount(call.language, store=context.store_name, code=code.code,
                                             percent=code.percent, hours=settings["discount_expiry_hours"],
                                             url=url), "discount")
        call.outcome = outcomes.stronger(call.outcome, outcomes.DISCOUNT_SENT)
        return ""
    call.outcome = outcomes.stronger(call.outcome, outcomes.DISCOUNT_SENT)
    # Read out letter by letter, twice: there is no text to look it up in later.
    spelled = ", ".join(code.code.replace("-", ""))
    said = f"{_CODE_IS.get(call.language, _CODE_IS['en'])} {spelled}."
    return f"{said} {said}"


def _schedule_callback(scene: Scene, at: datetime) -> None:
    call = scene.call
    scene.checkout.requested_callback_at = at
    call.outcome = outcomes.stronger(call.outcome, outcomes.CALLBACK_SCHEDULED)


def _queue_text(call: Call, body: str, kind: str) -> None:
    message = outbox.queue_text(shop_id=call.shop_id, phone=call.phone, body=body, kind=kind,
                                checkout_id=call.checkout_id, attempt_id=call.attempt_id, call_id=call.id)
    db.session.info.setdefault("queue_texts", []).append(message.id)


# -- helpers -------------------------------------------------------------------------------------

def _sms_consent(scene: Scene, *, fresh: bool) -> bool:
    """Whether the shopper's SMS consent stands: read once per call for the agent's context, and
    again (`fresh`) at the moment a text is about to be queued."""
    call = scene.call
    known = (call.agent_state or {}).get("sms_consent")
    if known is not None and not fresh:
        return bool(known)
    standing = consent.consent_for_checkout(call.shop_id, scene.checkout.token)
    allowed = standing.sms and standing.phone_e164 == call.phone
    call.agent_state = {**(call.agent_state or {}), "sms_consent": allowed}
    return allowed


def _voice(call: Call, settings: dict) -> tuple[str, str]:
    default_voice, language = agent.voice_for(call.language)
    return settings["agent_voices"].get(call.language, default_voice), language


def _state(call: Call) -> dict:
    return dict((call.agent_state or {}).get(STATE_KEY) or {})


def _keep_state(call: Call, reply) -> None:
    call.agent_state = {**(call.agent_state or {}), STATE_KEY: dict(reply.state)}


def _say(call: Call, text: str, *, intent: str | None = None) -> None:
    if text:
        _record(call, AGENT, text, intent)


def _record(call: Call, role: str, text: str, intent: str | None = None) -> None:
    seq = max((t.seq for t in call.turns), default=0) + 1
    call.turns.append(CallTurn(seq=seq, role=role, text=text[:2000], intent=(intent or None) and intent[:32],
                               at=utcnow()))


def _quantity(item: dict) -> int:
    try:
        return max(1, int(item.get("quantity") or 1))
    except (TypeError, ValueError):
        return 1


def _shopper_zone(call: Call, checkout: Checkout, shop: Shop) -> str:
    zones = sorted(candidate_zones(call.phone, checkout.country_code, checkout.province_code))
    return zones[0] if zones else (shop.iana_timezone or "UTC")


def _within_hours(hours: str | None, shop: Shop) -> bool:
    """Whether now is inside the merchant's support hours ("HH:MM-HH:MM" in the shop's zone)."""
    if not hours:
        return True
    start, end = (time.fromisoformat(part) for part in hours.split("-"))
    local = clock.now().astimezone(ZoneInfo(shop.iana_timezone or "UTC")).time()
    return start <= local < end if start < end else (local >= start or local < end)
