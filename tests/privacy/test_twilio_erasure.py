"""The Twilio erasure outbox: rows scheduled with an erasure, deleted at the simulator over HTTP by real
RQ jobs, retried with backoff until Twilio answers 204 or 404."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import periodic
from app.privacy import twilio_erasure
from app.privacy.models import DeletionStatus, TwilioDeletion
from sandbox.twilio_sim import SimCall, SimMessage, SimRecording
from tests.privacy.conftest import ACCOUNT_SID, FROM_NUMBER, NY_PHONE, T0, twilio_config

pytestmark = pytest.mark.data

SHOP_ID = 7
BODY = "Jane, your cart at Alpha Goods is waiting"


def a_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def a_recording(sim) -> str:
    sid = a_sid("RE")
    sim.recordings[sid] = SimRecording(sid, ACCOUNT_SID, call_sid=a_sid("CA"), duration=12, channels=1)
    return sid


def a_message(sim) -> str:
    sid = a_sid("SM")
    sim.messages[sid] = SimMessage(sid, ACCOUNT_SID, NY_PHONE, FROM_NUMBER, BODY, status="delivered")
    return sid


def a_call(sim) -> str:
    sid = a_sid("CA")
    sim.calls[sid] = SimCall(sid, ACCOUNT_SID, NY_PHONE, FROM_NUMBER, {}, status="completed")
    return sid


def scheduled(resource: str, sid: str) -> None:
    twilio_erasure.schedule(SHOP_ID, resource, sid)
    db.session.commit()


def the_row(sid: str) -> TwilioDeletion:
    db.session.commit()  # a fresh snapshot: the job wrote in its own transaction
    return db.session.execute(select(TwilioDeletion).where(TwilioDeletion.sid == sid)).scalar_one()


def row_count() -> int:
    db.session.commit()
    return db.session.execute(select(func.count()).select_from(TwilioDeletion)).scalar_one()


def deletes_sent(sim) -> list[str]:
    return [r["path"] for r in sim.requests if r["method"] == "DELETE"]


def retry_when_due(clock, run_jobs, sid: str) -> TwilioDeletion:
    """Move the clock to the row's next try, let the sweeper queue it, run it."""
    clock.set(the_row(sid).next_attempt_at)
    assert twilio_erasure.sweep() == 1
    run_jobs()
    return the_row(sid)


# -- deleting ---------------------------------------------------------------------------------------

@pytest.mark.promise("erasure")
def test_a_scheduled_recording_is_deleted_at_twilio(app, twilio, clock, run_jobs):
    sid = a_recording(twilio)
    scheduled("recording", sid)
    assert twilio_erasure.enqueue_due() == 1
    run_jobs()
    assert twilio.deleted == [("recording", sid)]
    assert twilio.recordings[sid].deleted
    row = the_row(sid)
    assert (row.status, row.last_status, row.attempts, row.done_at) == (DeletionStatus.DONE, 204, 0, T0)
    assert row.shop_id == SHOP_ID


@pytest.mark.promise("erasure")
def test_message_and_call_logs_are_deleted_at_twilio(app, twilio, clock, run_jobs):
    message, call = a_message(twilio), a_call(twilio)
    twilio_erasure.schedule_many(SHOP_ID, [("message", message), ("call", call)])
    db.session.commit()
    assert twilio_erasure.enqueue_due() == 2
    run_jobs()
    assert sorted(twilio.deleted) == sorted([("message", message), ("call", call)])
    assert the_row(message).status == the_row(call).status == DeletionStatus.DONE


@pytest.mark.promise("erasure")
def test_a_404_counts_as_deleted(app, twilio, clock, run_jobs):
    gone = a_sid("RE")  # never held, or deleted by an earlier try whose answer was lost
    scheduled("recording", gone)
    twilio_erasure.enqueue_due()
    run_jobs()
    row = the_row(gone)
    assert (row.status, row.last_status, row.done_at) == (DeletionStatus.DONE, 404, T0)
    assert twilio_erasure.enqueue_due() == 0


def test_a_done_or_missing_deletion_sends_nothing(app, twilio, clock, run_jobs):
    sid = a_recording(twilio)
    scheduled("recording", sid)
    twilio_erasure.enqueue_due()
    run_jobs()
    assert twilio_erasure.delete(the_row(sid).id) == DeletionStatus.DONE
    assert twilio_erasure.delete(999_999) == "missing"
    assert len(deletes_sent(twilio)) == 1


# -- retrying ---------------------------------------------------------------------------------------

