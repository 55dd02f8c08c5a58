"""The contact job: at the moment it acts, re-check everything, then hand the attempt to its channel."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import joinedload, selectinload

from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import attribution, channels, clock, completion, locks, policy, scheduler
from app.recovery.facts import facts_for, settings_for
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.shops.models import Shop
from app.transactions import begin_writing

log = logging.getLogger(__name__)

# After a skip the next try is at least this far away, so a transient "no" cannot spin.
REPLAN_GAP = timedelta(minutes=5)
DISPATCH_FAILED = "dispatch_failed"


def run_attempt(attempt_id: int) -> str:
    """Deliver one planned contact if, right now, everything still allows it; returns what happened."""
    now = clock.now()
    number = _number_of(attempt_id)
    db.session.rollback()  # the decision's transaction starts with the number's lock
    if number is not None:
        locks.lock_number(*number)
    locked = _lock(attempt_id)
    if locked is None:
        db.session.rollback()
        return "missing"
    checkout, attempt, shop = locked
    if attempt.status != AttemptStatus.SCHEDULED:
        db.session.rollback()
        return attempt.status
    if attempt.scheduled_at > now:
        # A leftover job of an attempt that was moved later (or clock skew): the attempt's own job,
        # or the sweeper, delivers it on time. RQ itself never runs a job early.
        db.session.rollback()
        return "early"
    if _settled_by_an_order(checkout):
        return AttemptStatus.CANCELED
    facts = facts_for(checkout, shop, now)
    if facts.phone_e164 and (checkout.shop_id, lookup_hash(facts.phone_e164)) != number:
        # Consent names another number than the checkout's (rare): decide under its lock too.
        locks.lock_number(checkout.shop_id, lookup_hash(facts.phone_e164))
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


def _number_of(attempt_id: int) -> tuple[int, str] | None:
    """The shop and number (hash) an attempt would reach, read without locking anything."""
    row = db.session.execute(
        select(Checkout.shop_id, Checkout.phone_hash)
        .join(ContactAttempt, ContactAttempt.checkout_id == Checkout.id)
        .where(ContactAttempt.id == attempt_id)
    ).one_or_none()
    return (row.shop_id, row.phone_hash) if row is not None and row.phone_hash else None


def _settled_by_an_order(checkout: Checkout) -> bool:
    """An order already stored settles the checkout (its own, or the same shopper's): complete it.

    The order's webhook may have been processed while this checkout's was, each missing the other
    (two workers, one instant); the job is the last point where that race can still be caught.
    """
    if checkout.completed_at is not None:
        return False
    order, kind = completion.order_for_checkout(checkout)
    if order is None:
        return False
    dropped = completion.complete(checkout, order.ordered_at, order, kind)
    attribution.attribute(order, [checkout])
    db.session.commit()
    scheduler.drop_jobs(dropped)
    log.info("contact attempt for checkout %s canceled: an order (%s) settled it", checkout.id, kind)
    return True


def _lock(attempt_id: int) -> tuple[Checkout, ContactAttempt, Shop] | None:
    """The attempt's checkout, its row locked (the order handler locks the same row), so a contact
    and the order that makes it moot are decided one after the other, never interleaved; with the
    attempt and the shop and its settings, read in the same statement (nothing locks the shop)."""
    row = db.session.execute(
        select(Checkout, Shop).join(ContactAttempt, ContactAttempt.checkout_id == Checkout.id)
        .join(Shop, Shop.id == Checkout.shop_id)
        .where(ContactAttempt.id == attempt_id)
        .with_for_update(of=Checkout)
        # The attempts in a statement of their own, run once the lock is held: read as committed then.
        .options(selectinload(Checkout.attempts), joinedload(Shop.settings))
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        return None
    checkout, shop = row
    return checkout, next(a for a in checkout.attempts if a.id == attempt_id), shop


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
    attempt_id = inspect(attempt).identity[0]  # read without a query: the row is expired now
    db.session.commit()
    try:
        sender(attempt)
    except Exception as exc:  # noqa: BLE001 - any sender failure is recorded, never retried blindly
        db.session.rollback()
        begin_writing()  # before any read: the attempt's row is written next (SQLite)
        log.warning("contact attempt %s: sender %s failed: %s", attempt_id, getattr(sender, "__name__", "?"),
                    type(exc).__name__)
        scheduler.record_outcome(attempt_id, DISPATCH_FAILED)
        return DISPATCH_FAILED
    return AttemptStatus.DISPATCHED
