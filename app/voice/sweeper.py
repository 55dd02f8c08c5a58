"""The safety net for calls: a lost job or a lost callback never leaves a contact open for good."""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from sqlalchemy import select
from twilio.base.exceptions import TwilioException

from app.dbtypes import utcnow
from app.extensions import db
from app.telephony import client as telephony
from app.transactions import begin_writing
from app.voice import dialer, outcomes
from app.voice.models import FINAL_STATUSES, Call, CallStatus

log = logging.getLogger(__name__)

# A call not yet known to Twilio this long after its last change lost its job (Redis outage).
STALLED_AFTER = timedelta(minutes=2)
# A call still "live" this long after it was placed lost its final callback: ask Twilio.
OVERDUE_AFTER = timedelta(seconds=dialer.CALL_TIME_LIMIT_SECONDS) + timedelta(minutes=10)
BATCH = 100


def sweep() -> dict[str, int]:
    """Re-queue stalled dials; close calls whose final callback never came, from Twilio's record."""
    now = utcnow()
    stalled = db.session.execute(
        select(Call.id).where(Call.status.in_((CallStatus.PENDING, CallStatus.REQUESTING)),
                              Call.updated_at < now - STALLED_AFTER).limit(BATCH)
    ).scalars().all()
    for call_id in stalled:
        dialer.requeue(call_id)
    not_live = [*FINAL_STATUSES, CallStatus.PENDING, CallStatus.REQUESTING]
    overdue = db.session.execute(
        select(Call.id).where(Call.status.not_in(not_live), Call.sid.is_not(None),
                              Call.created_at < now - OVERDUE_AFTER).limit(BATCH)
    ).scalars().all()
    closed = sum(_close_from_twilio(call_id) for call_id in overdue)
    db.session.rollback()
    if stalled or closed:
        log.info("call sweep: %d stalled dials re-queued, %d overdue calls closed", len(stalled), closed)
    return {"requeued": len(stalled), "closed": closed}


def _close_from_twilio(call_id: int) -> bool:
    call = db.session.get(Call, call_id)
    try:
        known = telephony.twilio_client().calls(call.sid).fetch()
    except (TwilioException, requests.RequestException) as exc:
        log.warning("call %s: Twilio's record unavailable (%s)", call_id, type(exc).__name__)
        return False
    if known.status not in FINAL_STATUSES:
        return False
    db.session.rollback()
    begin_writing()
    call = db.session.execute(select(Call).where(Call.id == call_id).with_for_update()).scalar_one()
    if call.ended_at is not None:
        db.session.rollback()
        return False
    call.status = known.status
    call.ended_at = utcnow()
    call.duration_seconds = int(known.duration) if str(known.duration or "").isdigit() else None
    call.outcome = outcomes.final(call, known.status)
    db.session.commit()
    outcomes.report(call)
    return True
