"""The OpenAI agent against a local OpenAI-compatible server that plays scripted answers."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.agent import (
    End,
    OpenAIAgent,
    OptOut,
    Reply,
    RulesAgent,
    ScheduleCallback,
    SendDiscount,
    SendLink,
    Turn,
    Utterance,
)
from tests.agent.conftest import NOW, TIMEZONE, make_context

STALL_SECONDS = 5.0
TIMEOUT_SECONDS = 0.5


# -- the fake model server -----------------------------------------------------------------------


class FakeModel:
    """Serves POST /v1/chat/completions from a script of answers and records every request body."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[object] = []
        self.released = threading.Event()  # ends any stall when the test is over
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @Request.application
    def _app(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return Response("not found", status=404)
        self.requests.append(json.loads(request.get_data()))
        answer = self.answers.pop(0) if self.answers else {"status": 500}
        if "status" in answer:
            return Response(json.dumps({"error": {"message": "boom"}}), status=answer["status"])
        if "stall" in answer:
            self.released.wait(answer["stall"])
            return Response(json.dumps(completion("too late")), mimetype="application/json")
        if "events" in answer:
            return Response(
                self._sse(answer["events"], answer.get("then_stall")), mimetype="text/event-stream"
            )
        return Response(json.dumps(answer), mimetype="application/json")

    def _sse(self, events: list[dict], then_stall: float | None) -> Iterator[bytes]:
        for event in events:
            yield f"data: {json.dumps(event)}\n\n".encode()
        if then_stall:
            self.released.wait(then_stall)
            return
        yield b"data: [DONE]\n\n"


def completion(content: str | None = None, tool_calls: list[tuple[str, str]] = ()) -> dict:
    """A chat.completion body with this text and these (name, JSON arguments) tool calls."""
    message: dict = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
            for i, (name, arguments) in enumerate(tool_calls)
        ]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
    }


def chunk(content: str | None = None, tool_call: dict | None = None) -> dict:
    """One chat.completion.chunk carrying a text delta or a tool call fragment."""
    delta: dict = {}
    if content is not None:
        delta["content"] = content
    if tool_call is not None:
        delta["tool_calls"] = [tool_call]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


@pytest.fixture
def model():
    server = FakeModel()
    yield server
    server.close()


@pytest.fixture
def make_agent(model):
    agents = []

    def build(**options) -> OpenAIAgent:
        options = {"api_key": "test-key", "base_url": model.base_url, "model": "test-model", **options}
        agent = OpenAIAgent(**options)
        agents.append(agent)
        return agent

    yield build
    for agent in agents:
        agent.close()


def turn(agent, context, text: str = "", digits: str = "", state=None) -> Reply:
    history = [Turn("agent", "Hi Ada, would you like some help finishing your order?")]
    utterance = Utterance(text=text, confidence=0.9 if text else None, digits=digits)
    return agent.respond(
        context, history, utterance, state if state is not None else agent.greet(context).state
    )


def rules_reply(context, text: str) -> Reply:
    rules = RulesAgent()
    return turn(rules, context, text, state=rules.greet(context).state)


# -- tool calls ----------------------------------------------------------------------------------


def test_discount_never_exceeds_the_cap_even_when_the_model_asks(model, make_agent):
    model.answers.append(completion("Great news, here is 50% off!", [("send_discount", '{"percent": 50}')]))
    context = make_context(discount_max_percent=10)

    reply = turn(make_agent(), context, "The shipping is too expensive.")

    assert reply.actions == (SendDiscount(10),)
    assert "50" not in reply.text and "10% off" in reply.text
    assert reply.objection == "shipping"


def test_no_discount_is_sent_or_promised_when_the_cap_is_zero(model, make_agent):
    model.answers.append(
        completion("I'll send you a 50% discount code!", [("send_discount", '{"percent": 50}')])
    )
    context = make_context(discount_max_percent=0)

    reply = turn(make_agent(), context, "It's too expensive.")

    assert not [a for a in reply.actions if isinstance(a, SendDiscount)]
    assert "%" not in reply.text and "discount" not in reply.text.lower()
    assert "send_discount" not in json.dumps(model.requests[0]["tools"])


