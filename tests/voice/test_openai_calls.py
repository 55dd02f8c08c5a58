"""A call driven by the OpenAI-compatible agent against a local fake model: the cap holds whatever
the model asks, the model never sees the shopper's number or e-mail, and a stall costs no dead air."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.shops.models import ShopSettings
from app.shops.settings import validate_update
from tests.agent.test_openai_agent import FakeModel, completion
from tests.conftest import _flush_queue, _truncate_all
from tests.voice.conftest import NY_PHONE, checkout_payload, the_call, twilio_config

pytestmark = pytest.mark.data


@pytest.fixture
def model():
    server = FakeModel()
    yield server
    server.close()


@pytest.fixture
def app(make_app, twilio, model):
    application = make_app(**twilio_config(twilio), RINGBACK_AGENT="openai", OPENAI_API_KEY="test-key",
                           OPENAI_BASE_URL=model.base_url, RINGBACK_LLM_MODEL="test-model",
                           RINGBACK_LLM_TIMEOUT_SECONDS=1.0)
    with application.app_context():
        yield application
        _truncate_all()
        _flush_queue(application)


def _call(served, clock, deliver, run_due, run_jobs, installed_shop, persona, **settings):
    shop = installed_shop()
    shop.settings = ShopSettings(values=validate_update({}, {"holdout_percent": 0, **settings}))
    db.session.commit()
    served.set_persona(NY_PHONE, persona)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    sim_call = served.wait_for_call_end(the_call().sid)
    run_jobs()
    served.wait_idle()
    return the_call(), sim_call


def test_the_model_asking_for_more_than_the_cap_gets_the_cap(app, served, model, shopify, clock, deliver,
                                                             run_due, run_jobs, installed_shop):
    model.answers = [
        completion("I can give you 50% off right now!", [("send_discount", json.dumps({"percent": 50}))]),
        completion("Great, anything else?"),
        completion("Goodbye!", [("end_call", json.dumps({"outcome": "completed"}))]),
    ]
    call, sim_call = _call(served, clock, deliver, run_due, run_jobs, installed_shop, "shipping",
                           discount_max_percent=10)
    assert [d["percentage"] for d in shopify.discounts] == [0.1]
    assert call.outcome == "discount_sent"
    assert not any("50" in h.text for h in sim_call.heard)
    texts = [m.body for m in served.messages.values()]
    assert any("10%" in body for body in texts)


@pytest.mark.promise("phone-shared-only-with-telephony")
@pytest.mark.promise("no-training-on-customer-data")
def test_the_model_sees_no_phone_email_or_address(app, served, model, shopify, clock, deliver, run_due,
                                                  run_jobs, installed_shop):
    model.answers = [completion("Sure, I'll text you the link.", [("send_link", "{}")])] + \
        [completion("Goodbye!", [("end_call", json.dumps({"outcome": "completed"}))])] * 3
    _call(served, clock, deliver, run_due, run_jobs, installed_shop, "interested")
    sent = json.dumps(model.requests)
    assert model.requests and "Ada" in sent and "Hat" in sent
    for personal in (NY_PHONE, NY_PHONE[2:], "shopper@example.com", "Lovelace", "NY", "ringback.test/r/"):
        assert personal not in sent
    assert all(body.get("store") is False and "user" not in body for body in model.requests)


def test_a_stalled_model_is_replaced_by_the_rules_in_the_same_turn(app, served, model, shopify, clock,
                                                                   deliver, run_due, run_jobs,
                                                                   installed_shop):
    model.answers = [{"stall": 5.0}] * 6
    call, sim_call = _call(served, clock, deliver, run_due, run_jobs, installed_shop, "interested")
    assert call.outcome == "link_sent"  # the rules agent carried the call
    shopper_turns = [t for t in call.turns if t.role == "shopper"]
    agent_turns = [t for t in call.turns if t.role == "agent"]
    assert len(agent_turns) >= len(shopper_turns) + 1
