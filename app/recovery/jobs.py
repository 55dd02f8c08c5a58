"""The contact job: at the moment it acts, re-check everything, then hand the attempt to its channel."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import channels, clock, policy, scheduler
from app.recovery.facts import facts_for, settings_for
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.shops.models import Shop

log = logging.getLogger(__name__)

# After a skip the next try is at least this far away, so a transient "no" cannot spin.
REPLAN_GAP = timedelta(minutes=5)
DISPATCH_FAILED = "dispatch_failed"


def run_attempt(attempt_id: int) -> str:
    """Deliver one planned contact if, right now, everything still allows it; returns what happened."""
    now = clock.now()
    attempt = _lock(attempt_id)
    if attempt is None:
        db.session.rollback()
        return "missing"
    if attempt.status != AttemptStatus.SCHEDULED:
        db.session.rollback()
        return attempt.status
    if attempt.scheduled_at > now:
        # A leftover job of an attempt that was moved later (or clock skew): the attempt's own job,
        # or the sweeper, delivers it on time. RQ itself never runs a job early.
        db.session.rollback()
        return "early"
    checkout = attempt.checkout
    shop = db.session.execute(
        select(Shop).where(Shop.id == checkout.shop_id).options(joinedload(Shop.settings))
    ).scalar_one()
    facts = facts_for(checkout, shop, now)
    settings = settings_for(shop)
    if checkout.holdout:
        return _withhold(attempt, checkout, shop, replace(facts, holdout=False), settings, now)
    verdict = policy.may_contact_now(facts, settings, attempt.channel, now)
    if verdict is not None:
        return _skip(attempt, checkout, shop, verdict.reason, now)
    sender = channels.sender_for(attempt.channel)
    if sender is None:
        _finish(attempt, AttemptStatus.AWAITING_CHANNEL, reason="no_sender", at=now)
        db.session.commit()
        log.info("contact attempt %s allowed but no %s sender is registered", attempt.id, attempt.channel)
        return AttemptStatus.AWAITING_CHANNEL
    return _dispatch(attempt, sender, facts.phone_e164, now)


def _lock(attempt_id: int) -> ContactAttempt | None:
    """The attempt, its checkout row locked (the order handler locks the same row), so a contact
    and the order that makes it moot are decided one after the other, never interleaved."""
    checkout = db.session.execute(
        select(Checkout).join(ContactAttempt, ContactAttempt.checkout_id == Checkout.id)
        .where(ContactAttempt.id == attempt_id)
        .with_for_update(of=Checkout)
        .options(selectinload(Checkout.attempts))
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if checkout is None:
        return None
    return next(a for a in checkout.attempts if a.id == attempt_id)


def _finish(attempt: ContactAttempt, status: str, *, at: datetime, **values) -> bool:
    """Move a still-scheduled attempt to `status` (compare-and-set: safe on SQLite too)."""
    # Paths that do not lock the checkout (uninstall, opt-out) may have moved the row meanwhile.
    changed = db.session.execute(
        update(ContactAttempt)
        .where(ContactAttempt.id == attempt.id, ContactAttempt.status == AttemptStatus.SCHEDULED)
        .values(status=status, finished_at=at, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(attempt)
    return bool(changed)


def _withhold(attempt, checkout, shop, facts, settings, now) -> str:
    """A holdout checkout: record that it would have been contacted now, and contact no one."""
    verdict = policy.may_contact_now(facts, settings, attempt.channel, now)
    if verdict is not None:
        return _skip(attempt, checkout, shop, verdict.reason, now)
    _finish(attempt, AttemptStatus.WITHHELD, reason=scheduler.HOLDOUT_REASON, at=now)
    db.session.commit()
    return AttemptStatus.WITHHELD


def _skip(attempt, checkout, shop, reason: str, now: datetime) -> str:
    _finish(attempt, AttemptStatus.SKIPPED, reason=reason[:64], at=now)
    queued = scheduler.plan(checkout, shop, now, not_before=now + REPLAN_GAP)
    db.session.commit()
    if queued is not None:
        scheduler.enqueue(queued)
    return AttemptStatus.SKIPPED


def _dispatch(attempt, sender, phone: str, now: datetime) -> str:
    """Commit `dispatched` first, then send: a crash in between loses a contact, never doubles one."""
    if not _finish(attempt, AttemptStatus.DISPATCHED, at=None, dispatched_at=now, phone=phone,
                   phone_hash=lookup_hash(phone)):
        db.session.rollback()
        return "raced"
    db.session.commit()
    try:
        sender(attempt)
    except Exception as exc:  # noqa: BLE001 - any sender failure is recorded, never retried blindly
        db.session.rollback()
        log.warning("contact attempt %s: %s sender failed: %s", attempt.id, attempt.channel,
                    type(exc).__name__)
        scheduler.record_outcome(attempt.id, DISPATCH_FAILED)
        return DISPATCH_FAILED
    return AttemptStatus.DISPATCHED
