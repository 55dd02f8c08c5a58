"""Placing the call: the row first, then one request to Twilio, and never a second call.

A call row is written (unique per planned contact) before anything is sent. Its status says what is
known: `pending` (nothing sent, or the last request surely failed), `requesting` (a request went out
and its answer was lost: the call may exist), then Twilio's own statuses. A clear HTTP error means no
call exists: transient ones are retried with backoff, permanent ones end the attempt with a reason.
A timeout or dropped connection is reconciled with Twilio's call list before anything else happens.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from twilio.base.exceptions import TwilioException, TwilioRestException

from app import jobs
from app.agent import language_of
from app.consent import queries as consent
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import channels, scheduler
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.shops import settings as shop_settings
from app.shops.models import Shop
from app.telephony import client as telephony
from app.telephony import pacing
from app.transactions import begin_writing
from app.voice import urls
from app.voice.models import FINAL_STATUSES, Call, CallStatus
from app.voice.outcomes import FAILED, final, report

log = logging.getLogger(__name__)

# Retries of a request Twilio clearly refused for a transient reason (429, 5xx, unreachable).
MAX_DIAL_TRIES = 4
RETRY_BACKOFF = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2))
# How long after a lost answer to look the call up in Twilio's call list, and how often to try.
RECONCILE_DELAY = timedelta(seconds=5)
MAX_RECONCILE_TRIES = 5
# Twilio's clock and ours may differ a little: calls created this long before our request count.
RECONCILE_SLACK = timedelta(minutes=2)
# Twilio errors for a number that can never be called: the number is marked unusable.
INVALID_NUMBER_CODES = frozenset({21211, 21214, 21217, 21401, 21407, 13223, 13224})
RING_TIMEOUT_SECONDS = 25
CALL_TIME_LIMIT_SECONDS = 15 * 60
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
JOB_FUNC = "app.voice.dialer.dial"
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@channels.register(channels.CALL, available=telephony.can_call)
def place_call(attempt: ContactAttempt) -> None:
    """The call sender: write the call row for this planned contact, then dial it."""
    call_id = _call_row(attempt)
    dial(call_id)


def dial(call_id: int) -> str:
    """Request the call from Twilio unless it was requested already; the job retries run this too."""
    call = db.session.get(Call, call_id)
    if call is None:
        return "missing"
    if call.status == CallStatus.REQUESTING:
        return reconcile(call_id)
    if call.status != CallStatus.PENDING:
        return call.status
    slot = pacing.wait_for_slot()
    if not slot.reserved:
        # Many calls are due at once: come back when the account's rate has room again.
        _requeue(call, "dial", timedelta(seconds=slot.wait_seconds))
        return "paced"
    db.session.rollback()
    begin_writing()
    call = _locked(call_id)
    if call is None or call.status != CallStatus.PENDING:
        db.session.rollback()
        return "raced"
    if (stop := _reason_not_to_dial(call)) is not None:
        return _give_up(call, stop)
    params = _create_params(call)
    call.status = CallStatus.REQUESTING
    call.requested_at = utcnow()  # Twilio's clock, not the policy's: reconciliation compares them
    call.dial_tries += 1
    db.session.commit()
    return _request(call_id, params)


def requeue(call_id: int) -> bool:
    """Queue `dial` for a call now (the sweeper's way back in after a lost job)."""
    return jobs.try_enqueue(JOB_FUNC, call_id, job_id=f"call-{call_id}-sweep-{int(utcnow().timestamp())}")


def reconcile(call_id: int) -> str:
    """The answer to our request was lost: find the call in Twilio's list, else it never existed."""
    db.session.rollback()
    begin_writing()
    call = _locked(call_id)
    if call is None or call.status != CallStatus.REQUESTING:
        db.session.rollback()
        return "raced" if call is not None else "missing"
    tries = int((call.agent_state or {}).get("reconcile_tries", 0))
    try:
        found = _find_at_twilio(call)
    except (TwilioException, requests.RequestException) as exc:
        if tries + 1 >= MAX_RECONCILE_TRIES:
            # Never redial blindly: without Twilio's word the contact ends here.
            return _give_up(call, "unreconciled")
        call.agent_state = {**(call.agent_state or {}), "reconcile_tries": tries + 1}
        db.session.commit()
        log.warning("call %s: Twilio's call list unavailable (%s); will look again", call.id,
                    type(exc).__name__)
        _requeue(call, "reconcile", RECONCILE_DELAY * (tries + 1))
        return "reconciling"
    if found is not None:
        _adopt(call, found.sid, found.status)
        db.session.commit()
        log.info("call %s: found at Twilio after a lost answer (%s)", call.id, found.status)
        _finish_if_over(call_id, found)
        return "adopted"
    # Twilio has no such call: the request never took effect, so dialing is still safe.
    call.status = CallStatus.PENDING
    db.session.commit()
    log.info("call %s: not at Twilio after a lost answer; dialing again", call.id)
    return dial(call.id)


def _finish_if_over(call_id: int, found) -> None:
    """A call found already over (its callbacks never reached us): record and report its end."""
    begin_writing()
    call = _locked(call_id)
    if call is None or found.status not in FINAL_STATUSES or call.ended_at is not None:
        db.session.commit()
        return
    call.status = found.status
    call.ended_at = utcnow()
    call.duration_seconds = int(found.duration) if str(found.duration or "").isdigit() else None
    call.outcome = final(call, found.status)
    db.session.commit()
    report(call)


def _call_row(attempt: ContactAttempt) -> int:
    """The call row of a planned contact, created once whatever runs this twice."""
    values = {"shop_id": attempt.shop_id, "checkout_id": attempt.checkout_id, "attempt_id": attempt.id,
              "status": CallStatus.PENDING, "phone": attempt.phone, "phone_hash": attempt.phone_hash,
              "dial_tries": 0, "agent_state": {}, "reported": False}
    # A writer from the start: callbacks of other calls commit meanwhile (SQLite, see transactions).
    db.session.rollback()
    begin_writing()
    checkout = db.session.get(Checkout, values["checkout_id"])
    values["language"] = language_of(checkout.customer_locale)
    dialect = db.session.connection().dialect.name
    if dialect in _UPSERTS:
        now = utcnow()
        db.session.execute(_UPSERTS[dialect](Call).values(**values, created_at=now, updated_at=now)
                           .on_conflict_do_nothing(index_elements=["attempt_id"]))
    else:
        db.session.add(Call(**values))
    db.session.commit()
    return db.session.execute(select(Call.id).where(Call.attempt_id == values["attempt_id"])).scalar_one()


def _locked(call_id: int) -> Call | None:
    return db.session.execute(
        select(Call).where(Call.id == call_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _reason_not_to_dial(call: Call) -> str | None:
    """Checked again before every try: an opt-out or uninstall since the last one stops it."""
    attempt = db.session.get(ContactAttempt, call.attempt_id)
    shop = db.session.get(Shop, call.shop_id)
    if attempt is None or attempt.status != AttemptStatus.DISPATCHED:
        return "attempt_closed"
    if shop is None or not shop.is_active:
        return "shop_inactive"
    if consent.is_suppressed(call.shop_id, call.phone, "call"):
        return "suppressed"
    return None


def _request(call_id: int, params: dict) -> str:
    """The one request to Twilio; what its answer means is written in a transaction of its own."""
    try:
        created, error = telephony.twilio_client().calls.create(**params), None
    except (TwilioRestException, requests.RequestException) as exc:
        created, error = None, exc
    # Callbacks may have written to the row meanwhile: write as of now, holding the write lock.
    db.session.rollback()
    begin_writing()
    call = _locked(call_id)
    if isinstance(error, TwilioRestException):
        return _refused(call, error)
    if error is not None:
        if _never_sent(error):
            return _retry_or_give_up(call, "unreachable")
        # Sent, but the answer is lost: the call may exist. Look before doing anything else.
        db.session.rollback()
        log.warning("call %s: Twilio's answer was lost (%s); reconciling", call_id, type(error).__name__)
        _requeue(call, "reconcile", RECONCILE_DELAY)
        return "reconciling"
    _adopt(call, created.sid, created.status)
    db.session.commit()
    log.info("call %s placed for contact attempt %s (try %s)", call_id, call.attempt_id, call.dial_tries)
    return CallStatus.QUEUED


def _create_params(call: Call) -> dict:
    """`calls.create` as the contract fixes it: status callback, async AMD, recording, dual channel."""
    cfg = current_app.config
    shop = db.session.get(Shop, call.shop_id)
    values = shop_settings.resolve(shop.settings.values if shop.settings else None)
    params = {
        "to": call.phone, "from_": cfg["TWILIO_FROM_NUMBER"], "url": urls.answer(call.id), "method": "POST",
        "status_callback": urls.status(call.id), "status_callback_event": STATUS_EVENTS,
        "status_callback_method": "POST",
        "machine_detection": "DetectMessageEnd", "async_amd": "true",
        "async_amd_status_callback": urls.amd(call.id), "async_amd_status_callback_method": "POST",
        "timeout": RING_TIMEOUT_SECONDS, "time_limit": CALL_TIME_LIMIT_SECONDS,
    }
    if values["recording_enabled"]:
        params.update(record=True, recording_channels="dual",
                      recording_status_callback=urls.recording(call.id),
                      recording_status_callback_method="POST")
    return params


def _refused(call: Call, exc: TwilioRestException) -> str:
    """Twilio answered with an error: no call exists."""
    if exc.status == 429 or exc.status >= 500:
        return _retry_or_give_up(call, f"twilio_{exc.code or exc.status}")
    if exc.code in INVALID_NUMBER_CODES:
        # Never retried, never called again: the number is kept off every list of contacts.
        scheduler.drop_jobs(scheduler.stop_contacting(call.shop_id, call.phone, reason="invalid_number",
                                                      source="twilio", canceled_as="invalid_number"))
    log.warning("call %s: Twilio refused the call (HTTP %s, code %s)", call.id, exc.status, exc.code)
    return _give_up(call, f"twilio_{exc.code or exc.status}")


def _retry_or_give_up(call: Call, reason: str) -> str:
    if call.dial_tries >= MAX_DIAL_TRIES:
        return _give_up(call, reason)
    call.status = CallStatus.PENDING
    call.error = reason[:64]
    db.session.commit()
    delay = RETRY_BACKOFF[min(call.dial_tries - 1, len(RETRY_BACKOFF) - 1)]
    log.warning("call %s: transient failure (%s); retry %d in %ss", call.id, reason, call.dial_tries,
                int(delay.total_seconds()))
    _requeue(call, "dial", delay)
    return "retrying"


def _give_up(call: Call, reason: str) -> str:
    call.status = CallStatus.FAILED
    call.error = reason[:64]
    call.outcome = FAILED
    call.ended_at = utcnow()
    db.session.commit()
    report(call)
    return CallStatus.FAILED


def _adopt(call: Call, sid: str, status: str | None) -> None:
    """Record Twilio's sid; a callback that arrived first may have moved the status on already."""
    db.session.execute(update(Call).where(Call.id == call.id, Call.sid.is_(None)).values(sid=sid)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Call).where(Call.id == call.id, Call.status == CallStatus.REQUESTING)
                       .values(status=status or CallStatus.QUEUED, error=None)
                       .execution_options(synchronize_session=False))
    db.session.expire(call)


def _find_at_twilio(call: Call):
    """A call to this number from our number, created since our request, not already ours."""
    since = call.requested_at - RECONCILE_SLACK
    listed = telephony.twilio_client().calls.list(
        to=call.phone, from_=current_app.config["TWILIO_FROM_NUMBER"], start_time_after=since, limit=50)
    known = set(db.session.execute(select(Call.sid).where(Call.sid.is_not(None),
                                                          Call.phone_hash == call.phone_hash)).scalars())
    candidates = [c for c in listed if c.sid not in known and _created_at(c) >= since]
    return min(candidates, key=_created_at, default=None)


def _created_at(resource) -> datetime:
    return resource.date_created or resource.start_time or utcnow()


def _never_sent(exc: requests.RequestException) -> bool:
    """A refused or timed-out connection: the request cannot have reached Twilio."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    return isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)


def _requeue(call: Call, step: str, delay: timedelta) -> None:
    """Run `dial` for the call again after `delay` (real time: RQ's scheduler runs on it).

    Job ids are unique per try (a running job re-queueing itself must not collide with its own id);
    a duplicate does no harm, since `dial` decides under the row lock. Lost in a Redis outage, the
    call sweeper picks the call up."""
    at = utcnow() + delay
    jobs.try_enqueue(JOB_FUNC, call.id, job_id=f"call-{call.id}-{step}-{int(at.timestamp() * 1000)}",
                     at=scheduler.queue_time(at))
