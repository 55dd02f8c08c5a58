"""The Twilio-facing voice routes: signatures, odd callbacks, the TwiML each turn answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.agent import languages
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.voice.models import Call, CallStatus, CallTurn
from tests.voice.conftest import ACCOUNT_SID, APP_URL, AUTH_TOKEN, NY_PHONE, make_shop

pytestmark = pytest.mark.data
SID = "CA" + "a" * 32


def _signed(client, path: str, form: dict, *, token: str = AUTH_TOKEN, signature: str | None = None):
    url = APP_URL + path
    headers = {}
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, form)
    if signature:
        headers["X-Twilio-Signature"] = signature
    return client.post(path, data=form, headers=headers)


def _form(**extra) -> dict:
    return {"CallSid": SID, "AccountSid": ACCOUNT_SID, "From": "+14155550100", "To": NY_PHONE,
            "Direction": "outbound-api", **extra}


def _a_call(locale: str = "en-US", **settings) -> Call:
    shop = make_shop(**settings)
    checkout = Checkout(shop_id=shop.id, token="tok-r", phone=NY_PHONE, first_name="Ada",
                        line_items=[{"title": "Hat", "quantity": 2, "product_id": 1}], currency="USD",
                        customer_locale=locale, country_code="US", province_code="NY")
    db.session.add(checkout)
    db.session.flush()
    attempt = ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                             scheduled_at=utcnow(), status=AttemptStatus.DISPATCHED, phone=NY_PHONE,
                             dispatched_at=utcnow())
    db.session.add(attempt)
    db.session.flush()
    call = Call(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, status=CallStatus.QUEUED,
                phone=NY_PHONE, phone_hash="h", language=languages.language_of(locale), sid=SID)
    db.session.add(call)
    db.session.commit()
    return call


def _verbs(body: bytes) -> list[ET.Element]:
    return list(ET.fromstring(body))


@pytest.mark.parametrize("path", ["answer", "turn", "status", "amd", "recording"])
@pytest.mark.parametrize("how", ["missing", "wrong", "other_token"])
def test_forged_twilio_requests_are_refused_and_change_nothing(app, client, path, how):
    call = _a_call()
    form = _form(CallStatus="completed", CallDuration="30", AnsweredBy="machine_end_beep",
                 RecordingSid="RE" + "b" * 32, SpeechResult="stop")
    signature = {"missing": "", "wrong": "bm90IGEgc2lnbmF0dXJl", "other_token": None}[how]
    token = "another-token" if how == "other_token" else AUTH_TOKEN
    response = _signed(client, f"/twilio/voice/{path}?call={call.id}", form, token=token, signature=signature)
    assert response.status_code == 403
    db.session.commit()
    after = db.session.get(Call, call.id)
    assert after.status == CallStatus.QUEUED and after.recording_sid is None and after.outcome is None
    assert db.session.scalar(select(func.count()).select_from(CallTurn)) == 0


def test_signature_covers_the_query_string(app, client):
    call = _a_call()
    url_signed_for = f"/twilio/voice/status?call={call.id + 1}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(APP_URL + url_signed_for, _form())
    response = client.post(f"/twilio/voice/status?call={call.id}", data=_form(),
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_oversized_twilio_body_is_refused(app, client):
    call = _a_call()
    response = _signed(client, f"/twilio/voice/turn?call={call.id}", _form(SpeechResult="x" * 70_000))
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["answer", "turn", "status", "amd", "recording"])
def test_callbacks_for_an_unknown_call_are_acknowledged_without_error(app, client, path):
    _a_call()
    for query in ("?call=999999", "?call=abc", "", "?call=" + "9" * 40):
        response = _signed(client, f"/twilio/voice/{path}{query}", _form(CallSid="CA" + "f" * 32))
        assert response.status_code == 200
        assert response.mimetype == "text/xml"


def test_a_callback_naming_another_calls_sid_is_ignored(app, client):
    call = _a_call()
    response = _signed(client, f"/twilio/voice/status?call={call.id}",
                       _form(CallSid="CA" + "c" * 32, CallStatus="completed"))
    assert response.status_code == 200
    db.session.commit()
    assert db.session.get(Call, call.id).status == CallStatus.QUEUED


def test_completed_before_answered_keeps_completed_and_reports_once(app, client):
    call = _a_call()
    for status in ("completed", "in-progress", "ringing", "completed"):
        assert _signed(client, f"/twilio/voice/status?call={call.id}",
                       _form(CallStatus=status, CallDuration="12")).status_code == 200
    db.session.commit()
    after = db.session.get(Call, call.id)
    attempt = db.session.get(ContactAttempt, call.attempt_id)
    assert after.status == CallStatus.COMPLETED and after.reported
    assert attempt.status == AttemptStatus.COMPLETED and attempt.outcome == "no_answer"


def test_repeated_final_callback_changes_nothing(app, client):
    call = _a_call()
    _signed(client, f"/twilio/voice/answer?call={call.id}", _form(CallStatus="in-progress"))
    for _ in range(3):
        _signed(client, f"/twilio/voice/status?call={call.id}",
                _form(CallStatus="completed", CallDuration="40"))
    db.session.commit()
    after = db.session.get(Call, call.id)
    assert after.outcome == "completed" and after.duration_seconds == 40


@pytest.mark.promise("ai-disclosure")
@pytest.mark.promise("recording-announced")
@pytest.mark.parametrize("locale, words", [
    ("en-US", ("AI", "recorded", "stop", "9")),
    ("es-ES", ("inteligencia artificial", "grabada", "9")),
    ("fr-FR", ("intelligence artificielle", "enregistré", "9")),
    ("de-DE", ("KI", "aufgezeichnet", "9")),
    ("pt-BR", ("AI", "recorded", "stop", "9")),
])
def test_the_opening_comes_complete_before_any_agent_text(app, client, locale, words):
    call = _a_call(locale)
    body = _signed(client, f"/twilio/voice/answer?call={call.id}", _form(CallStatus="in-progress")).data
    verbs = _verbs(body)
    assert verbs[0].tag == "Say" and verbs[1].tag == "Gather"
    opening = verbs[0].text
    assert "Alpha Goods" in opening
    for word in words:
        assert word.lower() in opening.lower()
    gather = verbs[1]
    assert gather.get("input") == "speech dtmf"
    assert gather.get("action").startswith(APP_URL + "/twilio/voice/turn")
    assert len(verbs) == 2


@pytest.mark.promise("recording-announced")
def test_the_opening_does_not_announce_recording_when_recording_is_off(app, client):
    call = _a_call(recording_enabled=False)
    opening = _verbs(_signed(client, f"/twilio/voice/answer?call={call.id}", _form()).data)[0].text
    assert "record" not in opening.lower() and "Alpha Goods" in opening


@pytest.mark.promise("ai-disclosure")
def test_the_opening_uses_the_store_display_name(app, client):
    call = _a_call(store_display_name="Alpha Outdoor")
    opening = _verbs(_signed(client, f"/twilio/voice/answer?call={call.id}", _form()).data)[0].text
    assert "Alpha Outdoor" in opening


def test_the_merchants_voice_is_used_per_language(app, client):
    call = _a_call("es-MX", agent_voices={"es": "Polly.Mia-Neural"})
    verbs = _verbs(_signed(client, f"/twilio/voice/answer?call={call.id}", _form()).data)
    assert verbs[0].get("voice") == "Polly.Mia-Neural" and verbs[0].get("language").startswith("es")


def test_a_repeated_answer_request_repeats_the_question_without_new_side_effects(app, client):
    call = _a_call()
    _signed(client, f"/twilio/voice/answer?call={call.id}", _form())
    again = _verbs(_signed(client, f"/twilio/voice/answer?call={call.id}", _form()).data)
    assert [v.tag for v in again] == ["Gather"]
    assert db.session.scalar(select(func.count()).select_from(CallTurn)) == 2


def test_a_turn_after_the_call_ended_hangs_up(app, client):
    call = _a_call()
    _signed(client, f"/twilio/voice/status?call={call.id}", _form(CallStatus="completed"))
    body = _signed(client, f"/twilio/voice/turn?call={call.id}", _form(SpeechResult="yes")).data
    assert [v.tag for v in _verbs(body)] == ["Hangup"]


def test_malformed_confidence_and_digits_do_not_break_a_turn(app, client):
    call = _a_call()
    _signed(client, f"/twilio/voice/answer?call={call.id}", _form())
    odd = ({"Confidence": "high"}, {"Confidence": "7"}, {"Digits": "9" * 50}, {"SpeechResult": "\x00\xff"})
    for form in odd:
        response = _signed(client, f"/twilio/voice/turn?call={call.id}", _form(**form))
        assert response.status_code == 200


def test_recording_callback_is_stored(app, client):
    call = _a_call()
    _signed(client, f"/twilio/voice/recording?call={call.id}",
            _form(RecordingSid="RE" + "1" * 32, RecordingDuration="42", RecordingStatus="completed",
                  RecordingUrl="https://evil.example/x"))
    db.session.commit()
    after = db.session.get(Call, call.id)
    assert after.recording_sid == "RE" + "1" * 32 and after.recording_duration_seconds == 42


def test_callback_after_a_long_gap_still_reports(app, client):
    call = _a_call()
    call.created_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    _signed(client, f"/twilio/voice/status?call={call.id}", _form(CallStatus="busy"))
    db.session.commit()
    assert db.session.get(ContactAttempt, call.attempt_id).outcome == "busy"


def test_a_late_machine_verdict_does_not_interrupt_a_conversation(app, client):
    call = _a_call()
    _signed(client, f"/twilio/voice/answer?call={call.id}", _form())
    _signed(client, f"/twilio/voice/turn?call={call.id}", _form(SpeechResult="Who is this?"))
    _signed(client, f"/twilio/voice/amd?call={call.id}", _form(AnsweredBy="machine_end_beep"))
    _signed(client, f"/twilio/voice/status?call={call.id}", _form(CallStatus="completed"))
    db.session.commit()
    after = db.session.get(Call, call.id)
    assert after.outcome != "voicemail" and not any(t.intent == "voicemail" for t in after.turns)
