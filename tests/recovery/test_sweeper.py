"""The sweeper: the database is the source of truth, so a Redis flush loses nothing and a
re-sweep never duplicates a job or a contact."""

from datetime import timedelta

import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from app import jobs
from app.consent.ledger import record_from_webhook
from app.extensions import db
from app.jobs.periodic import PERIODIC
from app.recovery import scheduler
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.recovery.sweeper import LOOKAHEAD, sweep
from tests.recovery.conftest import T0, attempts, checkout_payload

pytestmark = pytest.mark.data


def _due_contacts(shop, n: int, *, at=T0 - timedelta(minutes=1)) -> list[scheduler.Queued]:
    """n consenting checkouts, each with one attempt scheduled at `at`, written straight to the DB."""
    queued = []
    for i in range(n):
        payload = checkout_payload(f"bulk-{i}", phone=f"+1212555{i:04d}", updated_at=T0 - timedelta(hours=1))
        record_from_webhook(shop, "checkouts/create", payload, delivery_id=None, received_at=T0)
        checkout = Checkout(shop_id=shop.id, token=payload["token"], phone=payload["phone"],
                            total_price=120, country_code="US", province_code="NY", holdout=False,
                            shopify_updated_at=T0 - timedelta(hours=1), line_items=[])
        checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="call", scheduled_at=at))
        db.session.add(checkout)
    db.session.flush()
    for checkout in db.session.query(Checkout).all():
        attempt = checkout.attempts[0]
        queued.append(scheduler.Queued(attempt.id, attempt.job_id, attempt.scheduled_at))
    db.session.commit()
    return queued


def _flush_this_runs_redis_keys() -> None:
    """A Redis restart without persistence, limited to this test run's keys (never FLUSHALL): the
    queue, its registries and its jobs (job ids carry the queue name, see `jobs.qualified`)."""
    conn = jobs.redis()
    keys = list(conn.scan_iter(f"*{jobs.queue().name}*"))
    if keys:
        conn.delete(*keys)


def test_redis_flushed_with_1000_scheduled_contacts_all_are_rescheduled_none_twice(
        shop, clock, sent, run_jobs):
    for queued in _due_contacts(shop, 1000):
        scheduler.enqueue(queued)
    assert jobs.queue().count == 1000
    _flush_this_runs_redis_keys()
    assert jobs.queue().count == 0

    assert sweep() == 1000
    assert sweep() == 0  # the jobs are live again: a second sweep adds nothing
    assert jobs.queue().count == 1000
    run_jobs()
    dispatched = [attempt_id for attempt_id, *_ in sent]
    assert len(dispatched) == len(set(dispatched)) == 1000
    assert {a.status for a in attempts()} == {AttemptStatus.DISPATCHED}
    assert sweep() == 0


def test_sweeper_does_not_duplicate_a_live_job(shop, clock):
    [queued] = _due_contacts(shop, 1)
    scheduler.enqueue(queued)
    assert sweep() == 0 and jobs.queue().count == 1


def test_future_attempts_are_requeued_at_their_time_once_within_the_lookahead(shop, clock):
    from app.dbtypes import utcnow

    # Real time matters here: RQ's scheduled registry runs on the real clock.
    soon = utcnow() + LOOKAHEAD - timedelta(minutes=1)
    later = utcnow() + LOOKAHEAD + timedelta(hours=1)
    clock.set(utcnow())
    _due_contacts(shop, 1, at=soon)
    far = _due_contacts_far(shop, later)
    assert sweep() == 1
    registry = ScheduledJobRegistry(queue=jobs.queue())
    assert registry.count == 1
    job = Job.fetch(jobs.qualified(attempts()[0].job_id), connection=jobs.redis())
    assert job.get_status() == JobStatus.SCHEDULED
    assert not jobs.is_live(far.job_id)


def _due_contacts_far(shop, at) -> ContactAttempt:
    checkout = Checkout(shop_id=shop.id, token="far", line_items=[])
    checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="sms", scheduled_at=at))
    db.session.add(checkout)
    db.session.commit()
    return checkout.attempts[0]


def test_rows_that_are_no_longer_scheduled_are_never_requeued(shop, clock):
    _due_contacts(shop, 3)
    for attempt, status in zip(attempts(), (AttemptStatus.CANCELED, AttemptStatus.DISPATCHED,
                                            AttemptStatus.SKIPPED), strict=True):
        attempt.status = status
    db.session.commit()
    assert sweep() == 0 and jobs.queue().count == 0


def test_sweep_with_redis_down_reports_nothing_and_raises_nothing(make_app, shop, clock):
    _due_contacts(shop, 2)
    with make_app(REDIS_URL="redis://127.0.0.1:1/0").app_context():
        assert sweep() == 0


def test_the_sweeper_is_declared_periodic_every_30_seconds():
    entry = next(p for p in PERIODIC if p.name == "contact-sweep")
    assert entry.func == "app.recovery.sweeper:sweep" and entry.every_seconds == 30


@pytest.mark.promise("stop-at-once")
def test_sweep_cancels_pending_attempts_to_a_number_that_opted_out_anywhere(shop, clock, deliver):
    from app.consent.queries import suppress

    deliver(("checkouts/create", checkout_payload("a")),
            ("checkouts/create", checkout_payload("b", phone="+13105550123", email="b@example.com")))
    suppress(shop.id, "+12125550123", reason="verbal_opt_out", source="call")
    db.session.commit()
    sweep()
    canceled, other = attempts()
    assert canceled.status == AttemptStatus.CANCELED and canceled.reason == "opt_out"
    assert other.status == AttemptStatus.SCHEDULED
    assert not jobs.is_live(canceled.job_id)
