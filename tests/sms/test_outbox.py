"""The outbox: one send per text whatever dies or runs twice, and every Twilio or carrier error
sorted by what it means for the number and for the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consent.models import Suppression
from app.extensions import db
from app.recovery import attribution
from app.recovery import jobs as contact_jobs
from app.recovery.models import AttemptStatus, ContactAttempt, Recovery
from app.sms import outbox
from app.sms.models import Message, MessageStatus
from tests.recovery.conftest import order_payload
from tests.sms.test_sender import attempts, recovery_texts, texted
from tests.voice.conftest import APP_URL, NY_PHONE, checkout_payload, make_shop

pytestmark = pytest.mark.data


def suppressions() -> list[tuple[int | None, str, str]]:
    db.session.commit()
    return [(s.shop_id, s.channel, s.reason) for s in db.session.execute(select(Suppression)).scalars()]


def _posts(sim) -> list[dict]:
    return [r for r in sim.requests if r["method"] == "POST" and r["path"].endswith("/Messages.json")]


@pytest.mark.parametrize("code", [30003, 30008])
def test_transient_delivery_error_is_flagged_not_a_contact_and_texted_again_per_policy(
        app, served, clock, deliver, run_due, code):
    served.delivery_errors[NY_PHONE] = code
    texted(served, clock, deliver, run_due)
    [message] = recovery_texts()
    assert (message.status, message.error_code) == ("undelivered", str(code))
    first, retry = attempts()
    assert first.outcome == "undelivered" and not suppressions()
    # Tried again as a text, after the merchant's spacing (not at once: the handset may be off).
    assert retry.channel == "sms" and retry.status == AttemptStatus.SCHEDULED
    assert retry.scheduled_at >= first.dispatched_at + timedelta(minutes=120)
    del served.delivery_errors[NY_PHONE]
    run_due(clock, minutes=121)
    served.wait_idle()
    assert [m.status for m in recovery_texts()] == ["undelivered", "delivered"]


@pytest.mark.parametrize("code, reason", [(30004, "blocked"), (30005, "unknown_handset"), (30006, "landline"),
                                          (30007, "carrier_filtered")])
def test_permanent_delivery_error_stops_texts_to_the_number_and_is_flagged(app, served, clock, deliver,
                                                                          run_due, code, reason):
    served.delivery_errors[NY_PHONE] = code
    texted(served, clock, deliver, run_due)
    [message] = recovery_texts()
    assert message.error_code == str(code)
    shop_id = message.shop_id
    assert suppressions() == [(shop_id, "sms", reason)]
    assert attempts()[0].outcome == "undelivered"
    assert not [a for a in attempts() if a.status == AttemptStatus.SCHEDULED]


def test_an_undelivered_text_never_counts_as_a_contact_for_attribution(app, served, clock, deliver, run_due):
    served.delivery_errors[NY_PHONE] = 30005
    texted(served, clock, deliver, run_due)
    deliver(("orders/create", order_payload(created_at=clock.now())))
    assert db.session.execute(select(Recovery)).scalars().all() == []
    shop_id = recovery_texts()[0].shop_id
    assert attribution.summary(shop_id)["contacted"]["checkouts"] == 0


@pytest.mark.promise("stop-at-once")
def test_twilio_21610_unsubscribed_blocks_the_number_for_every_shop_and_channel(app, served, clock, deliver,
                                                                               run_due):
    served.unsubscribed.add(NY_PHONE)
    texted(served, clock, deliver, run_due)
    [message] = recovery_texts()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "21610")
    assert suppressions() == [(None, "all", "sms_unsubscribed")]
    assert attempts()[0].outcome == "undelivered"
    assert not [a for a in attempts() if a.status == AttemptStatus.SCHEDULED]


@pytest.mark.parametrize("kind, reason", [("invalid_numbers", "invalid_number"), ("landlines", "not_mobile")])
def test_an_invalid_or_landline_number_is_marked_unusable_for_sms(app, served, clock, deliver, run_due, kind,
                                                                  reason):
    getattr(served, kind).add(NY_PHONE)
    texted(served, clock, deliver, run_due)
    shop_id = recovery_texts()[0].shop_id
    assert suppressions() == [(shop_id, "sms", reason)] and not served.messages


def test_a_transient_twilio_error_is_retried_and_sends_once(app, served, clock, deliver, run_due, run_jobs):
    served.fail_next("messages", status=503, code=20500, method="POST")
    texted(served, clock, deliver, run_due)
    [message] = recovery_texts()
    assert message.status == MessageStatus.PENDING and message.error_code == "20500"
    assert outbox.send(message.id) in (MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED)
    served.wait_idle()
    assert len(served.messages) == 1 and attempts()[0].outcome == "sent"


def _crash_between_send_and_commit(clock, deliver, monkeypatch) -> ContactAttempt:
    make_shop(calls_enabled=False)
    deliver(("checkouts/create", checkout_payload()))
    clock.advance(minutes=31)
    attempt = db.session.execute(select(ContactAttempt)).scalar_one()

    def die(*args, **kwargs):
        raise SystemExit("worker killed")  # not an Exception: nothing in the job catches it

    monkeypatch.setattr(outbox, "_accepted", die)
    with pytest.raises(SystemExit):
        contact_jobs.run_attempt(attempt.id)
    monkeypatch.undo()
    db.session.rollback()
    return attempt


def test_a_job_retried_after_a_crash_between_send_and_commit_sends_once(app, unheard, clock, deliver,
                                                                       monkeypatch):
    attempt = _crash_between_send_and_commit(clock, deliver, monkeypatch)
    [message] = recovery_texts()
    assert message.status == MessageStatus.REQUESTING and message.sid is None and len(_posts(unheard)) == 1
    unheard.wait_idle()
    # The retry (RQ's, or the sweeper's): it looks the text up before sending anything.
    assert outbox.send(message.id) == "adopted"
    assert outbox.send(message.id) == recovery_texts()[0].status  # known now: nothing more is sent
    assert len(_posts(unheard)) == 1 and len(unheard.messages) == 1
    assert recovery_texts()[0].sid == next(iter(unheard.messages))
    assert db.session.get(ContactAttempt, attempt.id).outcome == "sent"


def test_after_a_crash_the_delivery_report_still_reports_the_contact(app, served, clock, deliver,
                                                                    monkeypatch):
    attempt = _crash_between_send_and_commit(clock, deliver, monkeypatch)
    served.wait_idle()
    [message] = recovery_texts()
    assert message.status == MessageStatus.DELIVERED and message.sid in served.messages
    assert outbox.send(message.id) == MessageStatus.DELIVERED and len(_posts(served)) == 1
    assert db.session.get(ContactAttempt, attempt.id).outcome == "sent"


def test_a_lost_answer_for_a_text_twilio_never_got_sends_it_once_more(app, served, clock, deliver, run_due):
    served.timeout_next("messages", seconds=3, create=False)
    texted(served, clock, deliver, run_due)
    [message] = recovery_texts()
    assert message.status == MessageStatus.REQUESTING and not served.messages
    outbox.send(message.id)
    served.wait_idle()
    assert len(served.messages) == 1 and recovery_texts()[0].sid in served.messages


def test_a_delivery_report_for_an_unknown_text_changes_nothing(app, served, clock, deliver, run_due, client):
    from twilio.request_validator import RequestValidator

    from tests.voice.conftest import ACCOUNT_SID, AUTH_TOKEN

    texted(served, clock, deliver, run_due)
    url = APP_URL + "/twilio/sms/status?message=999999"
    form = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "undelivered", "ErrorCode": "30005",
            "AccountSid": ACCOUNT_SID}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    response = client.post("/twilio/sms/status?message=999999", data=form,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and not suppressions()
    assert [m.status for m in db.session.execute(select(Message)).scalars()] == ["delivered"]
