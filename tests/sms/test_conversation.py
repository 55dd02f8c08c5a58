"""A shopper's reply by text, answered by the calls' agent: inside the contact window, only with
standing SMS consent, its actions carried out (the link, a code, a callback, an opt-out)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.consent.models import Suppression
from app.extensions import db
from app.recovery.models import AttemptStatus, Checkout
from app.sms import outbox
from app.sms.models import Message
from tests.sms.test_sender import attempts, texted
from tests.voice.conftest import APP_URL, FROM_NUMBER, NY_PHONE, checkout_payload, make_shop

pytestmark = pytest.mark.data
INCOMING = APP_URL + "/twilio/sms/incoming"


def outbound(kind: str | None = None) -> list[Message]:
    db.session.commit()
    query = select(Message).where(Message.direction == "outbound").order_by(Message.id)
    if kind:
        query = query.where(Message.kind == kind)
    return db.session.execute(query).scalars().all()


def reply(served, run_jobs, body: str) -> None:
    served.send_sms(NY_PHONE, FROM_NUMBER, body, url=INCOMING)
    run_jobs()
    served.wait_idle()


def bodies_sent_after_the_recovery_text(served) -> list[str]:
    return [m.body for m in list(served.messages.values())[1:]]


def texted_by_a_shop_offering_codes(installed_shop, served, clock, deliver, run_due) -> None:
    """An installed shop (Shopify can create codes for it), texts only, codes up to 15 %: texted."""
    from app.shops.models import ShopSettings
    from app.shops.settings import validate_update

    shop = installed_shop()
    shop.settings = ShopSettings(values=validate_update({}, {"holdout_percent": 0, "calls_enabled": False,
                                                             "discount_max_percent": 15}))
    db.session.commit()
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    served.wait_idle()


def test_send_me_the_link_by_text_gets_the_link(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    reply(served, run_jobs, "send me the link")
    kinds = [m.kind for m in outbound()]
    assert kinds == ["recovery", "link"]
    [answer] = bodies_sent_after_the_recovery_text(served)
    assert "/r/" in answer and answer.count("Alpha Goods") <= 1
    assert served.inbound[-1].replies == []  # answered by REST (tracked, in the window), not TwiML


def test_yes_send_me_a_code_by_text_gets_a_discount_code(app, served, shopify, clock, deliver, run_due,
                                                         run_jobs, installed_shop):
    texted_by_a_shop_offering_codes(installed_shop, served, clock, deliver, run_due)
    reply(served, run_jobs, "yes please send me a code")
    [created] = shopify.discounts
    assert created["percentage"] <= 0.15 and created["usage_limit"] == 1
    assert any(created["code"] in body for body in bodies_sent_after_the_recovery_text(served))
    reply(served, run_jobs, "another code please")
    assert len(shopify.discounts) == 1  # one code per checkout


def test_a_question_by_text_gets_an_answer(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    reply(served, run_jobs, "do you ship to Canada?")
    answer = outbound()[-1]
    assert answer.kind != "recovery" and "checkout" in answer.body.lower() and "/r/" in answer.body
    assert "catch" not in answer.body.lower()


@pytest.mark.promise("opt-in-only")
def test_call_me_by_text_without_call_consent_books_no_call(app, served, clock, deliver, run_due, run_jobs):
    make_shop(calls_enabled=False)
    deliver(("checkouts/create", checkout_payload(note_attributes=[], buyer_accepts_sms_marketing=True,
                                                  sms_marketing_phone=NY_PHONE)))
    run_due(clock, minutes=31)
    served.wait_idle()
    reply(served, run_jobs, "call me tomorrow at 6")
    db.session.commit()
    assert db.session.execute(select(Checkout)).scalar_one().requested_callback_at is None
    assert "call" not in outbound()[-1].body.lower()


def test_shopify_refusing_the_code_gets_an_apology_and_the_link(app, served, shopify, clock, deliver, run_due,
                                                                run_jobs, installed_shop):
    texted_by_a_shop_offering_codes(installed_shop, served, clock, deliver, run_due)
    shopify.reject_discounts_next([{"field": ["basicCodeDiscount"], "code": "INVALID", "message": "no"}])
    reply(served, run_jobs, "send me a code")
    answer = bodies_sent_after_the_recovery_text(served)[-1]
    assert "could not be created" in answer and "/r/" in answer


def test_call_me_tomorrow_at_6_by_text_plans_the_callback(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    served.set_persona(NY_PHONE, "no_answer")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    run_due(clock, minutes=11)  # the text after the unanswered call
    served.wait_idle()
    reply(served, run_jobs, "call me tomorrow at 6")
    db.session.commit()
    checkout = db.session.execute(select(Checkout)).scalar_one()
    assert checkout.requested_callback_at is not None
    [pending] = [a for a in attempts() if a.status == AttemptStatus.SCHEDULED]
    assert pending.channel == "call" and pending.scheduled_at == checkout.requested_callback_at


def test_replies_outside_the_contact_window_wait_for_it(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    clock.advance(hours=11)  # 22:30 in New York: after the window closed
    reply(served, run_jobs, "send me the link")
    held = outbound("link")[0]
    assert held.status == "pending" and held.not_before is not None and held.not_before > clock.now()
    assert len(served.messages) == 1
    assert outbox.send(held.id) == "early"
    clock.set(held.not_before)
    outbox.send(held.id)
    served.wait_idle()
    assert len(served.messages) == 2


@pytest.mark.promise("opt-in-only")
def test_without_standing_sms_consent_a_reply_gets_no_answer(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    deliver(("checkouts/update", checkout_payload(consent="no", updated_at=clock.now())))
    reply(served, run_jobs, "send me the link")
    assert [m.kind for m in outbound()] == ["recovery"] and len(served.messages) == 1


def test_wrong_number_by_text_is_never_contacted_again(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    reply(served, run_jobs, "wrong number")
    db.session.commit()
    [suppression] = db.session.execute(select(Suppression)).scalars().all()
    assert (suppression.channel, suppression.reason) == ("all", "wrong_number") and suppression.shop_id
    assert not [a for a in attempts() if a.status == AttemptStatus.SCHEDULED]


def test_i_already_bought_it_by_text_cancels_what_is_planned(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    reply(served, run_jobs, "I already bought it")
    canceled = [a for a in attempts() if a.status == AttemptStatus.CANCELED]
    assert canceled and canceled[0].reason == "already_purchased"


def test_the_reply_joins_the_checkouts_thread(app, served, clock, deliver, run_due, run_jobs):
    texted(served, clock, deliver, run_due)
    clock.advance(minutes=3)
    reply(served, run_jobs, "send me the link")
    db.session.commit()
    checkout = db.session.execute(select(Checkout)).scalar_one()
    thread = db.session.execute(select(Message).where(Message.checkout_id == checkout.id)
                                .order_by(Message.id)).scalars().all()
    assert [(m.direction, m.kind) for m in thread] == [("outbound", "recovery"), ("inbound", "reply"),
                                                       ("outbound", "link")]
    assert thread[2].agent_state is not None


def test_a_simulated_texter_misses_the_call_and_texts_back_a_question(app, served, clock, deliver, run_due,
                                                                      run_jobs):
    served.sms_url = INCOMING
    make_shop()
    served.set_persona(NY_PHONE, "texter-question")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    served.wait_idle()
    run_due(clock, minutes=11)  # the SMS follow-up to the unanswered call
    served.wait_idle()  # the texter's reply, delivered to the app
    run_jobs()  # the answer's send job
    served.wait_idle()
    db.session.commit()
    thread = db.session.execute(select(Message).order_by(Message.id)).scalars().all()
    assert [(m.direction, m.kind) for m in thread] == [("outbound", "recovery"), ("inbound", "reply"),
                                                       ("outbound", "link")]
    assert thread[1].body == "do you ship to Canada?" and thread[2].sid in served.messages
