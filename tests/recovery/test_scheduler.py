"""The scheduler: one pending attempt per checkout, moved (not duplicated) when the plan changes,
queued in RQ under a deterministic id, cancelled with its job; holdout decided once."""

from datetime import timedelta

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from app import jobs
from app.extensions import db
from app.recovery import clock as recovery_clock
from app.recovery import scheduler
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, job_id
from app.shops.models import Shop
from tests.conftest import backend
from tests.recovery.conftest import NY_PHONE, T0, attempts, checkout_payload, configure, shopper

pytestmark = pytest.mark.data


def _checkout(token: str = "tok-1") -> Checkout:
    db.session.expire_all()
    return db.session.execute(select(Checkout).where(Checkout.token == token)).scalar_one()


def _plan(token: str = "tok-1"):
    checkout = _checkout(token)
    queued = scheduler.plan(checkout, db.session.get(Shop, checkout.shop_id), recovery_clock.now())
    db.session.commit()
    return queued


def test_job_ids_are_deterministic_per_checkout_and_attempt():
    assert job_id(12, 3) == "contact-12-3"


def test_planning_twice_changes_nothing_the_second_time(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    assert _plan() is None and _plan() is None
    assert len(attempts()) == 1


def test_planned_attempt_is_queued_under_its_deterministic_id(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    queued = scheduler.Queued(attempt.id, attempt.job_id, attempt.scheduled_at)
    jobs.cancel(attempt.job_id)
    assert scheduler.enqueue(queued) and not scheduler.enqueue(queued)  # the second is a no-op
    assert jobs.is_live(f"contact-{attempt.checkout_id}-1")


def test_future_attempt_is_queued_for_its_time_in_rqs_scheduler(shop, clock, deliver):
    from app.dbtypes import utcnow

    clock.set(utcnow())
    deliver(("checkouts/create", checkout_payload(updated_at=utcnow(), phone="+33142685300",
                                                  country="FR", province=None)))
    [attempt] = attempts()
    job = Job.fetch(jobs.qualified(attempt.job_id), connection=jobs.redis())
    assert job.get_status() == JobStatus.SCHEDULED and job.args == (attempt.id,)


def test_a_newer_update_moves_the_same_row_and_replaces_its_job(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload(updated_at=T0 - timedelta(minutes=5))))
    [before] = attempts()
    deliver(("checkouts/update", checkout_payload(updated_at=T0 + timedelta(minutes=40))))
    [after] = attempts()
    assert (after.id, after.seq) == (before.id, 1)
    assert after.scheduled_at == T0 + timedelta(minutes=70)


@pytest.mark.promise("opt-in-only")
def test_consent_taken_back_in_an_update_cancels_the_pending_attempt(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    deliver(("checkouts/update", checkout_payload(updated_at=T0, consent="no")))
    [attempt] = attempts()
    assert attempt.status == AttemptStatus.CANCELED and attempt.reason


def test_calls_disabled_plans_a_text_instead(shop, clock, deliver):
    configure(shop, calls_enabled=False)
    deliver(("checkouts/create", checkout_payload()))
    assert [a.channel for a in attempts()] == ["sms"]


def test_nothing_is_planned_when_both_channels_are_off(shop, clock, deliver):
    configure(shop, calls_enabled=False, sms_enabled=False)
    deliver(("checkouts/create", checkout_payload()))
    assert attempts() == []


def test_cart_below_the_merchant_minimum_is_not_planned(shop, clock, deliver):
    configure(shop, min_cart_value="150")
    deliver(("checkouts/create", checkout_payload(total="149.99")))
    assert attempts() == []


def test_min_cart_value_is_compared_with_the_cart_in_the_shops_currency(shop, clock, deliver):
    configure(shop, min_cart_value="105")
    # 100 EUR at checkout is 108.50 USD to a USD shop: above the merchant's 105, so it is planned.
    money = {"shop_money": {"amount": "108.50", "currency_code": "USD"},
             "presentment_money": {"amount": "100.00", "currency_code": "EUR"}}
    deliver(("checkouts/create", checkout_payload(presentment_currency="EUR", total="100.00",
                                                  total_price_set=money)))
    # 110 EUR known only in euros: no rates here, so it meets no minimum.
    deliver(("checkouts/create", checkout_payload("tok-2", presentment_currency="EUR", total="110.00",
                                                  **shopper(2))))
    assert [a.checkout_id for a in attempts()] == [_checkout("tok-1").id]


def test_holdout_is_decided_once_per_checkout_and_kept(shop, clock, deliver):
    configure(shop, holdout_percent=50)
    tokens = [f"tok-{i}" for i in range(16)]
    deliver(*[("checkouts/create", checkout_payload(t, **shopper(i))) for i, t in enumerate(tokens)])
    decided = {t: _checkout(t).holdout for t in tokens}
    assert set(decided.values()) == {True, False}
    configure(shop, holdout_percent=0)
    deliver(*[("checkouts/update", checkout_payload(t, updated_at=T0, **shopper(i)))
              for i, t in enumerate(tokens)])
    assert {t: _checkout(t).holdout for t in tokens} == decided


def test_holdout_is_not_decided_for_a_checkout_that_is_not_eligible(shop, clock, deliver):
    configure(shop, holdout_percent=50)
    deliver(("checkouts/create", checkout_payload(consent=None)))
    assert _checkout().holdout is None


def test_cancel_shop_cancels_every_pending_attempt_and_returns_the_job_ids(shop, clock, deliver):
    deliver(*[("checkouts/create", checkout_payload(f"tok-{i}", **shopper(i))) for i in range(3)])
    dropped = scheduler.cancel_shop(shop.id, "uninstalled")
    db.session.commit()
    scheduler.drop_jobs(dropped)
    assert sorted(dropped) == sorted(a.job_id for a in attempts())
    assert {a.status for a in attempts()} == {AttemptStatus.CANCELED}
    assert not any(jobs.is_live(j) for j in dropped)


def test_cancel_phone_leaves_other_numbers_alone(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload("a")),
            ("checkouts/create", checkout_payload("b", phone="+13105550123", email="b@example.com")))
    scheduler.cancel_phone(shop.id, NY_PHONE, "opt_out")
    db.session.commit()
    assert [a.status for a in attempts()] == [AttemptStatus.CANCELED, AttemptStatus.SCHEDULED]


@pytest.mark.promise("stop-at-once")
def test_stop_contacting_suppresses_every_channel_and_cancels_what_is_pending(shop, clock, deliver):
    from app.consent.queries import is_suppressed

    deliver(("checkouts/create", checkout_payload("a")),
            ("checkouts/create", checkout_payload("b", phone="+13105550123", email="b@example.com")))
    dropped = scheduler.stop_contacting(shop.id, NY_PHONE, reason="opted_out", source="call")
    db.session.commit()
    assert [a.status for a in attempts()] == [AttemptStatus.CANCELED, AttemptStatus.SCHEDULED]
    assert dropped == [attempts()[0].job_id]
    assert is_suppressed(shop.id, NY_PHONE, "call") and is_suppressed(shop.id, NY_PHONE, "sms")
    assert not is_suppressed(shop.id, "+13105550123")


@pytest.mark.promise("stop-at-once")
def test_stop_contacting_for_every_shop_cancels_every_shops_pending_contacts(shop, clock, deliver):
    from app.consent.queries import is_suppressed
    from tests.recovery.conftest import make_shop

    beta = make_shop("beta.myshopify.com")
    deliver(("checkouts/create", checkout_payload("a")))
    deliver(("checkouts/create", checkout_payload("b")), shop="beta.myshopify.com")
    dropped = scheduler.stop_contacting(None, NY_PHONE, reason="sms_stop", source="sms")
    db.session.commit()
    assert [a.status for a in attempts()] == [AttemptStatus.CANCELED, AttemptStatus.CANCELED]
    assert len(dropped) == 2 and is_suppressed(beta.id, NY_PHONE, "call")


def test_cancel_suppressed_cancels_only_the_suppressed_channel(shop, clock, deliver):
    from app.consent.queries import suppress

    configure(shop, sms_enabled=False)
    deliver(("checkouts/create", checkout_payload()))
    suppress(shop.id, NY_PHONE, channel="sms", reason="not_mobile", source="twilio")
    assert scheduler.cancel_suppressed() == []  # the pending contact is a call
    suppress(None, NY_PHONE, channel="call", reason="sms_stop", source="sms")
    assert len(scheduler.cancel_suppressed()) == 1
    db.session.commit()


def test_revise_outcome_replans_from_the_revised_outcome(shop, clock, deliver):
    configure(shop, calls_enabled=False)
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    clock.advance(minutes=31)
    db.session.execute(update(ContactAttempt).where(ContactAttempt.id == attempt.id).values(
        status=AttemptStatus.DISPATCHED, dispatched_at=clock.now(), phone=NY_PHONE))
    db.session.commit()
    assert scheduler.record_outcome(attempt.id, "sent")
    assert not scheduler.revise_outcome(attempt.id, "sent")  # no change, nothing re-planned
    assert scheduler.revise_outcome(attempt.id, "undelivered")
    first, retry = attempts()
    assert first.outcome == "undelivered"
    assert (retry.channel, retry.status) == ("sms", AttemptStatus.SCHEDULED)


def test_a_second_pending_attempt_for_a_checkout_is_refused_by_the_database(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    db.session.add(ContactAttempt(checkout_id=attempt.checkout_id, shop_id=shop.id, seq=2, channel="sms",
                                  scheduled_at=T0, status=AttemptStatus.SCHEDULED))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.session.commit()
    db.session.rollback()


def test_drop_jobs_survives_redis_being_down(make_app):
    with make_app(REDIS_URL="redis://127.0.0.1:1/0").app_context():
        scheduler.drop_jobs(["contact-1-1"])


def test_queue_time_is_now_when_due_and_never_a_fraction_early(app):
    from datetime import UTC, datetime

    from app.dbtypes import utcnow

    assert scheduler.queue_time(utcnow() - timedelta(seconds=1)) is None
    later = datetime(2099, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    assert scheduler.queue_time(later) == datetime(2099, 1, 1, 12, 0, 1, tzinfo=UTC)
    assert scheduler.queue_time(later.replace(microsecond=0)) == later.replace(microsecond=0)


# -- cancellation is compare-and-set: a contact that happened is never rewritten as canceled ------

needs_row_locks = pytest.mark.skipif(
    backend() == "sqlite", reason="SQLite serialises writers: a dispatch cannot land between our read "
                                  "and our write there")


def _dispatch_from_another_worker(attempt_id: int) -> bool:
    """What the contact job's compare-and-set does, on a connection of its own; True if it won."""
    with db.engine.connect() as conn:
        try:
            if conn.dialect.name == "postgresql":
                # Waiting for our own uncommitted cancel would deadlock this single-threaded test;
                # a dispatcher that gives up has simply not dispatched.
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            won = conn.execute(
                update(ContactAttempt)
                .where(ContactAttempt.id == attempt_id, ContactAttempt.status == AttemptStatus.SCHEDULED)
                .values(status=AttemptStatus.DISPATCHED, dispatched_at=T0)
            ).rowcount == 1
            conn.commit()
            return won
        except OperationalError:
            conn.rollback()
            return False


@pytest.fixture
def dispatch_midway(monkeypatch):
    """Another worker dispatches the attempt right after our first statement on contact_attempts."""
    outcome = {}

    def arm(attempt_id: int) -> dict:
        session_connection = db.session.connection()

        def after(conn, cursor, statement, parameters, context, executemany):
            if "contact_attempts" in statement and "won" not in outcome:
                outcome["won"] = _dispatch_from_another_worker(attempt_id)

        event.listen(session_connection, "after_cursor_execute", after)
        return outcome

    return arm


CANCELLERS = {
    "checkout": lambda checkout: scheduler.cancel_checkout(checkout, "order"),
    "shop": lambda checkout: scheduler.cancel_shop(checkout.shop_id, "uninstalled"),
    "phone": lambda checkout: scheduler.cancel_phone(checkout.shop_id, NY_PHONE, "opt_out"),
}


@needs_row_locks
@pytest.mark.parametrize("path", sorted(CANCELLERS))
def test_cancellation_never_rewrites_an_attempt_dispatched_meanwhile(shop, clock, deliver, dispatch_midway,
                                                                     path):
    deliver(("checkouts/create", checkout_payload()))
    checkout = _checkout()
    [attempt] = checkout.attempts
    outcome = dispatch_midway(attempt.id)
    CANCELLERS[path](checkout)
    db.session.commit()
    [after] = attempts()
    assert "won" in outcome
    # Whoever won, the row says what really happened: a dispatch that won is never undone.
    assert after.status == (AttemptStatus.DISPATCHED if outcome["won"] else AttemptStatus.CANCELED)


@needs_row_locks
def test_replanning_never_cancels_or_moves_an_attempt_dispatched_meanwhile(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    checkout = _checkout()
    [attempt] = checkout.attempts  # our copy still says scheduled
    assert _dispatch_from_another_worker(attempt.id)
    checkout.completed_at = T0  # the plan is now "stop": the stale pending attempt would be canceled
    scheduler.plan(checkout, db.session.get(Shop, shop.id), clock.now())
    db.session.commit()
    [after] = attempts()
    assert after.status == AttemptStatus.DISPATCHED and after.reason is None and after.finished_at is None


@needs_row_locks
def test_a_moved_plan_leaves_an_attempt_dispatched_meanwhile_where_it_was(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    checkout = _checkout()
    [attempt] = checkout.attempts
    scheduled_at = attempt.scheduled_at
    assert _dispatch_from_another_worker(attempt.id)
    checkout.shopify_updated_at = T0 + timedelta(minutes=40)  # a newer cart update would move it
    assert scheduler.plan(checkout, db.session.get(Shop, shop.id), clock.now()) is None
    db.session.commit()
    [after] = attempts()
    assert after.status == AttemptStatus.DISPATCHED and after.scheduled_at == scheduled_at
