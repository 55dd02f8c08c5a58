"""POST /twilio/sms/incoming: STOP in every form honoured at once on every channel, HELP answered."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app.consent.models import Suppression
from app.extensions import db
from app.recovery.models import AttemptStatus, ContactAttempt
from app.sms.models import Message
from tests.voice.conftest import (
    APP_URL,
    AUTH_TOKEN,
    FROM_NUMBER,
    NY_PHONE,
    checkout_payload,
    make_shop,
    the_call,
)

pytestmark = pytest.mark.data
INCOMING = APP_URL + "/twilio/sms/incoming"


@pytest.fixture
def called(app, served, clock, deliver, run_due, run_jobs):
    """A shopper who got a call (no answer), with the SMS follow-up pending."""
    make_shop()
    served.set_persona(NY_PHONE, "no_answer")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    served.wait_idle()
    return the_call()


def _state():
    db.session.commit()
    suppressions = db.session.execute(select(Suppression)).scalars().all()
    pending = db.session.execute(select(ContactAttempt).where(
        ContactAttempt.status == AttemptStatus.SCHEDULED)).scalars().all()
    return suppressions, pending


@pytest.mark.parametrize("body", ["STOP", "stop", "Stop.", "STOPALL", "unsubscribe", "CANCEL", "end", "QUIT",
                                  "revoke", "OptOut", "Stop texting me", "please don't contact me again",
                                  "no me escribas más", "arrêtez", "nicht mehr schreiben"])
def test_stop_in_any_form_suppresses_every_channel_and_cancels_what_is_pending(called, served, body):
    assert _state()[1], "the SMS follow-up is pending before the STOP"
    status, answer = served.send_sms(NY_PHONE, FROM_NUMBER, body, url=INCOMING)
    assert status == 200
    suppressions, pending = _state()
    assert [(s.channel, s.reason) for s in suppressions] == [("all", "sms_stop")] and not pending
    replies = served.inbound[-1].replies
    assert len(replies) == 1 and "Alpha Goods" in replies[0] and "unsubscribed" in replies[0]


def test_twilios_own_opt_out_is_recorded_without_a_second_reply(called, served):
    status, answer = served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING, opt_out_type="STOP")
    suppressions, pending = _state()
    assert status == 200 and suppressions and not pending
    assert served.inbound[-1].replies == []


def test_help_gets_the_stores_help_text(called, served):
    served.send_sms(NY_PHONE, FROM_NUMBER, "HELP", url=INCOMING)
    [reply] = served.inbound[-1].replies
    assert "Alpha Goods" in reply and "STOP" in reply
    assert _state()[0] == []


def test_an_ordinary_reply_changes_nothing_and_gets_no_answer_yet(called, served):
    served.send_sms(NY_PHONE, FROM_NUMBER, "Yes, send me a code", url=INCOMING)
    suppressions, pending = _state()
    assert served.inbound[-1].replies == [] and not suppressions and pending


def test_stop_from_an_unknown_number_is_confirmed_and_suppresses_nothing(app, served):
    make_shop()
    served.send_sms("+12025550199", FROM_NUMBER, "STOP", url=INCOMING)
    assert len(served.inbound[-1].replies) == 1 and _state()[0] == []


def test_the_stop_is_kept_as_an_inbound_message(called, served):
    served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING)
    db.session.commit()
    [message] = db.session.execute(select(Message).where(Message.direction == "inbound")).scalars()
    assert message.body == "STOP" and message.kind == "keyword"


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_forged_inbound_texts_are_refused_and_change_nothing(called, client, signature):
    form = {"From": NY_PHONE, "To": FROM_NUMBER, "Body": "STOP", "AccountSid": "AC" + "0" * 31 + "1",
            "MessageSid": "SM" + "1" * 32}
    headers = {}
    if signature is None:
        headers["X-Twilio-Signature"] = RequestValidator("wrong-token").compute_signature(INCOMING, form)
    elif signature:
        headers["X-Twilio-Signature"] = signature
    assert client.post("/twilio/sms/incoming", data=form, headers=headers).status_code == 403
    assert _state()[0] == []


def test_a_signed_stop_over_the_test_client_is_honoured(called, client):
    form = {"From": NY_PHONE, "To": FROM_NUMBER, "Body": "STOP", "AccountSid": "AC" + "0" * 31 + "1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INCOMING, form)
    response = client.post("/twilio/sms/incoming", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and b"<Message>" in response.data
    assert _state()[0]
