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


@pytest.mark.promise("stop-at-once")
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


@pytest.mark.promise("stop-at-once")
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


def test_help_names_the_stores_support_contact(called, served):
    from app.shops.models import Shop
    from tests.recovery.conftest import configure

    db.session.commit()
    configure(db.session.execute(select(Shop)).scalar_one(), support_contact="help@alpha.example")
    served.send_sms(NY_PHONE, FROM_NUMBER, "info", url=INCOMING)
    [reply] = served.inbound[-1].replies
    assert "help@alpha.example" in reply and "STOP" in reply


def test_an_ordinary_reply_suppresses_nothing_and_is_answered_by_text_not_twiml(called, served):
    served.send_sms(NY_PHONE, FROM_NUMBER, "send me the link", url=INCOMING)
    suppressions, pending = _state()
    assert served.inbound[-1].replies == [] and not suppressions and pending


@pytest.mark.promise("stop-at-once")
def test_stop_from_an_unknown_number_is_confirmed_and_blocks_it_for_every_shop(app, served):
    make_shop()
    served.send_sms("+12025550199", FROM_NUMBER, "STOP", url=INCOMING)
    # No shop has texted it yet, but the carrier blocks the shared sender for it from now on.
    [suppression] = _state()[0]
    assert len(served.inbound[-1].replies) == 1 and suppression.shop_id is None


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


@pytest.mark.promise("stop-at-once")
def test_a_signed_stop_over_the_test_client_is_honoured(called, client):
    form = {"From": NY_PHONE, "To": FROM_NUMBER, "Body": "STOP", "AccountSid": "AC" + "0" * 31 + "1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INCOMING, form)
    response = client.post("/twilio/sms/incoming", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and b"<Message>" in response.data
    assert _state()[0]


# -- START, UNSTOP, YES: texts resume where consent stands, calls never ---------------------------

def _consent():
    from app.consent.queries import consent_for_checkout

    db.session.commit()
    return consent_for_checkout(_shop_id(), "tok-1")


def _shop_id() -> int:
    from app.shops.models import Shop

    return db.session.execute(select(Shop.id)).scalars().first()


@pytest.mark.promise("stop-at-once")
@pytest.mark.parametrize("keyword", ["START", "unstop", "Yes"])
def test_start_after_stop_resumes_texts_but_never_calls(called, served, keyword):
    served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING)
    served.send_sms(NY_PHONE, FROM_NUMBER, keyword, url=INCOMING)
    suppressions, _ = _state()
    assert [(s.shop_id, s.channel, s.reason) for s in suppressions] == [(None, "call", "sms_stop")]
    standing = _consent()
    assert standing.sms and not standing.call
    [reply] = served.inbound[-1].replies
    assert "calls stay off" in reply and "STOP" in reply


@pytest.mark.promise("opt-in-only")
@pytest.mark.promise("stop-at-once")
def test_start_without_standing_consent_still_sends_nothing(app, served):
    make_shop()
    stranger = "+12025550199"
    served.send_sms(stranger, FROM_NUMBER, "STOP", url=INCOMING)
    served.send_sms(stranger, FROM_NUMBER, "START", url=INCOMING)
    suppressions, _ = _state()
    assert [(s.shop_id, s.channel) for s in suppressions] == [(None, "all")]
    [reply] = served.inbound[-1].replies
    assert "no consent" in reply
    assert not served.messages


@pytest.mark.promise("opt-in-only")
@pytest.mark.promise("stop-at-once")
def test_start_after_consent_was_withdrawn_lifts_nothing(called, served, deliver):
    deliver(("checkouts/update", checkout_payload(consent="no")))
    served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING)
    served.send_sms(NY_PHONE, FROM_NUMBER, "START", url=INCOMING)
    assert [(s.channel, s.reason) for s in _state()[0]] == [("all", "sms_stop")]


def test_twilios_own_start_is_recorded_without_a_reply(called, served):
    served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING, opt_out_type="STOP")
    served.send_sms(NY_PHONE, FROM_NUMBER, "START", url=INCOMING, opt_out_type="START")
    assert served.inbound[-1].replies == []
    assert [s.channel for s in _state()[0]] == ["call"]


def test_yes_without_a_stop_is_a_reply_for_the_agent_not_a_keyword(called, served):
    served.send_sms(NY_PHONE, FROM_NUMBER, "YES", url=INCOMING)
    db.session.commit()
    [received] = db.session.execute(select(Message).where(Message.direction == "inbound")).scalars()
    assert received.kind == "reply" and served.inbound[-1].replies == [] and _state()[0] == []


# -- one sender for every shop -------------------------------------------------------------------

