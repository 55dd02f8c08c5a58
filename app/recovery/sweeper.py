"""Re-queues planned contacts whose job is missing from Redis (restart, flush), never twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.recovery import clock, scheduler
from app.recovery.models import AttemptStatus, ContactAttempt, job_id
from app.transactions import begin_writing

log = logging.getLogger(__name__)

# Attempts due within this horizon must have a job now; later ones are checked by a later sweep
# (the sweep runs every 30 s, so this leaves ample margin and keeps Redis small).
LOOKAHEAD = timedelta(minutes=10)
PAGE_SIZE = 500
# One sweep looks at most at this many attempts; the next sweep continues.
MAX_PER_SWEEP = 50_000


def sweep(now: datetime | None = None) -> int:
    """Cancel attempts to opted-out numbers, then queue the job of every scheduled attempt due soon
    whose job is not live; returns how many jobs were queued."""
    now = now or clock.now()
    _cancel_opted_out(now)
    requeued = scanned = 0
    after_id = 0
    while scanned < MAX_PER_SWEEP:
        page = _due_page(now + LOOKAHEAD, after_id)
        if not page:
            break
        try:
            requeued += sum(1 for row in page if _requeue(row))
        except RedisError as exc:
            log.warning("contact sweep stopped, Redis unavailable: %s", type(exc).__name__)
            break
        scanned += len(page)
        after_id = page[-1].id
    if requeued:
        log.info("contact sweep re-queued %d of %d due attempts", requeued, scanned)
    return requeued


def _cancel_opted_out(now: datetime) -> None:
    # Opt-outs arrive by SMS, by voice or from the merchant; whichever path forgot to cancel, this
    # catches it within one sweep (and each job re-checks suppression anyway).
    db.session.rollback()
    begin_writing()  # a read-then-write statement: on SQLite, a writer from the start
    dropped = scheduler.cancel_suppressed(now)
    db.session.commit()
    scheduler.drop_jobs(dropped)
    if dropped:
        log.info("contact sweep canceled %d attempts to opted-out numbers", len(dropped))


def _due_page(horizon: datetime, after_id: int) -> list:
    rows = db.session.execute(
        select(ContactAttempt.id, ContactAttempt.checkout_id, ContactAttempt.seq,
               ContactAttempt.scheduled_at)
        .where(ContactAttempt.status == AttemptStatus.SCHEDULED, ContactAttempt.scheduled_at <= horizon,
               ContactAttempt.id > after_id)
        .order_by(ContactAttempt.id)
        .limit(PAGE_SIZE)
    ).all()
    db.session.rollback()  # end the read: no transaction is held across Redis calls
    return rows


def _requeue(row) -> bool:
    # The deterministic job id is what makes a second sweep (or a racing planner) a no-op.
    at = scheduler.queue_time(row.scheduled_at)
    queued = jobs.enqueue(scheduler.JOB_FUNC, row.id, job_id=job_id(row.checkout_id, row.seq), at=at)
    return queued is not None
