"""Sending a text: the row first, then one request to Twilio, never a second send.

Texts promised on a call (the recovery link, a discount code) go through here; the SMS recovery
channel builds on it. The job reads the row, so a retried or duplicated job sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from app import jobs
from app.consent import queries as consent
from app.consent.suppression import phone_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import scheduler
from app.sms.models import Message, MessageStatus
from app.telephony import client as telephony
from app.transactions import begin_writing

log = logging.getLogger(__name__)

JOB_FUNC = "app.sms.outbox.send"
STATUS_PATH = "/twilio/sms/status"
MAX_SEND_TRIES = 3
RETRY_DELAY = timedelta(seconds=10)
RECONCILE_SLACK = timedelta(minutes=2)
# Twilio's answer to a send that can never succeed for this number, and what it means for it.
UNSUBSCRIBED = 21610
UNUSABLE_FOR_SMS = {21211: "invalid_number", 21614: "not_mobile", 21612: "unreachable"}


def queue_text(*, shop_id: int, phone: str, body: str, kind: str, checkout_id: int | None = None,
               attempt_id: int | None = None, call_id: int | None = None) -> Message:
    """Write an outbound text as pending (flushes, never commits); `enqueue` it after commit."""
    message = Message(shop_id=shop_id, phone=phone, phone_hash=phone_hash(phone), body=body, kind=kind,
                      checkout_id=checkout_id, attempt_id=attempt_id, call_id=call_id,
                      direction="outbound", status=MessageStatus.PENDING, send_tries=0)
    db.session.add(message)
    db.session.flush()
    return message


def enqueue(message_id: int, *, step: str = "send", delay: timedelta | None = None) -> bool:
    at = scheduler.queue_time(utcnow() + delay) if delay else None
    return jobs.try_enqueue(JOB_FUNC, message_id, job_id=f"message-{message_id}-{step}", at=at)


def send(message_id: int) -> str:
    """The send job: hand a pending text to Twilio once; look it up if an answer was lost."""
    db.session.rollback()
    begin_writing()
    message = _locked(message_id)
    if message is None:
        db.session.rollback()
        return "missing"
    if message.status == MessageStatus.REQUESTING:
        return _reconcile(message)
    if message.status != MessageStatus.PENDING:
        db.session.rollback()
        return message.status
    if consent.is_suppressed(message.shop_id, message.phone, "sms"):
        message.status, message.error_code = MessageStatus.FAILED, "suppressed"
        db.session.commit()
        return "suppressed"
    message.status = MessageStatus.REQUESTING
    message.requested_at = utcnow()
    message.send_tries += 1
    params = _create_params(message)
    db.session.commit()
    return _request(message_id, params)


def status_url(message_id: int) -> str:
    return f"{current_app.config['APP_URL'].rstrip('/')}{STATUS_PATH}?message={message_id}"


def _create_params(message: Message) -> dict:
    cfg = current_app.config
    sender = ({"messaging_service_sid": cfg["TWILIO_MESSAGING_SERVICE_SID"]}
              if cfg["TWILIO_MESSAGING_SERVICE_SID"] else {"from_": cfg["TWILIO_FROM_NUMBER"]})
    return {"to": message.phone, "body": message.body, "status_callback": status_url(message.id), **sender}


def _request(message_id: int, params: dict) -> str:
    try:
        created, error = telephony.twilio_client().messages.create(**params), None
    except (TwilioRestException, requests.RequestException) as exc:
        created, error = None, exc
    # A delivery report may have written to the row meanwhile: write as of now, as a writer.
    db.session.rollback()
    begin_writing()
    message = _locked(message_id)
    if isinstance(error, TwilioRestException):
        return _refused(message, error)
    if error is not None:
        db.session.rollback()
        log.warning("message %s: Twilio's answer was lost (%s); reconciling", message_id,
                    type(error).__name__)
        enqueue(message_id, step="reconcile", delay=RETRY_DELAY)
        return "reconciling"
    _accepted(message, created.sid, created.status)
    db.session.commit()
    return message.status


def _locked(message_id: int) -> Message | None:
    return db.session.execute(select(Message).where(Message.id == message_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _accepted(message: Message, sid: str, status: str | None) -> None:
    """Record Twilio's sid; a delivery report that came first may have moved the status on."""
    message.sid = message.sid or sid
    if message.status == MessageStatus.REQUESTING:
        message.status = status or MessageStatus.QUEUED


def _refused(message: Message, exc: TwilioRestException) -> str:
    code = exc.code or exc.status
    message.error_code = str(code)[:16]
    if (exc.status == 429 or exc.status >= 500) and message.send_tries < MAX_SEND_TRIES:
        message.status = MessageStatus.PENDING
        db.session.commit()
        enqueue(message.id, step=f"retry-{message.send_tries}", delay=RETRY_DELAY * message.send_tries)
        return "retrying"
    message.status = MessageStatus.FAILED
    if code == UNSUBSCRIBED:
        scheduler.drop_jobs(scheduler.stop_contacting(message.shop_id, message.phone,
                                                      reason="sms_unsubscribed", source="twilio"))
    elif code in UNUSABLE_FOR_SMS:
        consent.suppress(message.shop_id, message.phone, channel="sms", reason=UNUSABLE_FOR_SMS[code],
                         source="twilio")
    db.session.commit()
    log.warning("message %s: Twilio refused it (HTTP %s, code %s)", message.id, exc.status, exc.code)
    return MessageStatus.FAILED


def _reconcile(message: Message) -> str:
    """The answer to our send was lost: if Twilio has the text, adopt it; else send it again."""
    since = message.requested_at - RECONCILE_SLACK
    sender = current_app.config["TWILIO_FROM_NUMBER"] or None
    try:
        listed = telephony.twilio_client().messages.list(to=message.phone, from_=sender,
                                                         date_sent_after=since, limit=50)
    except (TwilioRestException, requests.RequestException):
        message.status, message.error_code = MessageStatus.FAILED, "unreconciled"
        db.session.commit()
        return MessageStatus.FAILED
    known = set(db.session.execute(select(Message.sid).where(
        Message.sid.is_not(None), Message.phone_hash == message.phone_hash)).scalars())
    found = next((m for m in listed if m.sid not in known and m.body == message.body), None)
    if found is not None:
        _accepted(message, found.sid, found.status)
        db.session.commit()
        return "adopted"
    message.status = MessageStatus.PENDING
    db.session.commit()
    return send(message.id)
