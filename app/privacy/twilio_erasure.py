"""Erasure at Twilio: recordings, message logs and call logs deleted there until Twilio confirms.

An erasure deletes its rows here and, in the same transaction, `schedule`s one `TwilioDeletion` per
resource Twilio still holds: the intent commits with the erasure, so neither a crash nor a Twilio
outage can lose it. After commit `enqueue_due` hands each row to a `delete` job; a failed try waits
out a doubling backoff and the periodic `sweep` queues it again when due. Only Twilio's 204 (deleted)
or 404 (already gone) ends a row; one that keeps failing is flagged `stuck` for an operator and is
still retried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from twilio.base.exceptions import TwilioException, TwilioRestException

from app import jobs
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.privacy.models import DeletionStatus, TwilioDeletion
from app.recovery import clock
from app.telephony import client as telephony
from app.transactions import begin_writing

log = logging.getLogger(__name__)

JOB_FUNC = "app.privacy.twilio_erasure.delete"
RESOURCES = ("recording", "message", "call")
# Statuses whose row still waits for Twilio's confirmation.
OPEN = (DeletionStatus.PENDING, DeletionStatus.STUCK)
# Twilio's answers that end a row: deleted now, or already gone (deleted before, or never kept).
DELETED = 204
ALREADY_GONE = 404
# Retry waits: 1 min, 2, 4, ... doubling per failed try, never more than 6 h apart.
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
# Failed tries after which a row is flagged for an operator (still retried at BACKOFF_MAX).
STUCK_AFTER = 8
NOT_CONFIGURED = "twilio_not_configured"
ENQUEUE_BATCH = 500
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class _Answer:
    """What one DELETE came to: `done`, or why not (status None: no HTTP answer at all)."""

    done: bool
    status: int | None = None
    error: str | None = None


def schedule(shop_id: int | None, resource: str, sid: str | None) -> None:
    """Record that Twilio must delete `sid`, in the caller's transaction (no commit); once per sid."""
    schedule_many(shop_id, [(resource, sid)])


def schedule_many(shop_id: int | None, items: Iterable[tuple[str, str | None]]) -> None:
    """`schedule` for many resources in one statement (a shop's erasure holds thousands)."""
    rows = _rows(shop_id, items)
    if not rows:
        return
    dialect = db.session.connection().dialect.name
    insert = _UPSERTS[dialect](TwilioDeletion.__table__).on_conflict_do_nothing(
        index_elements=["resource", "sid"])
    db.session.execute(insert, rows)


def schedule_selected(query) -> None:
    """`schedule` for every (shop_id, resource, sid) row `query` selects, inside the database: a shop's
    erasure schedules its calls, recordings and messages by the hundred thousand, with no round trip
    per row (rows with a NULL sid are skipped)."""
    rows = query.subquery()
    now = clock.now()
    source = select(rows.c[0], rows.c[1], rows.c[2], literal(DeletionStatus.PENDING.value), literal(0),
                    literal(now, UTCDateTime), literal(now, UTCDateTime)).where(rows.c[2].is_not(None))
    dialect = db.session.connection().dialect.name
    insert = _UPSERTS[dialect](TwilioDeletion.__table__).from_select(
        ["shop_id", "resource", "sid", "status", "attempts", "next_attempt_at", "created_at"], source,
    ).on_conflict_do_nothing(index_elements=["resource", "sid"])
    db.session.execute(insert)


def enqueue_due(limit: int = ENQUEUE_BATCH) -> int:
    """After commit: queue a `delete` job for each open row that is due; returns how many were queued.

    The job id carries the attempt count, so a row waiting in the queue is not queued twice, and
    its next try, after a failure, gets a job of its own."""
    due = db.session.execute(
        select(TwilioDeletion.id, TwilioDeletion.attempts)
        .where(TwilioDeletion.status.in_(OPEN),
               or_(TwilioDeletion.next_attempt_at.is_(None), TwilioDeletion.next_attempt_at <= clock.now()))
        .order_by(TwilioDeletion.next_attempt_at, TwilioDeletion.id).limit(limit)
    ).all()
    db.session.rollback()
    return sum(jobs.try_enqueue(JOB_FUNC, row_id, job_id=f"twilio-delete-{row_id}-{attempts}")
               for row_id, attempts in due)


def sweep() -> int:
    """The periodic safety net: retries that came due, and jobs lost to a Redis outage or a dead worker."""
    queued = enqueue_due()
    if queued:
        log.info("twilio erasure sweep: %d deletions queued", queued)
    return queued


