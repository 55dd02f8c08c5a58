"""Texts end to end at DEBUG: no phone number, name, message body, code or credential in any log line."""

from __future__ import annotations

import logging

import pytest

from tests.sms.test_sender import texted
from tests.voice.conftest import APP_URL, AUTH_TOKEN, FROM_NUMBER, NY_PHONE

pytestmark = pytest.mark.data


@pytest.mark.promise("no-pii-in-logs")
@pytest.mark.parametrize("code", [None, 30005, 21610])
def test_texts_replies_and_keywords_log_no_personal_data(caplog, app, served, clock, deliver, run_due,
                                                         run_jobs, code):
    caplog.set_level(logging.DEBUG)
    if code == 21610:
        served.unsubscribed.add(NY_PHONE)
    elif code:
        served.delivery_errors[NY_PHONE] = code
    texted(served, clock, deliver, run_due)
    shopper_said = ["send me the link please", "do you ship to Canada?", "HELP", "STOP", "START"]
    for body in shopper_said:
        served.send_sms(NY_PHONE, FROM_NUMBER, body, url=APP_URL + "/twilio/sms/incoming")
        run_jobs()
    served.wait_idle()
    secrets = [NY_PHONE, NY_PHONE[2:], "shopper@example.com", "Lovelace", "Ada", AUTH_TOKEN,
               *shopper_said[:2], *(m.body for m in served.messages.values()),
               *(reply for sms in served.inbound for reply in sms.replies)]
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    logged = text.lower()
    assert "sms" in logged or "message" in logged, "nothing was logged: the test would prove nothing"
    for secret in secrets:
        assert secret not in text, secret
