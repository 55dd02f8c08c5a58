"""Sending a text: the row first, then one request to Twilio, never a second send.

Every text goes through here: recovery texts (the SMS channel), the link and code a call promised,
the agent's replies. The job reads the row, so a retried or duplicated job sends nothing twice; an
answer lost in transit is reconciled with Twilio's message list, as calls are. A recovery text
reports how its hand-off ended to the engine (`scheduler.record_outcome`), and a later delivery
failure revises it (`scheduler.revise_outcome`): an undelivered text never counts as a contact.
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
from app.recovery import clock, scheduler
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
# Carrier delivery errors (status callbacks). Transient ones (handset off or out of coverage, an
# unknown carrier error) are tried again as the policy plans the next text; the others mean texts
# to this number will keep failing (blocked, no such handset, a landline, carrier filtering), so
# the shop stops texting it. Every one is flagged for the merchant (app.sms.api).
TRANSIENT_DELIVERY_ERRORS = {30003: "unreachable_handset", 30008: "unknown_delivery_error"}
PERMANENT_DELIVERY_ERRORS = {30004: "blocked", 30005: "unknown_handset", 30006: "landline",
                             30007: "carrier_filtered"}
# What a recovery text's hand-off tells the engine (the contact attempt's outcome).
SENT = "sent"
UNDELIVERED = "undelivered"
RECOVERY = "recovery"


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
    if message.not_before is not None and clock.now() < message.not_before:
        db.session.rollback()
        return "early"  # held for the shopper's contact window; its own job comes at the time
    if consent.is_suppressed(message.shop_id, message.phone, "sms"):
        message.status, message.error_code = MessageStatus.FAILED, "suppressed"
        db.session.commit()
        _report(message, UNDELIVERED)
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
    _report(message, _handed_off(message))
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
    dropped = _unusable(message, code)
    db.session.commit()
    scheduler.drop_jobs(dropped)
    log.warning("message %s: Twilio refused it (HTTP %s, code %s)", message.id, exc.status, exc.code)
    _report(message, UNDELIVERED)
    return MessageStatus.FAILED


def delivery_failed(message: Message) -> list[str]:
    """A delivery report said undelivered or failed: what the code means for the number, in the
    report's transaction (flushes). Returns the job ids to drop after commit; `revise` afterwards."""
    try:
        code = int(message.error_code or 0)
    except ValueError:
        code = 0
    if code in PERMANENT_DELIVERY_ERRORS:
        consent.suppress(message.shop_id, message.phone, channel="sms",
                         reason=PERMANENT_DELIVERY_ERRORS[code], source="carrier")
        return []
    return _unusable(message, code)


def revise(message: Message) -> None:
    """After commit: a recovery text found undelivered no longer counts as a contact. The report
    may beat the send job's own (its answer still on the way): then it is the first outcome."""
    attempt_id = _attempt_of(message)
    if attempt_id is not None and not scheduler.record_outcome(attempt_id, UNDELIVERED):
        db.session.rollback()
        begin_writing()
        scheduler.revise_outcome(attempt_id, UNDELIVERED)


def delivered(message: Message) -> None:
    """After commit: a recovery text the carrier took is a contact made, even when the send job
    died before it could say so (its report is a no-op once the attempt has an outcome)."""
    _report(message, SENT)


def _handed_off(message: Message) -> str:
    """The outcome of an accepted text: sent, unless a delivery report already said otherwise."""
    return UNDELIVERED if message.status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED) else SENT


def _unusable(message: Message, code: int | None) -> list[str]:
    """Twilio's word that this number cannot get texts: an opt-out at the carrier (21610) blocks
    the shared sender, so it holds for every shop and every channel; an invalid or landline number
    is off the SMS list of this shop. Flushes; returns the job ids to drop after commit."""
    if code == UNSUBSCRIBED:
        return scheduler.stop_contacting(None, message.phone, reason="sms_unsubscribed", source="twilio")
    if code in UNUSABLE_FOR_SMS:
        consent.suppress(message.shop_id, message.phone, channel="sms", reason=UNUSABLE_FOR_SMS[code],
                         source="twilio")
    return []


def _report(message: Message, outcome: str) -> None:
    """A recovery text's hand-off ended: tell the engine (which plans what follows and commits)."""
    attempt_id = _attempt_of(message)
    if attempt_id is not None:
        scheduler.record_outcome(attempt_id, outcome)


def _attempt_of(message: Message) -> int | None:
    """The contact a recovery text made; when there is one, a writing transaction is begun for its
    report, after this read (SQLite: a transaction that has read cannot take the write lock)."""
    attempt_id = message.attempt_id if message.kind == RECOVERY else None
    if attempt_id is not None:
        db.session.rollback()
        begin_writing()
    return attempt_id


def _reconcile(message: Message) -> str:
    """The answer to our send was lost: if Twilio has the text, adopt it; else send it again."""
    since = message.requested_at - RECONCILE_SLACK
    cfg = current_app.config
    # A messaging service picks the number itself: then only the recipient narrows the list.
    sender = None if cfg["TWILIO_MESSAGING_SERVICE_SID"] else cfg["TWILIO_FROM_NUMBER"] or None
    try:
        listed = telephony.twilio_client().messages.list(to=message.phone, from_=sender,
                                                         date_sent_after=since, limit=50)
    except (TwilioRestException, requests.RequestException):
        # Never send blindly again: the text may have gone out. It stays counted as a contact.
        message.status, message.error_code = MessageStatus.FAILED, "unreconciled"
        db.session.commit()
        _report(message, "unreconciled")
        return MessageStatus.FAILED
    known = set(db.session.execute(select(Message.sid).where(
        Message.sid.is_not(None), Message.phone_hash == message.phone_hash)).scalars())
    found = next((m for m in listed if m.sid not in known and m.body == message.body), None)
    if found is not None:
        _accepted(message, found.sid, found.status)
        db.session.commit()
        _report(message, _handed_off(message))
        return "adopted"
    message.status = MessageStatus.PENDING
    db.session.commit()
    return send(message.id)