def delete(deletion_id: int) -> str:
    """The job: ask Twilio to delete one resource and record its answer; returns the row's status.

    No transaction is held while Twilio answers (on SQLite it would be the one write lock)."""
    db.session.rollback()
    deletion = db.session.get(TwilioDeletion, deletion_id, populate_existing=True)
    if deletion is None or deletion.status == DeletionStatus.DONE:
        status = "missing" if deletion is None else deletion.status
        db.session.rollback()
        return status
    resource, sid = deletion.resource, deletion.sid
    db.session.rollback()
    if not _has_credentials():
        return _record(deletion_id, _Answer(False, error=NOT_CONFIGURED), counted=False)
    return _record(deletion_id, _ask_twilio(resource, sid))


def status_counts() -> dict[str, int]:
    """How many deletions are pending, done and stuck (every status present, zero when none)."""
    counts = dict(db.session.execute(
        select(TwilioDeletion.status, func.count()).group_by(TwilioDeletion.status)).all())
    return {status.value: counts.get(status.value, 0) for status in DeletionStatus}


def stuck(limit: int = 50) -> list[TwilioDeletion]:
    """The deletions an operator should look at, longest failing first."""
    return list(db.session.execute(
        select(TwilioDeletion).where(TwilioDeletion.status == DeletionStatus.STUCK)
        .order_by(TwilioDeletion.created_at, TwilioDeletion.id).limit(limit)).scalars())


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: doubling from BACKOFF_FIRST, capped at BACKOFF_MAX."""
    if attempts < 1:
        return BACKOFF_FIRST
    # Past the cap's exponent the doubling only overflows; 2**20 minutes is far beyond 6 h.
    return min(BACKOFF_FIRST * 2 ** min(attempts - 1, 20), BACKOFF_MAX)


def _rows(shop_id: int | None, items: Iterable[tuple[str, str | None]]) -> list[dict]:
    now = clock.now()
    unique = {}
    for resource, sid in items:
        if resource not in RESOURCES:
            raise ValueError(f"unknown Twilio resource {resource!r}; expected one of {RESOURCES}")
        if sid:
            unique[(resource, sid)] = {
                "shop_id": shop_id, "resource": resource, "sid": sid, "status": DeletionStatus.PENDING.value,
                "attempts": 0, "next_attempt_at": now, "created_at": utcnow()}
    return list(unique.values())


def _has_credentials() -> bool:
    """A DELETE needs only the account's credentials (no sender): erasure goes on without one."""
    cfg = current_app.config
    return bool(cfg.get("TWILIO_ACCOUNT_SID") and cfg.get("TWILIO_AUTH_TOKEN"))


def _ask_twilio(resource: str, sid: str) -> _Answer:
    twilio = telephony.twilio_client()
    instance = {"recording": twilio.recordings, "message": twilio.messages, "call": twilio.calls}[resource]
    try:
        deleted = instance(sid).delete()
    except TwilioRestException as exc:
        if exc.status == ALREADY_GONE:
            return _Answer(True, ALREADY_GONE)
        return _Answer(False, exc.status, f"{type(exc).__name__}: HTTP {exc.status}")
    except (TwilioException, requests.RequestException) as exc:
        return _Answer(False, error=type(exc).__name__)
    # The SDK says True for a 204 only; any other success code leaves the resource in doubt.
    return _Answer(True, DELETED) if deleted else _Answer(False, error="unexpected_answer")


def _record(deletion_id: int, answer: _Answer, *, counted: bool = True) -> str:
    """Write the answer as of now, as a writer: the row may have changed while Twilio answered.

    `counted` False: no request was made (Twilio not configured), so the row keeps its attempt count
    and stays pending, waiting the backoff its count already earned."""
    db.session.rollback()
    begin_writing()
    deletion = db.session.execute(
        select(TwilioDeletion).where(TwilioDeletion.id == deletion_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if deletion is None or deletion.status == DeletionStatus.DONE:
        status = "missing" if deletion is None else deletion.status
        db.session.rollback()
        return status
    if answer.done:
        _done(deletion, answer.status)
    else:
        _failed(deletion, answer, counted)
    status = str(deletion.status)
    db.session.commit()
    return status


def _done(deletion: TwilioDeletion, status: int) -> None:
    deletion.status, deletion.last_status, deletion.done_at = DeletionStatus.DONE, status, clock.now()
    deletion.next_attempt_at = None
    log.info("twilio deletion %s (%s): done, HTTP %s", deletion.id, deletion.resource, status)


def _failed(deletion: TwilioDeletion, answer: _Answer, counted: bool) -> None:
    if counted:
        deletion.attempts += 1
        deletion.last_status = answer.status
    deletion.last_error = answer.error[:255]
    deletion.next_attempt_at = clock.now() + backoff(max(deletion.attempts, 1))
    if deletion.attempts >= STUCK_AFTER:
        deletion.status = DeletionStatus.STUCK
    log.warning("twilio deletion %s (%s): %s after %d attempts (%s); next try %s", deletion.id,
                deletion.resource, deletion.status, deletion.attempts, answer.error,
                _iso(deletion.next_attempt_at))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
