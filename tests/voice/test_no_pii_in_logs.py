"""Calls end to end at DEBUG: no phone number, name, words said, code or credential in any log line."""

from __future__ import annotations

import logging

import pytest

from tests.voice.conftest import AUTH_TOKEN, NY_PHONE, checkout_payload, make_shop, the_call

pytestmark = pytest.mark.data


@pytest.mark.promise("no-pii-in-logs")
@pytest.mark.parametrize("persona", ["interested", "stop", "voicemail", "spanish"])
def test_a_call_logs_no_personal_data(caplog, app, served, clock, deliver, run_due, run_jobs, persona):
    caplog.set_level(logging.DEBUG)
    make_shop()
    served.set_persona(NY_PHONE, persona)
    deliver(("checkouts/create", checkout_payload(customer_locale="es-ES" if persona == "spanish" else "en")))
    run_due(clock, minutes=31)
    served.wait_for_call_end(the_call().sid)
    run_jobs()
    served.wait_idle()
    call = the_call()
    said = [t.text for t in call.turns if t.role == "shopper" and not t.text.startswith("[")]
    secrets = [NY_PHONE, NY_PHONE[2:], "shopper@example.com", "Lovelace", AUTH_TOKEN, *said,
               *(m.body for m in served.messages.values())]
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "twilio" in text.lower(), "nothing about the call was logged: the test would prove nothing"
    for secret in secrets:
        assert secret not in text, secret
