"""Dialing: one call per planned contact whatever runs twice or dies, errors sorted by what they mean."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.consent.models import Suppression
from app.extensions import db
from app.recovery import jobs as contact_jobs
from app.recovery.models import AttemptStatus, ContactAttempt
from app.voice import dialer
from app.voice.models import Call, CallStatus
from tests.voice.conftest import APP_URL, NY_PHONE, checkout_payload, make_shop, the_call

pytestmark = pytest.mark.data


def _posts(sim) -> list[dict]:
    return [r for r in sim.requests if r["method"] == "POST" and r["path"].endswith("/Calls.json")]


def test_a_job_run_twice_dials_once(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    served.set_persona(NY_PHONE, "no_answer")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    call = the_call()
    served.wait_idle()
    attempt = db.session.get(ContactAttempt, call.attempt_id)
    assert contact_jobs.run_attempt(attempt.id) == AttemptStatus.COMPLETED  # the job run again
    dialer.place_call(attempt)  # the sender itself run again (a duplicated job)
    dialer.dial(call.id)
    served.wait_idle()
    assert len(_posts(served)) == 1 and len(served.calls) == 1
    assert db.session.scalar(select(Call.id).where(Call.attempt_id == attempt.id)) == call.id


def _dial_with_a_lost_answer(sim, clock, deliver, run_due, *, created: bool) -> None:
    """A contact falls due and its dial request times out (having placed the call, or not)."""
    make_shop()
    sim.set_persona(NY_PHONE, "busy")
    sim.timeout_next("calls", seconds=4, create=created)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)


@pytest.fixture
def unheard(twilio):
    """Twilio's callbacks go nowhere (a closed port): only the call list can tell what happened."""
    twilio.route_app(APP_URL, "http://127.0.0.1:9")
    return twilio


def test_a_worker_dying_between_dial_and_commit_dials_once(app, unheard, clock, deliver, monkeypatch):
    make_shop()
    unheard.set_persona(NY_PHONE, "busy")
    deliver(("checkouts/create", checkout_payload()))
    clock.advance(minutes=31)
    attempt = db.session.execute(select(ContactAttempt)).scalar_one()

    def die(*args, **kwargs):
        raise SystemExit("worker killed")  # not an Exception: nothing in the job catches it

    monkeypatch.setattr(dialer, "_adopt", die)
    with pytest.raises(SystemExit):
        contact_jobs.run_attempt(attempt.id)
    monkeypatch.undo()
    db.session.rollback()
    call = the_call()
    assert call.status == CallStatus.REQUESTING and call.sid is None and len(_posts(unheard)) == 1
    # The job again (RQ's retry, a duplicate, or the next step): it looks before it dials.
    assert contact_jobs.run_attempt(attempt.id) == AttemptStatus.DISPATCHED
    unheard.wait_idle()
    assert dialer.dial(call.id) == "adopted"
    assert dialer.dial(call.id) == CallStatus.BUSY  # known now: nothing more is sent
    assert db.session.get(ContactAttempt, attempt.id).outcome == "busy"  # reported from the list
    assert len(_posts(unheard)) == 1 and len(unheard.calls) == 1
    assert the_call().sid == next(iter(unheard.calls))


def test_a_timed_out_request_is_reconciled_with_twilios_call_list(app, unheard, clock, deliver, run_due):
    _dial_with_a_lost_answer(unheard, clock, deliver, run_due, created=True)
    call = the_call()
    assert call.status == CallStatus.REQUESTING and call.sid is None
    assert dialer.dial(call.id) == "adopted"
    unheard.wait_idle()
    call = the_call()
    assert call.sid in unheard.calls and len(unheard.calls) == 1 and len(_posts(unheard)) == 1
    listed = [r for r in unheard.requests if r["method"] == "GET" and r["path"].endswith("/Calls.json")]
    assert listed and NY_PHONE in str(listed[0]["query"].get("To"))


