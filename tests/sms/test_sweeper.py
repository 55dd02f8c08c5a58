"""The SMS sweeper: a text whose send job was lost is queued again, and still sent once."""

from __future__ import annotations

import pytest

from app.sms import sweeper
from app.sms.models import MessageStatus
from tests.sms.test_sender import recovery_texts
from tests.voice.conftest import checkout_payload, make_shop

pytestmark = pytest.mark.data


def test_a_stalled_text_is_picked_up_by_the_sweeper(app, unheard, clock, deliver, run_due, run_jobs,
                                                    monkeypatch):
    make_shop(calls_enabled=False)
    unheard.timeout_next("messages", seconds=3, create=True)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    unheard.wait_idle()
    [message] = recovery_texts()
    assert message.status == MessageStatus.REQUESTING
    monkeypatch.setattr(sweeper, "STALLED_AFTER", sweeper.STALLED_AFTER * 0)
    assert sweeper.sweep()["requeued"] == 1
    run_jobs()
    unheard.wait_idle()
    assert recovery_texts()[0].sid in unheard.messages and len(unheard.messages) == 1


def test_a_reply_held_for_the_window_is_left_alone_until_due(app, served, clock, deliver, run_due, run_jobs,
                                                            monkeypatch):
    from tests.sms.test_conversation import outbound, reply
    from tests.sms.test_sender import texted

    texted(served, clock, deliver, run_due)
    clock.advance(hours=11)  # after the window closed
    reply(served, run_jobs, "send me the link")
    monkeypatch.setattr(sweeper, "STALLED_AFTER", sweeper.STALLED_AFTER * 0)
    assert sweeper.sweep()["requeued"] == 0
    clock.set(outbound("link")[0].not_before)
    assert sweeper.sweep()["requeued"] == 1
