"""The SMS channel end to end through the Twilio simulator: one recovery text per planned contact,
its tracked link counted for attribution, its delivery reported to the engine."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.recovery import jobs as contact_jobs
from app.recovery.models import AttemptStatus, ContactAttempt, Recovery, RecoveryClick
from app.sms import sender
from app.sms.models import Message
from tests.recovery.conftest import order_payload
from tests.voice.conftest import APP_URL, FROM_NUMBER, NY_PHONE, T0, checkout_payload, make_shop

pytestmark = pytest.mark.data
LINK = re.compile(re.escape(APP_URL) + r"(/r/[A-Za-z0-9._-]+)")


def texted(served, clock, deliver, run_due, **settings):
    """An SMS-only shop (calls off), a consenting shopper, and the first contact due and sent."""
    make_shop(calls_enabled=False, **settings)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    served.wait_idle()
    db.session.commit()


def attempts() -> list[ContactAttempt]:
    db.session.commit()
    return db.session.execute(select(ContactAttempt).order_by(ContactAttempt.seq)).scalars().all()


def recovery_texts() -> list[Message]:
    db.session.commit()
    return db.session.execute(select(Message).where(Message.kind == "recovery")).scalars().all()


def test_recovery_text_with_a_working_tracked_link(app, served, client, clock, deliver, run_due):
    texted(served, clock, deliver, run_due)
    [sent] = served.messages.values()
    assert sent.to == NY_PHONE and sent.from_ == FROM_NUMBER
    assert sent.status_callback.startswith(APP_URL + "/twilio/sms/status")
    path = LINK.search(sent.body).group(1)
    clock.advance(minutes=5)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://alpha.myshopify.com/1/checkouts/tok-1/recover")
    [click] = db.session.execute(select(RecoveryClick)).scalars().all()
    [first, *_] = attempts()
    assert click.attempt_id == first.id
    deliver(("orders/create", order_payload(created_at=T0 + timedelta(hours=1))))
    [recovery] = db.session.execute(select(Recovery)).scalars().all()
    assert recovery.channel == "sms" and recovery.attempt_id == first.id


def test_first_text_names_the_store_says_reply_stop_and_greets_the_shopper(app, served, clock, deliver,
                                                                          run_due):
    texted(served, clock, deliver, run_due)
    [sent] = served.messages.values()
    assert sent.body.startswith("Alpha Goods") and "Reply STOP to opt out" in sent.body
    assert "Ada" in sent.body and "Hat" in sent.body


def test_the_text_is_recorded_delivered_and_the_contact_reported_sent(app, served, clock, deliver, run_due):
    texted(served, clock, deliver, run_due)
    [message] = recovery_texts()
    [first, second] = attempts()
    assert message.status == "delivered" and message.sid in served.messages and message.attempt_id == first.id
    assert (first.status, first.outcome) == (AttemptStatus.COMPLETED, "sent")
    # The engine planned what follows a text: the next one, after the merchant's spacing.
    assert second.status == AttemptStatus.SCHEDULED and second.channel == "sms"


def test_the_merchants_template_and_segment_limit_shape_the_text(app, served, clock, deliver, run_due):
    texted(served, clock, deliver, run_due,
           sms_templates={"en": "{store}: {first_name}, still thinking about {cart}? {link}"},
           sms_max_segments=3)
    [sent] = served.messages.values()
    assert sent.body.startswith("Alpha Goods: Ada, still thinking about") and LINK.search(sent.body)
    assert sent.num_segments <= 3


def test_a_shopper_in_spanish_gets_the_spanish_text(app, served, clock, deliver, run_due):
    make_shop(calls_enabled=False)
    deliver(("checkouts/create", checkout_payload(customer_locale="es-MX")))
    run_due(clock, minutes=31)
    served.wait_idle()
    [sent] = served.messages.values()
    assert "Responde STOP" in sent.body


def test_the_messaging_service_is_preferred_when_configured(app, served, clock, deliver, run_due):
    app.config["TWILIO_MESSAGING_SERVICE_SID"] = "MG" + "1" * 32
    texted(served, clock, deliver, run_due)
    [sent] = served.messages.values()
    assert sent.messaging_service_sid == "MG" + "1" * 32 and sent.from_ is None


def test_a_job_run_twice_texts_once(app, served, clock, deliver, run_due):
    texted(served, clock, deliver, run_due)
    first = attempts()[0]
    assert contact_jobs.run_attempt(first.id) == AttemptStatus.COMPLETED
    sender.send_recovery_text(first)  # the sender itself run again (a duplicated job)
    served.wait_idle()
    assert len(served.messages) == 1 and len(recovery_texts()) == 1


def test_without_twilio_credentials_an_sms_contact_waits_for_a_channel(app, served, clock, deliver, run_due):
    app.config["TWILIO_AUTH_TOKEN"] = ""
    texted(served, clock, deliver, run_due)
    assert not served.messages and attempts()[0].status == AttemptStatus.AWAITING_CHANNEL
