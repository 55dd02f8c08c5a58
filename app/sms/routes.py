"""Twilio's delivery reports for the texts we send."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from app.extensions import db
from app.recovery import scheduler
from app.sms import inbound, outbox
from app.sms.models import Message, MessageStatus
from app.telephony.validation import twilio_request
from app.transactions import begin_writing

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/twilio/sms")

# A delivery report never moves a text back: 'sent' arriving after 'delivered' is ignored.
_RANK = {MessageStatus.PENDING: 0, MessageStatus.REQUESTING: 1, MessageStatus.ACCEPTED: 2,
         MessageStatus.QUEUED: 3, MessageStatus.SENDING: 4, MessageStatus.SENT: 5,
         MessageStatus.DELIVERED: 6, MessageStatus.UNDELIVERED: 6, MessageStatus.FAILED: 6}
_FINAL = (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED)


@bp.post("/incoming")
@twilio_request
def incoming():
    """A shopper's text: keywords honoured at once, anything else answered by the agent (contract)."""
    if request.form.get("AccountSid") != current_app.config["TWILIO_ACCOUNT_SID"]:
        return Response("<Response/>", mimetype="text/xml")
    db.session.rollback()
    begin_writing()
    body = inbound.answer(request.form.get("From", "")[:32], request.form.get("Body", "")[:1600],
                          request.form.get("OptOutType") or None, request.form.get("MessageSid", "")[:64])
    return Response(body, mimetype="text/xml")


@bp.post("/status")
@twilio_request
def status():
    raw = request.args.get("message", "")
    if not raw.isdigit() or len(raw) > 12 or request.form.get("AccountSid") != current_app.config[
            "TWILIO_ACCOUNT_SID"]:
        return Response("<Response/>", mimetype="text/xml")
    db.session.rollback()
    begin_writing()
    message = db.session.execute(select(Message).where(Message.id == int(raw)).with_for_update()
                                 .execution_options(populate_existing=True)).scalar_one_or_none()
    sid = request.form.get("MessageSid", "")
    if message is None or (message.sid and sid and message.sid != sid):
        db.session.rollback()
        log.info("delivery report for an unknown text; ignored")
        return Response("<Response/>", mimetype="text/xml")
    new = request.form.get("MessageStatus", "")
    failed, dropped = False, []
    if new in _RANK and _RANK[new] >= _RANK.get(message.status, 0) and message.status not in _FINAL:
        message.status = new
        message.sid = message.sid or sid[:64] or None
        if request.form.get("ErrorCode"):
            message.error_code = request.form["ErrorCode"][:16]
        failed = new in (MessageStatus.UNDELIVERED, MessageStatus.FAILED)
        if failed:
            dropped = outbox.delivery_failed(message)
            log.info("message %s not delivered (code %s)", message.id, message.error_code)
    db.session.commit()
    scheduler.drop_jobs(dropped)
    if failed:
        outbox.revise(message)
    elif new in (MessageStatus.SENT, MessageStatus.DELIVERED):
        outbox.delivered(message)
    return Response("<Response/>", mimetype="text/xml")