def test_send_link_tool_call_texts_the_link(model, make_agent):
    model.answers.append(completion("Sure, texting it now.", [("send_link", "{}")]))

    reply = turn(make_agent(), make_context(), "Yes, please text me the link.")

    assert reply.actions == (SendLink(),) and not reply.end
    assert reply.text == "Sure, texting it now."
    assert reply.state["link_sent"] is True


@pytest.mark.promise("opt-in-only")
def test_link_is_never_texted_without_sms_consent(model, make_agent):
    model.answers.append(completion("Sending it!", [("send_link", "{}")]))

    reply = turn(make_agent(), make_context(sms_allowed=False), "Send me the link.")

    assert SendLink() not in reply.actions


def test_plain_text_answer_is_spoken_as_is(model, make_agent):
    model.answers.append(completion("Of course. What would you like to know about the Red Hat?"))

    reply = turn(make_agent(), make_context(), "Tell me about the hat.")

    assert reply.text == "Of course. What would you like to know about the Red Hat?"
    assert reply.actions == () and not reply.end
    assert json.loads(json.dumps(reply.state)) == reply.state


def test_callback_tool_takes_the_shoppers_local_time(model, make_agent):
    model.answers.append(
        completion("I'll call you then.", [("schedule_callback", '{"local_time": "2025-03-05T18:00"}')])
    )

    reply = turn(make_agent(), make_context(), "Call me tomorrow at six.")

    (callback,) = reply.actions
    assert isinstance(callback, ScheduleCallback) and reply.end
    assert callback.at.astimezone(ZoneInfo(TIMEZONE)).hour == 18
    assert callback.at - NOW == timedelta(hours=32)


def test_unknown_tools_and_malformed_arguments_are_ignored(model, make_agent):
    model.answers.append(
        completion(
            "Okay.",
            [("launch_rockets", "{}"), ("send_discount", "{not json"), ("end_call", '{"outcome": "bogus"}')],
        )
    )

    reply = turn(make_agent(), make_context(), "Hmm, the price.")

    assert reply.actions == () and reply.text == "Okay."


def test_end_call_tool_ends_the_conversation(model, make_agent):
    model.answers.append(completion("Thanks, goodbye.", [("end_call", '{"outcome": "declined"}')]))

    reply = turn(make_agent(), make_context(), "No thanks.")

    assert reply.actions == (End("declined"),) and reply.end


# -- what the model is sent ----------------------------------------------------------------------


@pytest.mark.promise("phone-shared-only-with-telephony")
@pytest.mark.promise("no-training-on-customer-data")
def test_request_carries_no_phone_email_or_address(model, make_agent):
    model.answers.append(completion("Happy to help."))

    turn(make_agent(), make_context(), "Yes please.")

    (body,) = model.requests
    assert body["store"] is False
    assert "user" not in body and "safety_identifier" not in body and "metadata" not in body
    assert body["model"] == "test-model"
    sent = json.dumps(body["messages"]).lower()
    assert "acme hats" in sent and "ada" in sent and "red hat" in sent and "120.00 usd" in sent
    assert set(body) <= {"model", "messages", "tools", "tool_choice", "temperature", "store", "stream"}
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", sent)  # an email address
    assert not re.search(r"\+\d{7,}|\b\d{10,}\b", sent)  # a phone number
    for leak in ("address", "street", "zip", "postcode", "america/new_york"):
        assert leak not in sent, leak
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][-1] == {"role": "user", "content": "Yes please."}


@pytest.mark.promise("ai-disclosure")
def test_system_prompt_states_the_merchants_rules(model, make_agent):
    model.answers.append(completion("Hola."))
    context = make_context(
        language="es", discount_max_percent=15, sms_allowed=False, transfer_available=False
    )

    turn(make_agent(), context, "Hola")

    prompt = model.requests[0]["messages"][0]["content"]
    assert "automated AI assistant" in prompt and "Never claim" in prompt
    assert "Speak Spanish only" in prompt and "15%" in prompt
    assert "may not text" in prompt and "callback" in prompt and "brief" in prompt.lower()


