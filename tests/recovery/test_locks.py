"""Two workers deciding at once about contacts to one number: the per-number lock makes them take
turns, so the second one counts the first one's contact and the state cap holds."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consent.ledger import record_from_webhook
from app.crypto import lookup_hash
from app.extensions import db
from app.recovery import locks, policy
from app.recovery.jobs import run_attempt
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from tests.recovery.conftest import T0, checkout_payload
from tests.recovery.numbers import MIAMI

pytestmark = pytest.mark.data

# Long enough that two racing workers would both pass it, short enough to keep the test quick.
BARRIER_TIMEOUT = 2.0


def _checkout_with_a_due_attempt(shop, token: str, *, linked_by_number_only: bool) -> int:
    """A consenting Miami checkout with one call due now; returns the attempt id.

    With `linked_by_number_only` the row carries no phone or e-mail hash of its own (only its
    consent names the number), so nothing but the number ties it to the shop's other checkouts.
    """
    payload = checkout_payload(token, phone=MIAMI, province="FL", email=f"{token}@example.com")
    record_from_webhook(shop, "checkouts/create", payload, delivery_id=None, received_at=T0)
    checkout = Checkout(shop_id=shop.id, token=token, holdout=False, total_price=120, country_code="US",
                        province_code="FL", shopify_updated_at=T0 - timedelta(hours=1), line_items=[],
                        phone=None if linked_by_number_only else MIAMI,
                        phone_hash=None if linked_by_number_only else lookup_hash(MIAMI))
    checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="call", scheduled_at=T0))
    db.session.add(checkout)
    db.session.commit()
    return checkout.attempts[0].id


def _earlier_contacts(shop, n: int) -> None:
    """n calls to the number in the last hours, about a checkout that is already settled."""
    done = Checkout(shop_id=shop.id, token="done", holdout=False, line_items=[], completed_at=T0,
                    shopify_updated_at=T0 - timedelta(hours=6))
    for seq in range(1, n + 1):
        done.attempts.append(ContactAttempt(
            shop_id=shop.id, seq=seq, channel="call", scheduled_at=T0, status=AttemptStatus.COMPLETED,
            outcome="no-answer", dispatched_at=T0 - timedelta(hours=seq), phone_hash=lookup_hash(MIAMI)))
    db.session.add(done)
    db.session.commit()


def test_two_workers_deciding_for_one_number_at_once_cannot_both_pass_the_cap(app, shop, clock, sent,
                                                                             monkeypatch):
    _earlier_contacts(shop, 2)  # one more contact is allowed in Florida today, not two
    ids = [_checkout_with_a_due_attempt(shop, token, linked_by_number_only=True) for token in ("a", "b")]
    clock.set(T0 + timedelta(minutes=1))
    # Both workers reach the final check before either dispatches, unless one waits for the other.
    barrier = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    real_check = policy.may_contact_now

    def check_after_the_other_read(*args):
        verdict = real_check(*args)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other worker is waiting for the lock: it will read after our commit
        return verdict

    monkeypatch.setattr(policy, "may_contact_now", check_after_the_other_read)
    results = {}

    def worker(attempt_id: int) -> None:
        with app.app_context():
            results[attempt_id] = run_attempt(attempt_id)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(attempt_id,)) for attempt_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [AttemptStatus.DISPATCHED, AttemptStatus.SKIPPED]
    assert len(sent) == 1
    db.session.rollback()  # a fresh read: SQLite would otherwise show this session's older snapshot
    skipped = db.session.execute(select(ContactAttempt).where(ContactAttempt.id.in_(ids),
                                                              ContactAttempt.reason.is_not(None))).scalar_one()
    assert skipped.reason == policy.Reason.STATE_CAP


def test_lock_keys_differ_per_shop_and_number():
    assert locks._key(1, "a" * 64) == locks._key(1, "a" * 64)
    assert len({locks._key(1, "a" * 64), locks._key(2, "a" * 64), locks._key(1, "b" * 64)}) == 3
    assert -(2**63) <= locks._key(1, "a" * 64) < 2**63
