"""The Twilio client honours TWILIO_API_BASE_URL for every request it makes."""

from __future__ import annotations

import pytest

from app.telephony.client import can_call, is_configured, twilio_client
from sandbox.twilio_sim import TwilioSimulator
from tests.voice.conftest import ACCOUNT_SID, AUTH_TOKEN, twilio_config


@pytest.mark.promise("phone-shared-only-with-telephony")
def test_every_rest_call_goes_to_the_configured_base_url(make_app):
    sim = TwilioSimulator(ACCOUNT_SID, AUTH_TOKEN).start()
    sim.set_persona("+12125550123", "no_answer")
    try:
        application = make_app(**twilio_config(sim))
        with application.app_context():
            client = twilio_client()
            call = client.calls.create(to="+12125550123", from_="+14155550100", url="https://ringback.test/x")
            client.calls.list(to="+12125550123", limit=5)
            client.calls(call.sid).fetch()
            client.messages.create(to="+12125550123", from_="+14155550100", body="hi")
            sim.wait_idle()
        paths = [r["path"] for r in sim.requests]
        assert len(paths) == 4 and all(p.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/") for p in paths)
        assert all(r["auth_ok"] for r in sim.requests)
    finally:
        sim.stop()


def test_calls_need_credentials_and_a_caller_id(make_app):
    application = make_app(TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t")
    with application.app_context():
        assert not is_configured() and not can_call()
    texts_only = make_app(TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t", TWILIO_MESSAGING_SERVICE_SID="MG1")
    with texts_only.app_context():
        assert is_configured() and not can_call()