# -- the safety net ------------------------------------------------------------------------------


@pytest.mark.promise("stop-at-once")
@pytest.mark.parametrize(("text", "digits"), [("No, stop calling me.", ""), ("", "9")])
def test_opt_out_never_reaches_the_model(model, make_agent, text, digits):
    reply = turn(make_agent(), make_context(), text, digits)

    assert reply.actions == (OptOut(),) and reply.end
    assert model.requests == []


def test_stalled_model_falls_back_to_rules_within_the_turn(model, make_agent):
    model.answers.append({"stall": STALL_SECONDS})
    context = make_context()
    agent = make_agent(timeout_seconds=TIMEOUT_SECONDS)

    started = time.monotonic()
    reply = turn(agent, context, "The shipping is too expensive.")
    elapsed = time.monotonic() - started

    assert elapsed < 2
    assert reply == rules_reply(context, "The shipping is too expensive.")


@pytest.mark.promise("no-pii-in-logs")
def test_server_error_falls_back_to_rules_and_logs_only_the_error_type(model, make_agent, caplog):
    model.answers.append({"status": 500})
    context = make_context()

    with caplog.at_level(logging.WARNING, logger="app.agent.llm"):
        reply = turn(make_agent(), context, "Yes, I'd like to finish my order.")

    assert reply == rules_reply(context, "Yes, I'd like to finish my order.")
    (record,) = [r for r in caplog.records if r.name == "app.agent.llm"]
    assert "InternalServerError" in record.getMessage()
    assert "finish my order" not in record.getMessage()


def test_empty_answer_falls_back_to_rules(model, make_agent):
    model.answers.append(completion(""))
    context = make_context()

    reply = turn(make_agent(), context, "Yes, please text me the link.")

    assert reply == rules_reply(context, "Yes, please text me the link.")


def test_custom_fallback_answers_failed_turns(model, make_agent):
    class Polite(RulesAgent):
        def respond(self, context, history, utterance, state):
            return Reply(text="One moment, please.")

    model.answers.append({"status": 503})

    reply = turn(make_agent(fallback=Polite()), make_context(), "Hello?")

    assert reply.text == "One moment, please."


def test_client_is_built_only_when_the_model_is_first_asked(model, make_agent):
    agent = make_agent()
    agent.greet(make_context())

    assert agent._client is None
    turn(agent, make_context(), "", "9")
    assert agent._client is None and model.requests == []


# -- streaming -----------------------------------------------------------------------------------


def test_stream_yields_text_as_it_comes_then_the_final_reply(model, make_agent):
    model.answers.append({"events": [chunk("Sure, "), chunk("I can "), chunk("help with that.")]})
    context = make_context()
    agent = make_agent()

    items = list(
        agent.stream(context, [], Utterance(text="Can you help?", confidence=0.9), agent.greet(context).state)
    )

    assert items[:-1] == ["Sure, ", "I can ", "help with that."]
    assert isinstance(items[-1], Reply) and items[-1].text == "Sure, I can help with that."
    assert model.requests[0]["stream"] is True and model.requests[0]["store"] is False


def test_streamed_tool_call_fragments_become_a_capped_action(model, make_agent):
    events = [
        chunk("Here you go. "),
        chunk(
            tool_call={
                "index": 0,
                "id": "call_0",
                "type": "function",
                "function": {"name": "send_discount", "arguments": ""},
            }
        ),
        chunk(tool_call={"index": 0, "function": {"arguments": '{"perc'}}),
        chunk(tool_call={"index": 0, "function": {"arguments": 'ent": 40}'}}),
    ]
    model.answers.append({"events": events})
    context = make_context(discount_max_percent=10)
    agent = make_agent()

    items = list(
        agent.stream(
            context, [], Utterance(text="Too expensive.", confidence=0.9), agent.greet(context).state
        )
    )

    assert items[-1].actions == (SendDiscount(10),)