@pytest.mark.promise("stop-at-once")
def test_stop_blocks_the_number_for_every_shop_that_texts_from_the_sender(called, served, clock, deliver,
                                                                         run_due):
    served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING)
    db.session.commit()  # a fresh snapshot before writing (SQLite)
    make_shop("beta.myshopify.com")
    deliver(("checkouts/create", checkout_payload("tok-b")), shop="beta.myshopify.com")
    run_due(clock, minutes=31)
    served.wait_idle()
    assert len(served.calls) == 1 and not served.messages  # the first shop's call, before the STOP
    attempts = db.session.execute(select(ContactAttempt).where(ContactAttempt.status.in_(
        (AttemptStatus.SCHEDULED, AttemptStatus.DISPATCHED)))).scalars().all()
    assert attempts == []


@pytest.mark.promise("stop-at-once")
@pytest.mark.parametrize("body", ["STOP", "Stop texting me", "no me escribas más", "arrêtez",
                                  "nicht mehr schreiben"])
def test_after_stop_no_further_sms_and_no_call(called, served, clock, run_due, body):
    served.send_sms(NY_PHONE, FROM_NUMBER, body, url=INCOMING)
    for _ in range(3):
        run_due(clock, hours=6)
    served.wait_idle()
    assert len(served.calls) == 1 and not served.messages


# -- what arrives is handled whatever it looks like -------------------------------------------------

def _post(client, form: dict):
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INCOMING, form)
    return client.post("/twilio/sms/incoming", data=form, headers={"X-Twilio-Signature": signature})


def _form(**fields) -> dict:
    form = {"From": NY_PHONE, "To": FROM_NUMBER, "Body": "hello", "AccountSid": "AC" + "0" * 31 + "1",
            "MessageSid": "SM" + "2" * 32}
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


@pytest.mark.parametrize("fields", [
    {"Body": "x" * 10_000}, {"Body": "😀🎉 thanks!"}, {"Body": ""}, {"Body": None}, {"From": None},
    {"From": ""}, {"From": "(212) 555-0123"}, {"From": "not a number"}, {"MessageSid": None},
], ids=["10kb", "emoji", "empty-body", "no-body", "no-from", "empty-from", "other-format", "garbage-from",
        "no-sid"])
def test_odd_inbound_texts_are_handled_without_a_5xx(called, client, fields):
    response = _post(client, _form(**fields))
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert b"<Response" in response.data


def test_a_long_text_is_kept_whole_up_to_twilios_limit(called, client):
    _post(client, _form(Body="é" * 1600 + "tail"))
    db.session.commit()
    [received] = db.session.execute(select(Message).where(Message.direction == "inbound")).scalars()
    assert received.body == "é" * 1600


def test_a_text_delivered_twice_is_handled_once(called, client):
    assert _post(client, _form(Body="STOP")).status_code == 200
    second = _post(client, _form(Body="STOP"))
    assert second.status_code == 200 and b"<Message>" not in second.data
    db.session.commit()
    assert len(db.session.execute(select(Message).where(Message.direction == "inbound")).scalars().all()) == 1


@pytest.mark.promise("opt-in-only")
def test_an_unknown_sender_gets_nothing_but_keyword_handling(app, served):
    make_shop()
    served.send_sms("+12025550199", FROM_NUMBER, "do you ship to Canada?", url=INCOMING)
    served.wait_idle()
    assert served.inbound[-1].replies == [] and not served.messages
    db.session.commit()
    assert db.session.execute(select(Message)).scalars().all() == []


def test_an_inbound_text_for_another_twilio_account_changes_nothing(called, client):
    _post(client, _form(Body="STOP", AccountSid="AC" + "9" * 32))
    assert _state()[0] == []


@pytest.mark.promise("restriction-and-rectification")
def test_a_restricted_shoppers_reply_gets_no_conversation_and_is_not_stored(called, served, run_jobs):
    from app.consent.suppression import phone_hash
    from app.privacy.models import Restriction

    db.session.add(Restriction(shop_id=_shop_id(), phone_hash=phone_hash(NY_PHONE)))
    db.session.commit()
    before = db.session.execute(select(Message)).scalars().all()
    served.send_sms(NY_PHONE, FROM_NUMBER, "send me the link", url=INCOMING)
    run_jobs()
    served.wait_idle()
    db.session.commit()
    assert db.session.execute(select(Message)).scalars().all() == before, "nothing stored, nothing sent"
    served.send_sms(NY_PHONE, FROM_NUMBER, "STOP", url=INCOMING)
    suppressions, _ = _state()
    assert suppressions, "STOP still works for a restricted shopper"
