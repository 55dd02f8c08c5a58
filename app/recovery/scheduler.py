"""The policy's plan as ContactAttempt rows (the source of truth) and RQ jobs that deliver them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import select, update

from app import jobs
from app.consent.models import Suppression, SuppressionChannel
from app.consent.suppression import applies_to
from app.consent.suppression import suppress as consent_suppress
from app.crypto import lookup_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import clock, holdout, policy, shoppers
from app.recovery.facts import facts_for, has_consent, holdout_secret, settings_for
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, job_id
from app.shops.models import Shop

log = logging.getLogger(__name__)

# The job function, by name: RQ imports it in the worker (and this module need not import it).
JOB_FUNC = "app.recovery.jobs.run_attempt"
# A checkout never gets more planned rows than this, whatever the policy says: a guard against a
# plan that keeps being skipped (each skip re-plans) turning into an endless chain.
MAX_PLANNED_ATTEMPTS = 20
HOLDOUT_REASON = "holdout"
OPTED_OUT = "opt_out"


@dataclass(frozen=True)
class Queued:
    """An attempt whose job must be (re)queued once the transaction that planned it commits."""

    attempt_id: int
    job_id: str
    at: datetime
    replaces: bool = False  # the attempt was moved: its old job (if any) must go first


def plan(checkout: Checkout, shop: Shop, now: datetime, *,
         not_before: datetime | None = None) -> Queued | None:
    """Make the checkout's one pending attempt match the policy's next step; flushes, never commits.

    A pending attempt the policy no longer wants is canceled here; its job, if it still runs, finds
    the row canceled and does nothing. `not_before` plans as of a later moment (after a skip).
    """
    facts = facts_for(checkout, shop, now)
    settings = settings_for(shop)
    _decide_holdout(checkout, shop, facts, settings, now)
    pending = _pending(checkout)
    planned_from = max(now, not_before) if not_before else now
    decision = _next_step(checkout, replace(facts, holdout=bool(checkout.holdout)), settings, planned_from)
    if isinstance(decision, policy.Stop):
        if pending is not None:
            _cancel_where(ContactAttempt.id == pending.id, decision.reason, now)
        return None
    if pending is not None:
        return _move(pending, decision.channel, decision.at)
    if len(checkout.attempts) >= MAX_PLANNED_ATTEMPTS:
        log.warning("checkout %s reached %d planned attempts; no more", checkout.id, MAX_PLANNED_ATTEMPTS)
        return None
    return _add(checkout, decision.channel, decision.at)


def enqueue(queued: Queued) -> bool:
    """Queue (or re-queue) an attempt's job after commit; a Redis outage is left to the sweeper."""
    if queued.replaces:
        drop_jobs([queued.job_id])
    return jobs.try_enqueue(JOB_FUNC, queued.attempt_id, job_id=queued.job_id, at=queue_time(queued.at))


def queue_time(due: datetime) -> datetime | None:
    """When to hand a job to RQ: None (at once) when already due, else `due` rounded up to a whole
    second, because RQ's scheduler keeps whole seconds and would otherwise run it a fraction early.
    Queue time is real time: RQ's scheduler runs on it, whatever the policy clock says."""
    if due <= utcnow():
        return None
    return due.replace(microsecond=0) + (timedelta(seconds=1) if due.microsecond else timedelta(0))


def cancel_checkout(checkout: Checkout, reason: str, now: datetime | None = None) -> list[str]:
    """Cancel every pending attempt of a checkout; returns the job ids to drop after commit."""
    return _cancel_where(ContactAttempt.checkout_id == checkout.id, reason, now)


def cancel_checkouts(checkout_ids: Iterable[int], reason: str, now: datetime | None = None) -> list[str]:
    """Cancel every pending attempt of these checkouts (a customer erased)."""
    return _cancel_where(ContactAttempt.checkout_id.in_(list(checkout_ids)), reason, now)


def supersede(checkout: Checkout, now: datetime) -> list[str]:
    """Cancel the pending contacts of the shopper's older checkouts once this newer one holds
    consent: one person, one conversation. Returns the job ids to drop after commit."""
    if not has_consent(checkout):
        return []
    older = [c.id for c in shoppers.conversation(checkout, now)
             if shoppers.recency(c) < shoppers.recency(checkout)]
    if not older:
        return []
    return _cancel_where(ContactAttempt.checkout_id.in_(older), policy.Reason.SUPERSEDED, now)