def test_stream_that_stalls_midway_falls_back_to_rules(model, make_agent):
    model.answers.append({"events": [chunk("Let me ")], "then_stall": STALL_SECONDS})
    context = make_context()
    agent = make_agent(timeout_seconds=TIMEOUT_SECONDS)
    utterance = Utterance(text="Yes, I'd like to finish my order.", confidence=0.9)

    started = time.monotonic()
    items = list(agent.stream(context, [], utterance, agent.greet(context).state))
    elapsed = time.monotonic() - started

    assert elapsed < 2
    assert items[0] == "Let me "
    assert items[-1] == rules_reply(context, "Yes, I'd like to finish my order.")
    assert items[-2] == items[-1].text  # the rules' words are streamed too: no dead air


@pytest.mark.promise("stop-at-once")
def test_stream_opt_out_never_reaches_the_model(model, make_agent):
    context = make_context()
    agent = make_agent()

    items = list(agent.stream(context, [], Utterance(digits="9"), agent.greet(context).state))

    assert items[-1].actions == (OptOut(),) and model.requests == []


# -- by text -------------------------------------------------------------------------------------


def sms_context(**overrides):
    return make_context(channel="sms", transfer_available=False, transfer_configured=False, **overrides)


def test_sms_prompt_says_replies_are_texts(model, make_agent):
    model.answers.append(completion("Hi!"))

    turn(make_agent(), sms_context(), "Hi")

    prompt = model.requests[0]["messages"][0]["content"]
    assert "texting on behalf of" in prompt and "sent as a text message" in prompt
    assert "never offer or ask to text them" in prompt and "160 characters" in prompt
    assert "Write English only" in prompt and "when heard" not in prompt
    assert "never write a link, a code or a phone number" in prompt
    assert "transfer" not in json.dumps(model.requests[0]["tools"])


def test_call_prompt_still_speaks(model, make_agent):
    model.answers.append(completion("Hi!"))

    turn(make_agent(), make_context(), "Hi")

    prompt = model.requests[0]["messages"][0]["content"]
    assert "calling on behalf of" in prompt and "Speak English only" in prompt and "when heard" in prompt
    assert "text message" not in prompt


def test_prompt_lets_a_code_be_sent_when_asked_and_never_guesses_policies(model, make_agent):
    model.answers.append(completion("Hi!"))
    model.answers.append(completion("Hi!"))

    turn(make_agent(), sms_context(discount_max_percent=10), "Hi")
    turn(make_agent(), sms_context(discount_max_percent=0), "Hi")

    allowed, none = (request["messages"][0]["content"] for request in model.requests)
    assert "asks for a discount code" in allowed and "10%" in allowed
    assert "if asked for one, say there is none" in none
    assert "never guess" in allowed and "shipping destinations" in allowed


def test_sms_code_request_falls_back_to_the_rules_code(model, make_agent):
    model.answers.append({"status": 500})
    context = sms_context()

    reply = turn(make_agent(), context, "yes please send me a code")

    assert reply == rules_reply(context, "yes please send me a code")
    assert reply.actions == (SendDiscount(10),) and reply.text == "Here is your one-time code for 10% off."


@pytest.mark.parametrize(
    "text", ["Sure! Here it is: https://acme.example/cart", "Sure, happy to help with that. " * 12]
)
def test_sms_answer_with_a_link_of_its_own_or_too_long_is_not_sent(model, make_agent, text):
    model.answers.append(completion(text, [("send_link", "{}")]))

    reply = turn(make_agent(), sms_context(), "send me the link")

    assert reply.actions == (SendLink(),)
    assert reply.text == "Here is the link to your cart."


def test_sms_silent_link_is_announced_as_the_text_that_follows(model, make_agent):
    model.answers.append(completion(None, [("send_link", "{}")]))

    reply = turn(make_agent(), sms_context(), "ok")

    assert reply.text == "Here is the link to your cart." and "text you" not in reply.text


def test_model_code_request_reports_a_price_objection(model, make_agent):
    model.answers.append(completion("Here you go.", [("send_discount", '{"percent": 10}')]))

    reply = turn(make_agent(), sms_context(), "Any promo code?")

    assert reply.objection == "price" and reply.intent == "discount"
