"""The rules agent, driven with the simulator's shopper scripts (plain strings, no transport)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.agent import (
    AlreadyPurchased,
    CartLine,
    End,
    OptOut,
    RulesAgent,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Transfer,
    Utterance,
    WrongNumber,
)
from tests.agent.conftest import NOW, TIMEZONE, actions_of, converse, make_context
from tests.agent.scripts import SCRIPTS


def _local(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(TIMEZONE))


def _tomorrow_at(hour: int) -> datetime:
    local_now = NOW.astimezone(ZoneInfo(TIMEZONE))
    return (local_now + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


# -- the simulator's personas ----------------------------------------------------------------------


def test_interested_shopper_gets_the_link_texted(context):
    replies = converse(RulesAgent(), context, SCRIPTS["interested"]["en"])

    assert replies[1].text == "Shall I text you a secure link to your cart?"
    assert replies[2].text.startswith("Done, I've just texted you the link.")
    assert actions_of(replies).count(SendLink()) == 1
    assert replies[-1].actions == (End("completed"),) and replies[-1].end


def test_shipping_objection_is_met_with_the_capped_discount(context):
    replies = converse(RulesAgent(), context, SCRIPTS["shipping"]["en"])

    assert "10% off" in replies[1].text and replies[1].objection == "shipping"
    assert SendDiscount(10) in replies[2].actions
    assert "limited time" in replies[2].text
    assert replies[-1].end and replies[-1].objection == "shipping"
    assert End("completed") in replies[-1].actions


@pytest.mark.promise("stop-at-once")
def test_stop_opts_out_and_hangs_up(context):
    reply = converse(RulesAgent(), context, SCRIPTS["stop"]["en"])[-1]

    assert reply.actions == (OptOut(),) and reply.end
    assert reply.text == "Understood, you won't be contacted again. Goodbye."


@pytest.mark.promise("stop-at-once")
def test_pressing_9_opts_out(context):
    reply = converse(RulesAgent(), context, SCRIPTS["press9"]["en"])[-1]

    assert reply.actions == (OptOut(),) and reply.end


@pytest.mark.promise("stop-at-once")
def test_stop_wins_over_everything_else_in_the_same_utterance(context):
    for line in ("No, stop calling me.", "Yes, but don't call me again", "The link? Unsubscribe me."):
        reply = converse(RulesAgent(), context, [line])[-1]
        assert reply.actions == (OptOut(),), line


@pytest.mark.promise("stop-at-once")
def test_pressing_9_opts_out_at_any_point(context):
    replies = converse(RulesAgent(), context, ["The shipping is too expensive.", Utterance(digits="9")])

    assert replies[-1].actions == (OptOut(),) and replies[-1].end


@pytest.mark.promise("stop-at-once")
def test_a_half_heard_stop_still_opts_out(context):
    reply = converse(RulesAgent(), context, [Utterance(text="stop", confidence=0.1)])[-1]

    assert reply.actions == (OptOut(),)


def test_wrong_number_apologises_and_ends(context):
    reply = converse(RulesAgent(), context, SCRIPTS["wrong_number"]["en"])[-1]

    assert reply.actions == (WrongNumber(),) and reply.end


def test_already_bought_thanks_and_ends(context):
    reply = converse(RulesAgent(), context, SCRIPTS["already_bought"]["en"])[-1]

    assert reply.actions == (AlreadyPurchased(),) and reply.end
    assert "Thank you" in reply.text


def test_asking_for_a_person_transfers_when_someone_is_available(context):
    reply = converse(RulesAgent(), context, SCRIPTS["person"]["en"])[-1]

    assert reply.actions == (Transfer(),) and reply.end
    assert reply.text == "Connecting you with someone from Acme Hats now."


def test_asking_for_a_person_out_of_hours_schedules_a_callback():
    context = make_context(transfer_available=False, transfer_configured=True)
    replies = converse(RulesAgent(), context, SCRIPTS["person"]["en"])

    assert replies[1].text == "Our team isn't available right now. Can we call you back? When would suit you?"
    assert not replies[1].end
    (callback,) = replies[2].actions
    assert isinstance(callback, ScheduleCallback)
    assert _local(callback.at) == _tomorrow_at(10)
    assert callback.at.utcoffset() == timedelta(0)
    assert replies[2].end and "tomorrow at 10 am" in replies[2].text


def test_asking_for_a_person_when_the_store_has_nobody_offers_the_link():
    context = make_context(transfer_available=False, transfer_configured=False)
    reply = converse(RulesAgent(), context, ["Can I talk to a real person?"])[-1]

    assert reply.actions == () and not reply.end
    assert "Shall I text you a secure link" in reply.text


def test_spanish_shopper_gets_the_link_in_spanish():
    replies = converse(RulesAgent(), make_context(language="es"), SCRIPTS["interested"]["es"])

    assert actions_of(replies).count(SendLink()) == 1
    assert End("completed") in replies[-1].actions
    english = {"the", "you", "your", "link", "help", "would", "thanks", "goodbye", "shall"}
    for reply in replies:
        words = set(re.findall(r"[a-z]+", reply.text.lower())) - {
            "acme",
            "hats",
            "red",
            "hat",
            "blue",
            "scarf",
        }
        assert not words & english, reply.text
    assert replies[0].text.startswith("Hola Ada")


def test_silent_shopper_gets_one_reprompt_then_the_call_ends(context):
    replies = converse(RulesAgent(), context, SCRIPTS["silent"]["en"])

    assert replies[1].text.startswith("Sorry, I didn't catch that.") and not replies[1].end
    assert replies[2].actions == (End("no_response"),) and replies[2].end


def test_busy_shopper_is_called_back_at_the_time_named(context):
    reply = converse(RulesAgent(), context, SCRIPTS["callback"]["en"])[-1]

    (callback,) = reply.actions
    assert isinstance(callback, ScheduleCallback)
    assert _local(callback.at) == _tomorrow_at(18)
    assert reply.end and "tomorrow at 6 pm" in reply.text
    assert reply.objection == "not_now"


@pytest.mark.promise("ai-disclosure")
def test_robot_question_gets_the_disclosure_then_the_conversation_goes_on(context):
    replies = converse(RulesAgent(), context, SCRIPTS["robot"]["en"])

    assert replies[1].text.startswith("Yes, I'm an automated AI assistant calling on behalf of Acme Hats.")
    assert replies[1].text.endswith("Would you like some help finishing your order?")
    assert actions_of(replies).count(SendLink()) == 1
    assert End("completed") in replies[-1].actions


# -- the rest of the behaviour -----------------------------------------------------------------


def test_greeting_names_the_cart_and_the_store(context):
    reply = RulesAgent().greet(context)

    assert reply.text == (
        "Hi Ada, you left 2 Red Hats and 1 Blue Scarf, $120.00 in total, in your cart at Acme Hats. "
        "Would you like some help finishing your order?"
    )


def test_greeting_without_a_first_name_and_with_a_long_cart():
    lines = (CartLine("Red Hat", 2), CartLine("Blue Scarf"), CartLine("Glove", 2), CartLine("Belt"))
    reply = RulesAgent().greet(make_context(first_name=None, lines=lines))

    assert reply.text.startswith("Hi there, you left 2 Red Hats, 1 Blue Scarf and 2 more items, $120.00")


def test_no_thanks_declines_politely(context):
    reply = converse(RulesAgent(), context, ["No thanks."])[-1]

    assert reply.actions == (End("declined"),) and reply.end


def test_not_now_asks_when_and_a_second_vague_answer_declines(context):
    replies = converse(RulesAgent(), context, ["I'm busy.", "I don't know."])

    assert replies[1].text == "No problem. When would be a better time?" and not replies[1].end
    assert replies[2].actions == (End("declined"),)


def test_not_now_then_a_time_schedules_the_callback(context):
    replies = converse(RulesAgent(), context, ["Not now.", "Call me back in 2 hours."])

    (callback,) = replies[-1].actions
    assert callback == ScheduleCallback(at=NOW + timedelta(hours=2))


def test_price_objection_without_discounts_offers_the_link_instead():
    replies = converse(RulesAgent(), make_context(discount_max_percent=0), ["It's too expensive.", "Yes."])

    assert "%" not in replies[1].text and replies[1].objection == "price"
    assert replies[2].actions == (SendLink(),)


@pytest.mark.promise("opt-in-only")
def test_discount_without_sms_consent_is_read_out():
    replies = converse(RulesAgent(), make_context(sms_allowed=False), ["Too expensive.", "Yes."])

    assert replies[1].text.endswith("Would you like me to read you the code?")
    assert replies[2].actions == (SendDiscount(10, read_out=True),)


@pytest.mark.promise("opt-in-only")
def test_interested_shopper_without_sms_consent_is_pointed_to_the_email():
    reply = converse(RulesAgent(), make_context(sms_allowed=False), ["Yes, I'd like to finish my order."])[-1]

    assert reply.actions == (End("completed"),) and reply.end
    assert "email" in reply.text


def test_payment_problem_offers_the_link_to_retry(context):
    reply = converse(RulesAgent(), context, ["My card was declined."])[-1]

    assert reply.objection == "payment" and "Shall I text you a secure link" in reply.text


def test_product_question_offers_a_transfer_then_connects(context):
    replies = converse(RulesAgent(), context, ["I have a question about the sizes.", "Yes please."])

    assert replies[1].objection == "product_question" and "connect you" in replies[1].text
    assert replies[2].actions == (Transfer(),)


@pytest.mark.promise("ai-disclosure")
def test_who_is_this_names_the_store_and_the_reason(context):
    reply = converse(RulesAgent(), context, ["Who is this?"])[-1]

    assert "Acme Hats" in reply.text and "cart" in reply.text and not reply.end


def test_low_confidence_speech_is_reprompted_not_acted_on(context):
    reply = converse(RulesAgent(), context, [Utterance(text="yes send the link", confidence=0.2)])[-1]

    assert reply.actions == () and reply.text.startswith("Sorry, I didn't catch that.")


def test_keypad_1_is_yes_and_2_is_no(context):
    replies = converse(
        RulesAgent(), context, [Utterance(digits="1"), Utterance(digits="1"), Utterance(digits="2")]
    )

    assert actions_of(replies) == [SendLink(), End("completed")]


def test_link_is_texted_only_once(context):
    replies = converse(RulesAgent(), context, ["Send me the link.", "Text me the link."])

    assert actions_of(replies).count(SendLink()) == 1
    assert "already" in replies[-1].text


def test_the_conversation_ends_after_max_turns():
    context = make_context(max_turns=3)
    replies = converse(RulesAgent(), context, ["Who is this?", "Are you a robot?", "Who is this?", "Who?"])

    assert len(replies) == 4  # greeting + 3 shopper turns
    assert replies[-1].end and End("completed") in replies[-1].actions


def test_sms_conversation_never_dials_and_offers_a_call_back():
    reply = converse(RulesAgent(), make_context(channel="sms"), ["Can I talk to a real person?"])[-1]

    assert Transfer() not in reply.actions and not reply.end
    assert "call you back" in reply.text
    assert "press" not in reply.text.lower()


def test_stream_yields_the_text_then_the_same_reply_as_respond(context):
    agent = RulesAgent()
    state = agent.greet(context).state
    items = list(agent.stream(context, [], Utterance(text="Yes please", confidence=0.9), state))

    assert items[-1] == agent.respond(context, [], Utterance(text="Yes please", confidence=0.9), state)
    assert "".join(item for item in items[:-1]) == items[-1].text


# -- a code asked for, questions, thanks (on a call) ---------------------------------------------


def test_call_code_request_offers_the_discount(context):
    replies = converse(RulesAgent(), context, ["Do you have a discount code?", "Yes please."])

    assert replies[1].text == (
        "I can offer you 10% off your order with a one-time code. Shall I text you the code?"
    )
    assert replies[1].actions == () and replies[1].objection == "price"
    assert replies[2].actions == (SendDiscount(10),)


def test_call_code_request_once_offered_sends_the_code(context):
    replies = converse(RulesAgent(), context, ["It's too expensive.", "Yes, send me the code."])

    assert replies[2].actions == (SendDiscount(10),)


@pytest.mark.promise("opt-in-only")
def test_call_code_request_without_sms_consent_is_read_out():
    replies = converse(RulesAgent(), make_context(sms_allowed=False), ["Any coupon?", "Yes."])

    assert replies[1].text.endswith("Would you like me to read you the code?")
    assert replies[2].actions == (SendDiscount(10, read_out=True),)


def test_call_code_request_without_discounts_offers_the_link():
    replies = converse(
        RulesAgent(), make_context(discount_max_percent=0), ["Do you have a promo code?", "Yes."]
    )

    assert replies[1].text == (
        "Sorry, I have no discount code to offer. Shall I text you a secure link to your cart?"
    )
    assert replies[2].actions == (SendLink(),)


def test_call_shipping_question_is_answered_and_the_link_offered(context):
    reply = converse(RulesAgent(), context, ["Do you ship to Canada?"])[-1]

    assert reply.text == (
        "Shipping options and costs for your address are shown at checkout. "
        "Shall I text you a secure link to your cart?"
    )
    assert reply.objection == "shipping" and reply.actions == ()


def test_call_payment_question_is_not_taken_for_payment_trouble(context):
    reply = converse(RulesAgent(), context, ["Do you accept PayPal?"])[-1]

    assert reply.text.startswith("The payment methods Acme Hats accepts are shown at checkout.")
    assert "trouble" not in reply.text and reply.objection == "payment"


def test_call_thank_you_after_the_link_says_goodbye(context):
    replies = converse(RulesAgent(), context, ["Send me the link.", "Thank you!"])

    assert replies[-1].text == "You're welcome, have a great day. Goodbye."
    assert replies[-1].actions == (End("completed"),) and replies[-1].end