def cancel_shop(shop_id: int, reason: str, now: datetime | None = None) -> list[str]:
    """Cancel every pending attempt of a shop (uninstall)."""
    return _cancel_where(ContactAttempt.shop_id == shop_id, reason, now)


def cancel_phone(shop_id: int | None, phone_e164: str, reason: str,
                 now: datetime | None = None) -> list[str]:
    """Cancel every pending attempt to a number (opt-out), of one shop or of every shop (None);
    flushes, never commits."""
    checkouts = select(Checkout.id).where(Checkout.phone_hash == lookup_hash(phone_e164))
    if shop_id is not None:
        checkouts = checkouts.where(Checkout.shop_id == shop_id)
    return _cancel_where(ContactAttempt.checkout_id.in_(checkouts), reason, now)


def stop_contacting(shop_id: int | None, phone_e164: str, *, reason: str, source: str,
                    canceled_as: str = OPTED_OUT, now: datetime | None = None) -> list[str]:
    """An opt-out (or a number that must never be reached again): on the do-not-contact list for
    every channel, and every pending contact to it canceled, in the caller's transaction; for one
    shop, or for every shop when `shop_id` is None (an SMS opt-out: the sender is shared). Returns
    the job ids to drop after commit."""
    consent_suppress(shop_id, phone_e164, channel="all", reason=reason, source=source)
    return cancel_phone(shop_id, phone_e164, canceled_as, now)


def cancel_suppressed(now: datetime | None = None) -> list[str]:
    """Cancel pending attempts to numbers on the do-not-contact list for their channel (or for all),
    the shop's list or the sender-wide one, whatever path put them there."""
    listed = (select(Suppression.id).join(Checkout, Checkout.phone_hash == Suppression.phone_hash)
              .where(Checkout.id == ContactAttempt.checkout_id, applies_to(Checkout.shop_id),
                     Suppression.channel.in_((ContactAttempt.channel, SuppressionChannel.ALL))))
    return _cancel_where(listed.exists(), OPTED_OUT, now)


def drop_jobs(job_ids: list[str]) -> None:
    """Remove queued jobs, best effort: a job that survives re-checks its row and does nothing."""
    try:
        for each in job_ids:
            jobs.cancel(each)
    except RedisError as exc:
        log.warning("could not drop %d queued contact jobs: %s", len(job_ids), type(exc).__name__)