@pytest.mark.promise("erasure")
def test_a_5xx_is_retried_with_backoff(app, twilio, clock, run_jobs):
    sid = a_recording(twilio)
    twilio.fail_next("recordings", status=503, code=20500, method="DELETE")
    scheduled("recording", sid)
    twilio_erasure.enqueue_due()
    run_jobs()
    row = the_row(sid)
    assert (row.status, row.attempts, row.last_status) == (DeletionStatus.PENDING, 1, 503)
    assert row.last_error == "TwilioRestException: HTTP 503"
    assert row.next_attempt_at == T0 + timedelta(minutes=1)
    assert twilio.deleted == []
    clock.advance(seconds=59)
    assert twilio_erasure.sweep() == 0  # not due yet
    row = retry_when_due(clock, run_jobs, sid)
    assert (row.status, row.last_status, row.attempts) == (DeletionStatus.DONE, 204, 1)
    assert twilio.deleted == [("recording", sid)]


@pytest.mark.promise("erasure")
def test_a_429_and_a_refused_delete_are_retried_too(app, twilio, clock, run_jobs):
    sid = a_call(twilio)
    twilio.fail_next("calls", status=429, code=20429, message="Too many requests", method="DELETE")
    twilio.fail_next("calls", status=400, code=20009, message="Cannot delete an in-progress call",
                     method="DELETE")
    scheduled("call", sid)
    twilio_erasure.enqueue_due()
    run_jobs()
    assert (the_row(sid).last_status, the_row(sid).next_attempt_at) == (429, T0 + timedelta(minutes=1))
    row = retry_when_due(clock, run_jobs, sid)
    assert (row.status, row.attempts, row.last_status) == (DeletionStatus.PENDING, 2, 400)
    assert row.next_attempt_at == T0 + timedelta(minutes=1 + 2)
    assert retry_when_due(clock, run_jobs, sid).status == DeletionStatus.DONE
    assert twilio.deleted == [("call", sid)]


@pytest.mark.promise("erasure")
def test_a_timeout_is_retried(app, twilio, clock, run_jobs):
    sid = a_message(twilio)
    # Held past the client's timeout (TWILIO_HTTP_TIMEOUT_SECONDS), then it fails without effect.
    twilio.timeout_next("messages", seconds=2.5, create=False, method="DELETE")
    scheduled("message", sid)
    twilio_erasure.enqueue_due()
    run_jobs()
    row = the_row(sid)
    assert (row.status, row.attempts, row.last_status) == (DeletionStatus.PENDING, 1, None)
    assert "Timeout" in row.last_error
    assert retry_when_due(clock, run_jobs, sid).status == DeletionStatus.DONE
    assert twilio.deleted == [("message", sid)]


@pytest.mark.promise("erasure")
def test_after_eight_failures_it_is_stuck_and_still_retried(app, twilio, clock, run_jobs):
    sid = a_recording(twilio)
    twilio.fail_next("recordings", status=500, code=20500, times=8, method="DELETE")
    scheduled("recording", sid)
    twilio_erasure.enqueue_due()
    run_jobs()
    waits = []
    for _ in range(7):
        before = the_row(sid)
        waits.append(before.next_attempt_at - clock.now())
        assert before.status == DeletionStatus.PENDING
        retry_when_due(clock, run_jobs, sid)
    row = the_row(sid)
    waits.append(row.next_attempt_at - clock.now())
    assert waits == [timedelta(minutes=2 ** n) for n in range(8)]
    assert (row.status, row.attempts, row.last_status) == (DeletionStatus.STUCK, 8, 500)
    assert [r.id for r in twilio_erasure.stuck()] == [row.id]
    row = retry_when_due(clock, run_jobs, sid)  # stuck is a flag for the operator, not giving up
    assert (row.status, row.attempts, row.last_status) == (DeletionStatus.DONE, 8, 204)
    assert twilio.deleted == [("recording", sid)]


def test_the_backoff_doubles_up_to_six_hours():
    assert [twilio_erasure.backoff(n) for n in (1, 2, 3, 9)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=256)]
    assert twilio_erasure.backoff(10) == twilio_erasure.backoff(500) == timedelta(hours=6)


@pytest.mark.promise("erasure")
def test_without_twilio_credentials_it_stays_pending(app, make_app, twilio, clock, run_jobs):
    sid = a_recording(twilio)
    unconfigured = make_app(**twilio_config(twilio, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN=""))
    with unconfigured.app_context():
        scheduled("recording", sid)
        twilio_erasure.enqueue_due()
        run_jobs()
        row = the_row(sid)
        assert (row.status, row.attempts, row.last_error) == (DeletionStatus.PENDING, 0,
                                                              twilio_erasure.NOT_CONFIGURED)
        assert row.next_attempt_at == T0 + timedelta(minutes=1)
        assert deletes_sent(twilio) == []


# -- scheduling -------------------------------------------------------------------------------------

