"""Every persona in every language: the right outcome, and the invariants that must always hold."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.agent import (
    AlreadyPurchased,
    End,
    OptOut,
    RulesAgent,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Transfer,
    WrongNumber,
)
from app.agent.prompt import SMS_REPLY_MAX_CHARACTERS
from tests.agent.conftest import NOW, TIMEZONE, actions_of, converse, make_context
from tests.agent.scripts import LANGUAGES, SCRIPTS

CAPS = (0, 5, 10, 30)

EXPECTED = {
    "interested": SendLink(),
    "shipping": SendDiscount(10),
    "stop": OptOut(),
    "press9": OptOut(),
    "wrong_number": WrongNumber(),
    "already_bought": AlreadyPurchased(),
    "person": Transfer(),
    "silent": End("no_response"),
    "robot": SendLink(),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_every_persona_reaches_its_outcome_in_every_language(persona, language):
    replies = converse(RulesAgent(), make_context(language=language), SCRIPTS[persona][language])

    assert EXPECTED[persona] in actions_of(replies)
    assert replies[-1].end


@pytest.mark.parametrize("language", LANGUAGES)
def test_callback_time_is_read_in_every_language(language):
    reply = converse(RulesAgent(), make_context(language=language), SCRIPTS["callback"][language])[-1]

    (callback,) = reply.actions
    local = callback.at.astimezone(ZoneInfo(TIMEZONE))
    assert (local.date(), local.hour, local.minute) == ((NOW + timedelta(days=1)).date(), 18, 0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_person_out_of_hours_leads_to_a_callback_in_every_language(language):
    context = make_context(language=language, transfer_available=False)
    reply = converse(RulesAgent(), context, SCRIPTS["person"][language])[-1]

    (callback,) = reply.actions
    assert isinstance(callback, ScheduleCallback)
    assert callback.at.astimezone(ZoneInfo(TIMEZONE)).hour == 10


def _assert_invariants(replies, context):
    for reply in replies:
        assert reply.text.strip()
        if context.channel == "sms" and reply is not replies[0]:  # the SMS transport never greets
            assert len(reply.text) <= SMS_REPLY_MAX_CHARACTERS, reply.text
        assert json.loads(json.dumps(reply.state)) == dict(reply.state)
        for action in reply.actions:
            if isinstance(action, SendDiscount):
                assert 0 < action.percent <= context.discount_max_percent
    shopper_turns = len(replies) - 1
    assert shopper_turns <= context.max_turns
    assert replies[-1].end or shopper_turns < context.max_turns


@pytest.mark.parametrize("cap", CAPS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("persona", sorted(SCRIPTS))
def test_scripts_keep_every_invariant_at_every_cap(persona, language, cap):
    context = make_context(language=language, discount_max_percent=cap)
    replies = converse(RulesAgent(), context, SCRIPTS[persona][language])

    _assert_invariants(replies, context)
    assert replies[-1].end
    if cap == 0:
        assert not [a for a in actions_of(replies) if isinstance(a, SendDiscount)]


_ALL_LINES = [line for persona in SCRIPTS.values() for lines in persona.values() for line in lines]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.sampled_from(_ALL_LINES), min_size=1, max_size=15),
    language=st.sampled_from(LANGUAGES + ("pt",)),
    cap=st.sampled_from(CAPS),
    max_turns=st.integers(min_value=1, max_value=8),
    sms_allowed=st.booleans(),
    transfer_available=st.booleans(),
    channel=st.sampled_from(("call", "sms")),
)
def test_any_sequence_of_lines_keeps_every_invariant(
    lines, language, cap, max_turns, sms_allowed, transfer_available, channel
):
    context = make_context(
        language=language,
        discount_max_percent=cap,
        max_turns=max_turns,
        sms_allowed=sms_allowed,
        transfer_available=transfer_available,
        channel=channel,
    )
    replies = converse(RulesAgent(), context, lines)

    _assert_invariants(replies, context)
    if len(lines) >= max_turns:
        assert replies[-1].end
    actions = actions_of(replies)
    if not sms_allowed:
        assert SendLink() not in actions
    if channel == "sms":
        assert Transfer() not in actions
    assert actions.count(SendLink()) <= 1
