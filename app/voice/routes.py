"""Twilio's requests about a call: TwiML for each turn, then status, AMD and recording callbacks.

Every route checks Twilio's signature first (403), finds the call by the id in its URL (the sid may
not be stored yet: Twilio can call back before the dial job has committed), and never answers 5xx
to odd input: unknown calls, repeated or out-of-order callbacks are logged and acknowledged.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from app.agent import Utterance
from app.dbtypes import utcnow
from app.extensions import db
from app.telephony.validation import twilio_request
from app.transactions import begin_writing
from app.voice import conversation, inbound, outcomes
from app.voice.models import FINAL_STATUSES, STATUS_RANK, Call, CallStatus
from app.voice.urls import PREFIX

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix=PREFIX)

TWIML = "text/xml"
MACHINE_PREFIX = "machine_end"
_MAX_SPEECH_CHARS = 1000


def _twiml(body: str) -> Response:
    return Response(body, mimetype=TWIML)


def _call() -> Call | None:
    """The call named in the URL, locked, if Twilio's CallSid and account agree with it."""
    raw = request.args.get("call", "")
    if not raw.isdigit() or len(raw) > 12:
        return None
    db.session.rollback()
    begin_writing()
    call = db.session.execute(select(Call).where(Call.id == int(raw)).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    sid = request.form.get("CallSid", "")
    if call is None or request.form.get("AccountSid") != current_app.config["TWILIO_ACCOUNT_SID"]:
        return None
    if call.sid is None and sid:
        call.sid = sid[:64]
    elif sid and call.sid != sid:
        return None
    return call


def _advance(call: Call, status: str) -> bool:
    """Move the status forward only: a late 'ringing' never undoes 'completed'."""
    if status not in STATUS_RANK or STATUS_RANK[status] < STATUS_RANK.get(call.status, 0):
        return False
    if call.status in FINAL_STATUSES:
        return False
    call.status = status
    return True


@bp.post("/answer")
@twilio_request
def answer():
    call = _call()
    if call is None:
        log.warning("voice answer for an unknown call; hanging up")
        return _twiml(conversation.twiml.hangup())
    if call.turns:
        # Twilio fetched the answer URL again (a retry): resume listening, never repeat side effects.
        ended = call.status in FINAL_STATUSES
        body = conversation.twiml.hangup() if ended else conversation.start_again(call)
    else:
        _advance(call, CallStatus.IN_PROGRESS)
        call.answered_at = call.answered_at or utcnow()
        body = conversation.start(call)
    db.session.commit()
    return _twiml(body)


@bp.post("/turn")
@twilio_request
def turn():
    call = _call()
    if call is None or call.status in FINAL_STATUSES:
        return _twiml(conversation.twiml.hangup())
    utterance = Utterance(text=request.form.get("SpeechResult", "")[:_MAX_SPEECH_CHARS],
                          confidence=_confidence(request.form.get("Confidence")),
                          digits=request.form.get("Digits", "")[:8])
    body = conversation.take_turn(call, utterance)
    db.session.commit()
    conversation.after_commit()
    return _twiml(body)


@bp.post("/status")
@twilio_request
def status():
    call = _call()
    if call is None:
        log.info("status callback for an unknown call; ignored")
        return _twiml("<Response/>")
    new = request.form.get("CallStatus", "")
    _advance(call, new)
    if request.form.get("AnsweredBy"):
        call.answered_by = request.form["AnsweredBy"][:32]
    if new == CallStatus.IN_PROGRESS:
        call.answered_at = call.answered_at or utcnow()
    if new in FINAL_STATUSES and call.ended_at is None:
        call.ended_at = utcnow()
        call.duration_seconds = _int(request.form.get("CallDuration"))
        call.outcome = outcomes.final(call, new)
        db.session.commit()
        log.info("call %s ended %s after %ss: %s", call.id, new, call.duration_seconds, call.outcome)
        outcomes.report(call)
        return _twiml("<Response/>")
    db.session.commit()
    return _twiml("<Response/>")


@bp.post("/amd")
@twilio_request
def amd():
    """Async AMD: the call is live already; on a machine, replace what plays with the voicemail."""
    call = _call()
    if call is None:
        return _twiml("<Response/>")
    answered_by = request.form.get("AnsweredBy", "")[:32]
    call.answered_by = answered_by
    body = None
    if any(turn.role == conversation.SHOPPER for turn in call.turns):
        # Someone is already talking with the assistant: a late "machine" verdict is wrong.
        pass
    elif call.status not in FINAL_STATUSES and answered_by.startswith(MACHINE_PREFIX):
        body = conversation.voicemail_twiml(call)
    elif call.status not in FINAL_STATUSES and answered_by == "fax":
        body = conversation.twiml.hangup()
    db.session.commit()
    if body is not None:
        conversation.redirect_live_call(call, body)
    return _twiml("<Response/>")


@bp.post("/recording")
@twilio_request
def recording():
    call = _call()
    if call is None:
        return _twiml("<Response/>")
    if request.form.get("RecordingStatus", "completed") == "completed" and request.form.get("RecordingSid"):
        call.recording_sid = request.form["RecordingSid"][:64]
        call.recording_duration_seconds = _int(request.form.get("RecordingDuration"))
    db.session.commit()
    return _twiml("<Response/>")


@bp.post("/incoming")
@twilio_request
def incoming():
    """A shopper calls the number that called them (the voicemail tells them to): the way out."""
    if request.form.get("AccountSid") != current_app.config["TWILIO_ACCOUNT_SID"]:
        return _twiml(conversation.twiml.hangup())
    choice = current_app.config["APP_URL"].rstrip("/") + inbound.CHOICE_PATH
    return _twiml(inbound.greeting(request.form.get("From", "")[:32], choice))


@bp.post("/incoming/choice")
@twilio_request
def incoming_choice():
    if request.form.get("AccountSid") != current_app.config["TWILIO_ACCOUNT_SID"]:
        return _twiml(conversation.twiml.hangup())
    db.session.rollback()
    begin_writing()
    return _twiml(inbound.choose(request.form.get("From", "")[:32],
                                 request.form.get("SpeechResult", "")[:_MAX_SPEECH_CHARS],
                                 request.form.get("Digits", "")[:8]))


def _confidence(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and 0.0 <= value <= 1.0 else None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 9 else None