def test_scheduling_twice_makes_one_row(app, twilio, clock):
    sid = a_recording(twilio)
    twilio_erasure.schedule(SHOP_ID, "recording", sid)
    twilio_erasure.schedule(SHOP_ID, "recording", sid)
    twilio_erasure.schedule_many(SHOP_ID, [("recording", sid), ("recording", sid)])
    db.session.commit()
    twilio_erasure.schedule(None, "recording", sid)  # a later erasure naming it again
    db.session.commit()
    assert row_count() == 1
    assert the_row(sid).shop_id == SHOP_ID
    twilio_erasure.schedule(SHOP_ID, "message", sid)  # another kind of resource is another row
    assert row_count() == 2


def test_a_done_deletion_is_not_scheduled_again(app, twilio, clock, run_jobs):
    sid = a_recording(twilio)
    scheduled("recording", sid)
    twilio_erasure.enqueue_due()
    run_jobs()
    scheduled("recording", sid)
    assert the_row(sid).status == DeletionStatus.DONE
    assert twilio_erasure.enqueue_due() == 0


@pytest.mark.promise("erasure")
def test_a_schedule_commits_with_the_callers_transaction(app, twilio, clock):
    twilio_erasure.schedule(SHOP_ID, "recording", a_sid("RE"))
    db.session.rollback()  # the erasure failed: nothing is owed at Twilio either
    assert row_count() == 0


def test_no_sid_schedules_nothing_and_an_unknown_resource_is_refused(app, twilio, clock):
    twilio_erasure.schedule(SHOP_ID, "recording", None)
    twilio_erasure.schedule(SHOP_ID, "call", "")
    twilio_erasure.schedule_many(SHOP_ID, [])
    with pytest.raises(ValueError):
        twilio_erasure.schedule(SHOP_ID, "transcript", a_sid("TR"))
    with pytest.raises(ValueError):
        twilio_erasure.schedule_many(SHOP_ID, [("recording", a_sid("RE")), ("voicemail", a_sid("RE"))])
    assert row_count() == 0


@pytest.mark.promise("erasure")
def test_a_shops_erasure_schedules_thousands_at_once(app, twilio, clock):
    items = [(resource, a_sid("XX")) for resource in twilio_erasure.RESOURCES for _ in range(1500)]
    twilio_erasure.schedule_many(None, items)
    db.session.commit()
    assert row_count() == 4500
    assert twilio_erasure.status_counts() == {"pending": 4500, "done": 0, "stuck": 0}


# -- sweeping and operating ------------------------------------------------------------------------

@pytest.mark.promise("erasure")
def test_the_sweeper_enqueues_due_deletions(app, twilio, clock, run_jobs):
    recording, message = a_recording(twilio), a_message(twilio)
    scheduled("recording", recording)
    scheduled("message", message)  # the caller's enqueue was lost (Redis down, a crash)
    assert twilio_erasure.sweep() == 2
    assert twilio_erasure.sweep() == 0  # already queued: not twice
    run_jobs()
    assert sorted(twilio.deleted) == sorted([("recording", recording), ("message", message)])
    assert twilio_erasure.sweep() == 0


def test_the_sweep_is_periodic():
    entry = next(e for e in periodic.PERIODIC if e.name == "twilio-erasure-sweep")
    assert periodic.resolve(entry) is twilio_erasure.sweep
    assert entry.every_seconds == 60


def test_the_cli_lists_stuck_deletions(app, clock):
    stuck = TwilioDeletion(shop_id=None, resource="recording", sid=a_sid("RE"), status=DeletionStatus.STUCK,
                           attempts=9, last_status=503, last_error="TwilioRestException: HTTP 503",
                           next_attempt_at=T0 + timedelta(hours=6))
    db.session.add_all([stuck, TwilioDeletion(shop_id=1, resource="call", sid=a_sid("CA"),
                                              status=DeletionStatus.DONE, last_status=204),
                        TwilioDeletion(shop_id=1, resource="message", sid=a_sid("SM"),
                                       status=DeletionStatus.PENDING, next_attempt_at=T0)])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "deletions"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == ["pending: 1", "done: 1", "stuck: 1"]
    assert lines[-1].split("\t") == [str(stuck.id), "recording", "9", "503", "TwilioRestException: HTTP 503",
                                     "2026-06-09T21:00:00+00:00"]


def test_the_cli_without_stuck_deletions_prints_the_counts_only(app):
    result = app.test_cli_runner().invoke(args=["privacy", "deletions"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["pending: 0", "done: 0", "stuck: 0"]


@pytest.mark.promise("no-pii-in-logs")
def test_no_phone_number_in_the_log(app, twilio, clock, run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    message, call = a_message(twilio), a_call(twilio)
    twilio.fail_next("messages", status=503, code=20500, method="DELETE")
    twilio_erasure.schedule_many(SHOP_ID, [("message", message), ("call", call)])
    db.session.commit()
    twilio_erasure.sweep()
    run_jobs()
    retry_when_due(clock, run_jobs, message)
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "twilio deletion" in text, "nothing logged: the test would prove nothing"
    for secret in (NY_PHONE, NY_PHONE.lstrip("+"), FROM_NUMBER, BODY):
        assert secret not in text
