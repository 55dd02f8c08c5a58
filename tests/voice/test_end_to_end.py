"""One call per Twilio-simulator persona, end to end: webhook → plan → job → dial → TwiML turns →
callbacks → outcome, asserting the transcript and the side effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consent.models import Suppression
from app.extensions import db
from app.recovery.models import AttemptStatus, ContactAttempt
from app.shops.models import ShopSettings
from app.shops.settings import validate_update
from tests.voice.conftest import FROM_NUMBER, NY_PHONE, checkout_payload, make_shop, the_call

pytestmark = pytest.mark.data


def _call_through(served, clock, deliver, run_due, run_jobs, persona: str, **checkout):
    served.set_persona(NY_PHONE, persona)
    deliver(("checkouts/create", checkout_payload(**checkout)))
    run_due(clock, minutes=31)
    call = the_call()
    assert call is not None and call.sid, "the contact job dialed"
    sim_call = served.wait_for_call_end(call.sid)
    run_jobs()  # texts the call queued
    served.wait_idle()
    if sim_call.heard:
        # Every answered call opens with the complete disclosure, before anything the agent says.
        opening = sim_call.heard[0]
        assert not opening.in_gather and "Alpha Goods" in opening.text and "9" in opening.text
    return the_call(), sim_call


def _attempt(call) -> ContactAttempt:
    db.session.commit()
    return db.session.get(ContactAttempt, call.attempt_id)


def test_interested_shopper_gets_the_link_by_text(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "interested")
    assert call.outcome == "link_sent"
    assert _attempt(call).status == AttemptStatus.COMPLETED and _attempt(call).outcome == "link_sent"
    heard = [h.text for h in sim_call.heard]
    assert "Alpha Goods" in heard[0] and not sim_call.heard[0].in_gather
    texts = [m for m in served.messages.values() if m.to == NY_PHONE]
    assert len(texts) == 1 and "https://ringback.test/r/" in texts[0].body
    assert texts[0].from_ == FROM_NUMBER
    roles = [t.role for t in call.turns]
    assert roles[:2] == ["agent", "agent"] and "shopper" in roles


def _shopper_lines(call) -> list[str]:
    return [t.text for t in call.turns if t.role == "shopper"]


def _suppressed(reason: str | None = None) -> list[Suppression]:
    db.session.commit()
    rows = db.session.execute(select(Suppression)).scalars().all()
    return [r for r in rows if reason is None or r.reason == reason]


def _nothing_pending() -> bool:
    db.session.commit()
    return not db.session.execute(select(ContactAttempt).where(
        ContactAttempt.status == AttemptStatus.SCHEDULED)).first()


def test_shipping_cost_objection_gets_a_discount_within_the_cap_by_text(app, served, shopify, clock, deliver,
                                                                       run_due, run_jobs, installed_shop):
    shop = installed_shop()
    values = validate_update({}, {"holdout_percent": 0, "discount_max_percent": 15})
    shop.settings = ShopSettings(values=values)
    db.session.commit()
    call, _ = _call_through(served, clock, deliver, run_due, run_jobs, "shipping")
    assert call.outcome == "discount_sent" and call.objection == "shipping"
    created = shopify.discounts
    assert len(created) == 1 and created[0]["percentage"] <= 0.15 and created[0]["usage_limit"] == 1
    texts = [m.body for m in served.messages.values()]
    assert any(created[0]["code"] in body and "/r/" in body for body in texts)


@pytest.mark.promise("stop-at-once")
def test_stop_calling_me_suppresses_every_channel_and_plans_nothing(app, served, clock, deliver, run_due,
                                                                    run_jobs):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "stop")
    assert call.outcome == "opted_out"
    assert [s.channel for s in _suppressed("opted_out")] == ["all"]
    assert _nothing_pending()
    assert not served.messages
    assert sim_call.heard[-1].text  # a short confirmation before hanging up


@pytest.mark.promise("stop-at-once")
def test_pressing_9_opts_out_at_once(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    call, _ = _call_through(served, clock, deliver, run_due, run_jobs, "press9")
    assert call.outcome == "opted_out" and _shopper_lines(call) == ["[pressed 9]"]
    assert _suppressed("opted_out") and _nothing_pending()


def test_voicemail_leaves_a_short_message_without_cart_details(app, served, clock, deliver, run_due,
                                                              run_jobs):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "voicemail")
    assert call.outcome == "voicemail" and call.answered_by.startswith("machine")
    message = sim_call.heard[-1].text
    assert "Alpha Goods" in message and "9" in message and "Hat" not in message and "Ada" not in message
    # Nobody talked: the SMS follow-up is planned.
    db.session.commit()
    nxt = db.session.execute(select(ContactAttempt).where(ContactAttempt.status == AttemptStatus.SCHEDULED)
                             ).scalar_one()
    assert nxt.channel == "sms"


@pytest.mark.parametrize("persona, outcome", [("no_answer", "no_answer"), ("busy", "busy")])
def test_unanswered_call_plans_the_sms_fallback(app, served, clock, deliver, run_due, run_jobs, persona,
                                                outcome):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, persona)
    assert call.outcome == outcome and not call.turns and not sim_call.heard
    db.session.commit()
    nxt = db.session.execute(select(ContactAttempt).where(ContactAttempt.status == AttemptStatus.SCHEDULED)
                             ).scalar_one()
    assert nxt.channel == "sms" and nxt.scheduled_at <= clock.now() + timedelta(minutes=11)


def test_wrong_number_is_never_called_again(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    call, _ = _call_through(served, clock, deliver, run_due, run_jobs, "wrong_number")
    assert call.outcome == "wrong_number"
    assert _suppressed("wrong_number") and _nothing_pending()


def test_already_bought_ends_the_conversation(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    call, _ = _call_through(served, clock, deliver, run_due, run_jobs, "already_bought")
    assert call.outcome == "already_purchased" and _nothing_pending()


def test_asking_for_a_person_dials_the_transfer_number(app, served, clock, deliver, run_due, run_jobs):
    shop = make_shop(transfer_phone="+14155550199")
    assert shop
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "person")
    assert call.outcome == "transferred" and sim_call.dialed == ["+14155550199"]


def test_asking_for_a_person_outside_support_hours_gets_a_callback(app, served, clock, deliver, run_due,
                                                                   run_jobs):
    # 15:00 UTC is 10:00 in the demo shop's zone (America/New_York is the model default: none set).
    make_shop(transfer_phone="+14155550199", transfer_hours="00:00-01:00")
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "person")
    assert sim_call.dialed == [] and call.outcome == "callback_scheduled"
    db.session.commit()
    from app.recovery.models import Checkout

    checkout = db.session.execute(select(Checkout)).scalar_one()
    assert checkout.requested_callback_at is not None


def test_spanish_speaker_hears_the_opening_in_spanish(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "spanish",
                                   customer_locale="es-MX")
    assert call.language == "es"
    opening = sim_call.heard[0]
    assert opening.language.startswith("es") and "Alpha Goods" in opening.text and "9" in opening.text
    assert call.outcome == "link_sent"
    assert any("enlace" in m.body for m in served.messages.values())


def test_silent_shopper_gets_one_reprompt_then_a_graceful_close(app, served, clock, deliver, run_due,
                                                                run_jobs):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "silent")
    assert _shopper_lines(call) == ["[silence]", "[silence]"]
    assert call.outcome == "no_response"


@pytest.mark.promise("stop-at-once")
def test_calling_back_and_pressing_9_opts_out_as_the_voicemail_promised(app, served, clock, deliver, run_due,
                                                                        run_jobs):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "voicemail")
    assert "press 9" in sim_call.heard[-1].text
    back = served.place_inbound_call(NY_PHONE, FROM_NUMBER, url="https://ringback.test/twilio/voice/incoming",
                                     persona="press9")
    served.wait_for_call_end(back.sid)
    assert "Alpha Goods" in back.heard[0].text and "9" in back.heard[0].text
    assert "will not call or text you again" in back.heard[-1].text
    assert [s.reason for s in _suppressed()] == ["opted_out"] and _nothing_pending()


def test_an_unknown_caller_hears_who_we_are_and_nothing_changes(app, served):
    make_shop()
    back = served.place_inbound_call("+12025550199", FROM_NUMBER,
                                     url="https://ringback.test/twilio/voice/incoming", persona="press9")
    served.wait_for_call_end(back.sid)
    assert "no record of calling you" in back.heard[0].text and not _suppressed()


@pytest.mark.parametrize("persona, outcome", [("callback", "callback_scheduled"), ("robot", "link_sent")])
def test_more_shoppers(app, served, clock, deliver, run_due, run_jobs, persona, outcome):
    make_shop()
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, persona)
    assert call.outcome == outcome
    if persona == "robot":
        assert any("AI" in h.text for h in sim_call.heard[2:])
    else:
        from app.recovery.models import Checkout

        db.session.commit()
        checkout = db.session.execute(select(Checkout)).scalar_one()
        assert checkout.requested_callback_at is not None
        nxt = db.session.execute(select(ContactAttempt).where(
            ContactAttempt.status == AttemptStatus.SCHEDULED)).scalar_one()
        assert nxt.channel == "call" and nxt.scheduled_at == checkout.requested_callback_at


def test_shopify_refusing_the_code_gets_an_apology_and_the_call_goes_on(app, served, shopify, clock, deliver,
                                                                        run_due, run_jobs, installed_shop):
    shop = installed_shop()
    shop.settings = ShopSettings(values=validate_update({}, {"holdout_percent": 0}))
    db.session.commit()
    shopify.reject_discounts_next([{"field": ["basicCodeDiscount"], "code": "INVALID", "message": "no"}],
                                  times=2)
    call, sim_call = _call_through(served, clock, deliver, run_due, run_jobs, "shipping")
    assert call.outcome != "discount_sent" and call.discount_code is None
    assert any("sorry" in h.text.lower() for h in sim_call.heard)
    assert len(call.turns) > 4  # the conversation went on after the apology