def test_an_unavailable_call_list_is_asked_again_and_never_redials_blindly(app, unheard, clock, deliver,
                                                                          run_due):
    _dial_with_a_lost_answer(unheard, clock, deliver, run_due, created=True)
    call = the_call()
    unheard.fail_next("calls", status=503, method="GET", times=dialer.MAX_RECONCILE_TRIES)
    results = [dialer.dial(call.id) for _ in range(dialer.MAX_RECONCILE_TRIES)]
    assert results[:-1] == ["reconciling"] * (dialer.MAX_RECONCILE_TRIES - 1)
    assert results[-1] == CallStatus.FAILED and the_call().error == "unreconciled"
    assert len(_posts(unheard)) == 1


def test_a_timed_out_request_that_created_nothing_is_dialed_again_once(app, served, clock, deliver, run_due):
    _dial_with_a_lost_answer(served, clock, deliver, run_due, created=False)
    assert the_call().status == CallStatus.REQUESTING and not served.calls
    dialer.dial(the_call().id)
    served.wait_idle()
    assert len(served.calls) == 1 and the_call().sid in served.calls


def test_a_transient_twilio_error_is_retried_with_backoff(app, served, clock, deliver, run_due):
    make_shop()
    served.set_persona(NY_PHONE, "busy")
    served.fail_next("calls", status=503, code=20500, method="POST")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    call = the_call()
    assert call.status == CallStatus.PENDING and call.error == "twilio_20500" and not served.calls
    assert dialer.dial(call.id) == CallStatus.QUEUED
    served.wait_idle()
    assert len(served.calls) == 1 and the_call().dial_tries == 2


def test_transient_errors_give_up_after_the_last_try(app, served, clock, deliver, run_due):
    make_shop()
    served.fail_next("calls", status=429, code=20429, method="POST", times=dialer.MAX_DIAL_TRIES)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    for _ in range(dialer.MAX_DIAL_TRIES - 1):
        dialer.dial(the_call().id)
    call = the_call()
    assert call.status == CallStatus.FAILED and call.outcome == "failed" and not served.calls
    assert db.session.get(ContactAttempt, call.attempt_id).outcome == "failed"


def test_an_invalid_number_is_marked_and_never_retried(app, served, clock, deliver, run_due):
    make_shop()
    served.invalid_numbers.add(NY_PHONE)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    call = the_call()
    assert call.status == CallStatus.FAILED and call.error == "twilio_21211"
    suppression = db.session.execute(select(Suppression)).scalar_one()
    assert suppression.reason == "invalid_number" and suppression.channel == "all"
    assert dialer.dial(call.id) == CallStatus.FAILED
    assert len(_posts(served)) == 1
    assert not db.session.execute(select(ContactAttempt).where(
        ContactAttempt.status == AttemptStatus.SCHEDULED)).first()


@pytest.mark.promise("stop-at-once")
def test_an_opt_out_between_tries_stops_the_retry(app, served, clock, deliver, run_due):
    from app.consent import queries as consent

    make_shop()
    served.fail_next("calls", status=503, code=20500, method="POST")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    call = the_call()
    consent.suppress(call.shop_id, NY_PHONE, reason="opted_out", source="sms")
    db.session.commit()
    assert dialer.dial(call.id) == CallStatus.FAILED
    assert the_call().error == "suppressed" and len(_posts(served)) == 1


def test_without_twilio_credentials_calls_wait_for_a_channel(make_app, clock, monkeypatch):
    application = make_app()
    with application.app_context():
        from app.recovery import channels

        assert channels.sender_for(channels.CALL) is None


def test_the_create_request_carries_callbacks_amd_and_recording(app, served, clock, deliver, run_due):
    make_shop()
    served.set_persona(NY_PHONE, "busy")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    form = _posts(served)[0]["form"]
    call = the_call()
    assert form["To"] == [NY_PHONE] if isinstance(form["To"], list) else form["To"] == NY_PHONE
    flat = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in form.items()}
    assert flat["Url"] == f"https://ringback.test/twilio/voice/answer?call={call.id}"
    assert flat["StatusCallback"].startswith("https://ringback.test/twilio/voice/status")
    assert "completed" in form["StatusCallbackEvent"]
    assert flat["MachineDetection"] == "DetectMessageEnd" and flat["AsyncAmd"] == "true"
    assert flat["AsyncAmdStatusCallback"].startswith("https://ringback.test/twilio/voice/amd")
    assert flat["Record"] == "true" and flat["RecordingChannels"] == "dual"