def record_outcome(attempt_id: int, outcome: str, now: datetime | None = None) -> bool:
    """A channel reports how a dispatched attempt ended; plans the next step and commits."""
    now = now or clock.now()
    changed = db.session.execute(
        update(ContactAttempt)
        .where(ContactAttempt.id == attempt_id, ContactAttempt.status == AttemptStatus.DISPATCHED)
        .values(status=AttemptStatus.COMPLETED, outcome=outcome[:32], finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return _replan_after(attempt_id, now) if changed else _commit(False)


def revise_outcome(attempt_id: int, outcome: str, now: datetime | None = None) -> bool:
    """A channel learned more after it reported (a text accepted, then found undelivered): revise
    a completed attempt's outcome and re-plan what follows from it; commits."""
    now = now or clock.now()
    changed = db.session.execute(
        update(ContactAttempt)
        .where(ContactAttempt.id == attempt_id, ContactAttempt.status == AttemptStatus.COMPLETED,
               ContactAttempt.outcome.is_distinct_from(outcome[:32]))
        .values(outcome=outcome[:32])
        .execution_options(synchronize_session=False)
    ).rowcount
    return _replan_after(attempt_id, now) if changed else _commit(False)


def _replan_after(attempt_id: int, now: datetime) -> bool:
    """Plan the checkout's next step from the attempt's outcome as now written; commits, queues."""
    attempt = db.session.get(ContactAttempt, attempt_id)
    db.session.refresh(attempt)
    checkout = attempt.checkout
    queued = plan(checkout, db.session.get(Shop, checkout.shop_id), now)
    db.session.commit()
    if queued is not None:
        enqueue(queued)
    return True


def _commit(result: bool) -> bool:
    db.session.commit()
    return result


def _next_step(checkout: Checkout, facts, settings, now: datetime):
    if any(a.status == AttemptStatus.AWAITING_CHANNEL for a in checkout.attempts):
        # Nothing could deliver the last allowed contact; wait for a sender rather than re-plan.
        return policy.Stop("awaiting_channel")
    if not checkout.holdout:
        return policy.plan_next(facts, settings, now)
    if any(a.status == AttemptStatus.WITHHELD for a in checkout.attempts):
        return policy.Stop(HOLDOUT_REASON)
    # A holdout checkout still gets a (never delivered) first attempt at the time it would have been
    # contacted: its job records `withheld`, which is what makes the holdout arm comparable for lift.
    return policy.plan_next(replace(facts, holdout=False), settings, now)


def _decide_holdout(checkout: Checkout, shop: Shop, facts, settings, now: datetime) -> None:
    """Once a checkout is first eligible, put it in or out of the holdout for good.

    A shopper's checkouts share one decision (the first one made), so that no person is both
    held out about one cart and contacted about another: that would blur the lift measurement.
    """
    if checkout.holdout is not None:
        return
    if policy.eligibility(replace(facts, holdout=False), settings) is not None:
        return
    decided = [c.holdout for c in shoppers.conversation(checkout, now) if c.holdout is not None]
    checkout.holdout = decided[0] if decided else holdout.is_holdout(
        holdout_secret(), shop.domain, checkout.token, settings.holdout_percent)


def _pending(checkout: Checkout) -> ContactAttempt | None:
    return next((a for a in checkout.attempts if a.status == AttemptStatus.SCHEDULED), None)


def _add(checkout: Checkout, channel: str, at: datetime) -> Queued:
    seq = max((a.seq for a in checkout.attempts), default=0) + 1
    attempt = ContactAttempt(checkout_id=checkout.id, shop_id=checkout.shop_id, seq=seq, channel=channel,
                             scheduled_at=at, status=AttemptStatus.SCHEDULED)
    checkout.attempts.append(attempt)
    db.session.flush()
    return Queued(attempt.id, attempt.job_id, at)


def _move(pending: ContactAttempt, channel: str, at: datetime) -> Queued | None:
    """The plan changed (e.g. the cart was updated): move the pending attempt, same row and job id."""
    if pending.channel == channel and pending.scheduled_at == at:
        return None  # a duplicate or replayed webhook: the plan is already in place
    moved = _still_scheduled(ContactAttempt.id == pending.id, channel=channel, scheduled_at=at)
    # Dispatched meanwhile: that contact stands as made; its outcome plans what follows.
    return Queued(pending.id, pending.job_id, at, replaces=True) if moved else None


def _cancel_where(condition, reason: str, now: datetime | None) -> list[str]:
    """Cancel the still-scheduled attempts matching `condition`; returns their job ids."""
    canceled = _still_scheduled(condition, status=AttemptStatus.CANCELED, reason=reason[:64],
                                finished_at=now or clock.now())
    return [job_id(checkout_id, seq) for checkout_id, seq in canceled]


def _still_scheduled(condition, **values) -> list[tuple[int, int]]:
    """Change attempts only while they are `scheduled` (compare-and-set), in one statement.

    A worker may dispatch an attempt between any read of ours and this write; a plain UPDATE by
    primary key would then turn a contact that happened into `canceled`, hiding it from caps,
    attribution and the audit trail. The status condition is evaluated at write time (PostgreSQL
    re-checks it after waiting for the dispatcher's row lock), so a dispatched row is never touched.
    Returns (checkout id, seq) of the rows changed; the session's copies are refreshed to match.
    """
    changed = db.session.execute(
        update(ContactAttempt)
        .where(condition, ContactAttempt.status == AttemptStatus.SCHEDULED)
        .values(**values)
        .returning(ContactAttempt.checkout_id, ContactAttempt.seq)
        .execution_options(synchronize_session="fetch")
    ).all()
    return [(row.checkout_id, row.seq) for row in changed]


__all__ = ["Queued", "cancel_checkout", "cancel_phone", "cancel_shop", "cancel_suppressed", "drop_jobs",
           "enqueue", "plan", "record_outcome", "revise_outcome", "stop_contacting", "supersede"]
