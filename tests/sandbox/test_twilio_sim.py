"""The Twilio simulator, driven by the real twilio SDK, calling a tiny signed-webhook "app" over HTTP."""

from __future__ import annotations

import io
import threading
import time
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from app.telephony.client import rest_client
from sandbox.twilio_sim import (
    MAX_TWIML_FETCHES,
    PERSONAS,
    SERVICE_SENDER,
    Persona,
    Press,
    TwilioSimulator,
    main,
)

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "sim-auth-token-0123456789"
PUBLIC = "https://ringback.test"
FROM = "+15005550006"
SHOPPER = "+15551230001"
OPENING = ("Hi, this is Demo Store's automated AI assistant. This call may be recorded. "
           "Say stop or press 9 to opt out.")
QUESTION = "Would you like to finish your order?"
VOICEMAIL = "Hi, this is Demo Store. You left items in your cart; we texted you a link."

ANSWER_TWIML = f"""<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" language="en-US">{OPENING}</Say>
  <Gather input="speech dtmf" action="/twilio/voice/turn?call=5" method="POST" language="en-US"
          speechTimeout="auto">
    <Say voice="Polly.Joanna" language="en-US">{QUESTION}</Say>
  </Gather>
  <Say>Sorry, I did not catch that. Goodbye.</Say>
</Response>"""
TURN_TWIML = "<Response><Say>Great, I'll text you the link. Bye!</Say><Hangup/></Response>"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class FakeApp:
    """Plays the app: serves TwiML, records every webhook, and checks every signature Twilio-style."""

    def __init__(self):
        self.validator = RequestValidator(AUTH_TOKEN)
        self.hits: list[tuple[str, dict[str, str]]] = []
        self.bad_signatures: list[str] = []
        self.routes: dict[str, Callable[[Request], str | Response]] = {
            "/twilio/voice/answer": lambda r: ANSWER_TWIML,
            "/twilio/voice/turn": lambda r: TURN_TWIML,
            "/twilio/sms/incoming": lambda r: "<Response><Message>Thanks, we got it.</Message></Response>",
        }
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self.base_url = f"http://127.0.0.1:{self._server.port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forms(self, path: str) -> list[dict[str, str]]:
        return [form for p, form in self.hits if p == path]

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        query = request.query_string.decode()
        public_url = PUBLIC + request.path + (f"?{query}" if query else "")
        params = request.form if request.method == "POST" else {}
        if not self.validator.validate(public_url, params, request.headers.get("X-Twilio-Signature", "")):
            self.bad_signatures.append(public_url)
            return Response("bad signature", status=403)(environ, start_response)
        self.hits.append((request.path, dict(request.form) or dict(request.args)))
        answer = self.routes.get(request.path, lambda r: "<Response/>")(request)
        if not isinstance(answer, Response):
            answer = Response(answer, mimetype="text/xml")
        return answer(environ, start_response)


@pytest.fixture
def sim() -> Iterator[TwilioSimulator]:
    simulator = TwilioSimulator(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def shop_app(sim) -> Iterator[FakeApp]:
    fake = FakeApp()
    sim.route_app(PUBLIC, fake.base_url)
    yield fake
    sim.wait_idle(timeout=10)
    fake.stop()
    assert fake.bad_signatures == []


@pytest.fixture
def make_client(sim):
    clients = []

    def build(*, token: str = AUTH_TOKEN, account: str = ACCOUNT_SID, timeout: float = 5.0):
        client = rest_client(account, token, sim.base_url, timeout=timeout)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.http_client.session.close()


@pytest.fixture
def twilio(make_client):
    return make_client()


def place_call(twilio, to: str = SHOPPER, **extra):
    options = {"url": PUBLIC + "/twilio/voice/answer?call=5",
               "status_callback": PUBLIC + "/twilio/voice/status",
               "status_callback_event": ["initiated", "ringing", "answered", "completed"]}
    options.update(extra)
    return twilio.calls.create(to=to, from_=FROM, **options)


# -- REST basics ----------------------------------------------------------------------------------

def test_wrong_credentials_answer_401_authenticate(sim, make_client):
    with pytest.raises(TwilioRestException) as caught:
        place_call(make_client(token="wrong"))
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert sim.calls == {}

    bare = requests.post(f"{sim.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", timeout=5,
                         data={"To": SHOPPER, "From": FROM, "Url": PUBLIC})
    assert bare.status_code == 401
    assert bare.json() == {"code": 20003, "message": "Authenticate",
                           "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    assert sim.requests[-1]["auth_ok"] is False

    other = requests.get(f"{sim.base_url}/2010-04-01/Accounts/AC{'2' * 32}/Calls.json", timeout=5,
                         auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert (other.status_code, other.json()["code"]) == (404, 20404)


@pytest.mark.parametrize("to", ["5551230001", "+1555"])
def test_a_number_not_in_e164_is_21211(sim, twilio, to):
    with pytest.raises(TwilioRestException) as caught:
        place_call(twilio, to=to)
    assert (caught.value.status, caught.value.code) == (400, 21211)
    assert sim.calls == {}


def test_listed_invalid_number_and_missing_url(sim, twilio):
    sim.invalid_numbers.add("+15550009999")
    with pytest.raises(TwilioRestException) as caught:
        place_call(twilio, to="+15550009999")
    assert caught.value.code == 21211
    with pytest.raises(TwilioRestException) as caught:
        twilio.calls.create(to=SHOPPER, from_=FROM)
    assert caught.value.code == 21205


# -- playing calls --------------------------------------------------------------------------------

def test_interested_shopper_call_end_to_end(sim, shop_app, twilio):
    call = place_call(twilio, record=True, recording_status_callback=PUBLIC + "/twilio/voice/recording",
                      machine_detection="Enable", async_amd="true",
                      async_amd_status_callback=PUBLIC + "/twilio/voice/amd")
    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert (call.status, call.direction, call.to) == ("queued", "outbound-api", SHOPPER)
    assert call.date_created is not None and call.start_time is not None

    played = sim.wait_for_call_end(call.sid)
    assert played.persona == "interested"
    assert played.heard[0].text == OPENING
    assert (played.heard[0].in_gather, played.heard[0].voice, played.heard[0].language) == (
        False, "Polly.Joanna", "en-US")
    assert (played.heard[1].text, played.heard[1].in_gather) == (QUESTION, True)
    assert played.heard[2].text == "Great, I'll text you the link. Bye!"
    assert played.said == ["Yes, I'd like to finish my order."]

    answer = shop_app.forms("/twilio/voice/answer")[0]
    assert answer["CallStatus"] == "in-progress" and answer["Direction"] == "outbound-api"
    assert answer["CallSid"] == call.sid and answer["AccountSid"] == ACCOUNT_SID
    turn = shop_app.forms("/twilio/voice/turn")[0]
    assert turn["SpeechResult"] == "Yes, I'd like to finish my order." and turn["Confidence"] == "0.92"
    amd = shop_app.forms("/twilio/voice/amd")[0]
    assert amd["AnsweredBy"] == "human" and "MachineDetectionDuration" in amd

    statuses = shop_app.forms("/twilio/voice/status")
    assert [s["CallStatus"] for s in statuses] == ["initiated", "ringing", "in-progress", "completed"]
    assert [s["SequenceNumber"] for s in statuses] == ["0", "1", "2", "3"]
    final = statuses[-1]
    assert int(final["CallDuration"]) == played.duration > 0
    assert final["AnsweredBy"] == "human" and final["CallbackSource"] == "call-progress-events"

    recording = shop_app.forms("/twilio/voice/recording")[0]
    assert recording["RecordingSid"] == played.recording_sid and recording["RecordingStatus"] == "completed"
    assert recording["RecordingSource"] == "OutboundAPI"
    # Recording callback first, then the final status callback.
    paths = [p for p, _ in shop_app.hits]
    assert paths.index("/twilio/voice/recording") < len(paths) - 1
    audio = requests.get(recording["RecordingUrl"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert audio.status_code == 200 and audio.headers["Content-Type"].startswith("audio/wav")
    with wave.open(io.BytesIO(audio.content)) as wav:
        assert wav.getnframes() > 0
    assert requests.get(recording["RecordingUrl"] + ".mp3", timeout=5).status_code == 401
    assert twilio.recordings(played.recording_sid).fetch().call_sid == call.sid

    fetched = twilio.calls(call.sid).fetch()
    assert (fetched.status, fetched.answered_by, fetched.duration) == ("completed", "human",
                                                                       str(played.duration))


VOICEMAIL_TWIML = f'<Response><Pause length="1"/><Say>{VOICEMAIL}</Say><Hangup/></Response>'


@pytest.mark.parametrize("update", [{"twiml": VOICEMAIL_TWIML},
                                    {"url": PUBLIC + "/twilio/voice/voicemail", "method": "POST"}])
def test_voicemail_machine_gets_the_message_the_app_updates_the_call_with(sim, shop_app, twilio, update):
    sim.set_persona(SHOPPER, "voicemail")
    shop_app.routes["/twilio/voice/voicemail"] = lambda r: VOICEMAIL_TWIML

    def on_amd(request: Request) -> str:
        if request.form["AnsweredBy"].startswith("machine"):
            updater = rest_client(ACCOUNT_SID, AUTH_TOKEN, sim.base_url, timeout=5)
            try:
                updater.calls(request.form["CallSid"]).update(**update)
            finally:
                updater.http_client.session.close()
        return ""

    shop_app.routes["/twilio/voice/amd"] = on_amd
    call = place_call(twilio, machine_detection="DetectMessageEnd", async_amd="true",
                      async_amd_status_callback=PUBLIC + "/twilio/voice/amd")
    played = sim.wait_for_call_end(call.sid, timeout=5)
    assert played.answered_by == "machine_end_beep"
    assert [h.text for h in played.heard] == [VOICEMAIL]
    assert played.said == [] and played.events_of("update")
    assert shop_app.forms("/twilio/voice/status")[-1]["AnsweredBy"] == "machine_end_beep"
    assert shop_app.forms("/twilio/voice/turn") == []


def test_a_machine_the_app_leaves_alone_hears_the_original_twiml_in_silence(sim, shop_app, twilio):
    sim.set_persona(SHOPPER, "voicemail")
    sim.amd_update_wait = 0.2
    call = place_call(twilio, machine_detection="DetectMessageEnd", async_amd="true",
                      async_amd_status_callback=PUBLIC + "/twilio/voice/amd")
    played = sim.wait_for_call_end(call.sid, timeout=5)
    assert [h.text for h in played.heard] == [OPENING, QUESTION, "Sorry, I did not catch that. Goodbye."]
    assert played.said == [] and shop_app.forms("/twilio/voice/turn") == []


def test_dial_is_recorded_and_ends_the_call(sim, shop_app, twilio):
    sim.set_persona(SHOPPER, "person")
    shop_app.routes["/twilio/voice/turn"] = lambda r: (
        "<Response><Say>Connecting you now.</Say><Dial><Number>+15550001111</Number></Dial>"
        "<Say>never heard</Say></Response>")
    played = sim.wait_for_call_end(place_call(twilio).sid)
    assert played.dialed == ["+15550001111"]
    assert played.said == ["Can I talk to a real person?"]
    assert played.heard[-1].text == "Connecting you now."
    assert played.status == "completed"


@pytest.mark.parametrize("persona, status, callbacks", [
    ("no_answer", "no-answer", ["initiated", "ringing", "no-answer"]),
    ("busy", "busy", ["initiated", "busy"]),
    ("failed", "failed", ["initiated", "failed"]),
])
def test_unanswered_calls_never_fetch_the_url(sim, shop_app, twilio, persona, status, callbacks):
    sim.set_persona(SHOPPER, persona)
    played = sim.wait_for_call_end(place_call(twilio).sid)
    sim.wait_idle()
    assert played.status == status and played.heard == []
    assert shop_app.forms("/twilio/voice/answer") == []
    statuses = shop_app.forms("/twilio/voice/status")
    assert [s["CallStatus"] for s in statuses] == callbacks
    assert statuses[-1]["CallDuration"] == "0"
    assert twilio.calls(played.sid).fetch().status == status


def test_only_completed_is_sent_when_no_events_are_named(sim, shop_app, twilio):
    played = sim.wait_for_call_end(place_call(twilio, status_callback_event=[]).sid)
    sim.wait_idle()
    assert played.status_callbacks == ["completed"]


def test_stop_and_press9_personas(sim, shop_app, twilio):
    sim.set_persona(SHOPPER, "press9")
    sim.set_persona("+15551230002", "stop")
    first = sim.wait_for_call_end(place_call(twilio).sid)
    second = sim.wait_for_call_end(place_call(twilio, to="+15551230002").sid)
    turns = shop_app.forms("/twilio/voice/turn")
    assert {"Digits": "9"}.items() <= turns[0].items() and "SpeechResult" not in turns[0]
    assert turns[1]["SpeechResult"] == "Stop calling me."
    assert first.said == ["9"] and second.said == ["Stop calling me."]


def test_script_runs_out_into_the_closing_line_and_silence_falls_through(sim, shop_app, twilio):
    shop_app.routes["/twilio/voice/turn"] = lambda r: (
        '<Response><Gather input="speech" action="/twilio/voice/turn"><Say>More?</Say></Gather></Response>'
        if r.form.get("SpeechResult") != "No, that's all, thanks." else "<Response><Hangup/></Response>")
    sim.add_persona("brief", Persona(lines=("Yes.",)))
    sim.set_persona(SHOPPER, "brief")
    played = sim.wait_for_call_end(place_call(twilio).sid)
    assert played.said == ["Yes.", "No, that's all, thanks."]

    sim.set_persona("+15551230003", "silent")
    quiet = sim.wait_for_call_end(place_call(twilio, to="+15551230003").sid)
    assert quiet.said == []
    assert quiet.heard[-1].text == "Sorry, I did not catch that. Goodbye."  # fell through the Gather
    assert len(shop_app.forms("/twilio/voice/turn")) == 2


def test_silence_with_action_on_empty_result_posts_the_action_without_a_result(sim, shop_app, twilio):
    shop_app.routes["/twilio/voice/answer"] = lambda r: (
        '<Response><Gather input="speech dtmf" actionOnEmptyResult="true" action="turn">'
        "<Say>Hello?</Say></Gather></Response>")
    sim.set_persona(SHOPPER, "silent")
    sim.wait_for_call_end(place_call(twilio).sid)
    turn = shop_app.forms("/twilio/voice/turn")[0]  # "turn" resolved against /twilio/voice/answer
    assert "SpeechResult" not in turn and "Digits" not in turn


def test_spanish_persona_lines_are_the_fixed_ones():
    assert PERSONAS["spanish"].lines[0] == "Sí, quiero terminar mi compra."
    assert PERSONAS["press9"].lines == (Press("9"),)
    assert PERSONAS["voicemail"].answered_by == "machine_end_beep"
    assert PERSONAS["silent"].answer(0) is None and PERSONAS["robot"].answer(5) == "No, that's all, thanks."


def test_looping_twiml_is_cut_off(sim, shop_app, twilio):
    shop_app.routes["/twilio/voice/answer"] = lambda r: (
        "<Response><Redirect>/twilio/voice/answer</Redirect></Response>")
    played = sim.wait_for_call_end(place_call(twilio).sid)
    assert len(shop_app.forms("/twilio/voice/answer")) == MAX_TWIML_FETCHES
    assert any("TwiML fetches" in e["message"] for e in played.events_of("error"))
    assert played.status == "completed"


@pytest.mark.parametrize("answer, code", [
    (Response("oops", status=500), 11200),
    ("<Response><Say>unclosed", 12100),
])
def test_an_app_error_on_a_fetch_ends_the_call(sim, shop_app, twilio, answer, code):
    shop_app.routes["/twilio/voice/turn"] = lambda r: answer
    played = sim.wait_for_call_end(place_call(twilio).sid)
    assert played.events_of("error")[0]["code"] == code
    assert [h.text for h in played.heard] == [OPENING, QUESTION]
    assert played.status == "completed" and played.status_callbacks[-1] == "completed"


def test_hanging_up_through_the_api(sim, shop_app, twilio):
    def hang_up(request):
        updater = rest_client(ACCOUNT_SID, AUTH_TOKEN, sim.base_url, timeout=5)
        try:
            updater.calls(request.form["CallSid"]).update(status="completed")
        finally:
            updater.http_client.session.close()
        return ANSWER_TWIML

    shop_app.routes["/twilio/voice/answer"] = hang_up
    played = sim.wait_for_call_end(place_call(twilio).sid)
    assert played.heard == [] and played.status == "completed"
    with pytest.raises(TwilioRestException) as caught:
        twilio.calls(played.sid).update(twiml="<Response/>")
    assert caught.value.code == 21220


# -- listing, faults, deletion --------------------------------------------------------------------

def test_calls_list_filters_by_to_and_start_time(sim, shop_app, twilio):
    before = datetime.now(UTC) - timedelta(seconds=1)
    mine = place_call(twilio)
    place_call(twilio, to="+15551230009")
    sim.wait_idle()
    listed = twilio.calls.list(to=SHOPPER, start_time_after=before)
    assert [c.sid for c in listed] == [mine.sid]
    assert sim.requests[-1]["query"]["StartTime>"] == before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert twilio.calls.list(to=SHOPPER, start_time_after=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(twilio.calls.list(start_time_after=before)) == 2
    assert len(twilio.calls.list(status="completed", page_size=1)) == 2  # follows next_page_uri


def test_a_timed_out_create_still_places_the_call(sim, shop_app, make_client):
    twilio = make_client(timeout=0.5)
    before = datetime.now(UTC) - timedelta(seconds=1)
    sim.timeout_next("calls", seconds=1.5)
    with pytest.raises(requests.exceptions.Timeout):
        place_call(twilio)
    listed = twilio.calls.list(to=SHOPPER, start_time_after=before)
    assert len(listed) == 1 and listed[0].sid in sim.calls
    sim.wait_for_call_end(listed[0].sid)


def test_fail_next_creates_nothing(sim, shop_app, twilio):
    sim.fail_next("calls", status=503, code=20500, message="Service unavailable")
    with pytest.raises(TwilioRestException) as caught:
        place_call(twilio)
    assert (caught.value.status, caught.value.code) == (503, 20500)
    assert sim.calls == {}
    sim.wait_for_call_end(place_call(twilio).sid)  # only the next one failed


def test_delete_answers_204_then_404(sim, shop_app, twilio):
    played = sim.wait_for_call_end(place_call(twilio, record=True).sid)
    message = twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
    sim.wait_idle()
    assert twilio.recordings(played.recording_sid).delete() is True
    assert twilio.messages(message.sid).delete() is True
    assert twilio.calls(played.sid).delete() is True
    for resource in (twilio.recordings(played.recording_sid), twilio.messages(message.sid),
                     twilio.calls(played.sid)):
        with pytest.raises(TwilioRestException) as caught:
            resource.delete()
        assert (caught.value.status, caught.value.code) == (404, 20404)
    assert sim.deleted == [("recording", played.recording_sid), ("message", message.sid),
                           ("call", played.sid)]
    audio = requests.get(f"{sim.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"
                         f"{played.recording_sid}.wav", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert audio.status_code == 404


# -- texts ----------------------------------------------------------------------------------------

def test_message_delivered_and_undelivered_callbacks(sim, shop_app, twilio):
    callback = PUBLIC + "/twilio/sms/status"
    sim.delivery_errors["+15551230002"] = 30003
    ok = twilio.messages.create(to=SHOPPER, from_=FROM, body="Your cart: https://ringback.test/r/abc",
                                status_callback=callback)
    bad = twilio.messages.create(to="+15551230002", messaging_service_sid="MG" + "0" * 32, body="hi",
                                 status_callback=callback)
    assert ok.sid.startswith("SM") and (ok.status, ok.num_segments, ok.to) == ("queued", "1", SHOPPER)
    assert bad.status == "accepted"
    sim.wait_idle()
    by_sid: dict[str, list[dict[str, str]]] = {}
    for form in shop_app.forms("/twilio/sms/status"):
        by_sid.setdefault(form["MessageSid"], []).append(form)
    assert [f["MessageStatus"] for f in by_sid[ok.sid]] == ["sent", "delivered"]
    assert all("ErrorCode" not in f for f in by_sid[ok.sid])
    assert [f["MessageStatus"] for f in by_sid[bad.sid]] == ["sent", "undelivered"]
    assert by_sid[bad.sid][-1]["ErrorCode"] == "30003"
    assert sim.messages[bad.sid].error_code == 30003
    fetched = twilio.messages(bad.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert [m.sid for m in twilio.messages.list(to=SHOPPER)] == [ok.sid]
    assert twilio.messages.list(date_sent_after=datetime.now(UTC) + timedelta(hours=1)) == []


def test_message_create_errors_by_destination(sim, twilio):
    sim.unsubscribed.add(SHOPPER)
    sim.landlines.add("+15551230002")
    for to, code in ((SHOPPER, 21610), ("+15551230002", 21614), ("12", 21211)):
        with pytest.raises(TwilioRestException) as caught:
            twilio.messages.create(to=to, from_=FROM, body="hi")
        assert (caught.value.status, caught.value.code) == (400, code)
    assert sim.messages == {}


def test_fail_next_on_messages(sim, twilio):
    sim.fail_next("messages", status=500, code=20500, message="Internal Server Error")
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
    assert caught.value.status == 500 and sim.messages == {}


def test_inbound_sms_is_signed_and_stop_unsubscribes(sim, shop_app, twilio):
    status, body = sim.send_sms(SHOPPER, FROM, "What's the link again?", url=PUBLIC + "/twilio/sms/incoming")
    assert status == 200 and "<Message>" in body
    form = shop_app.forms("/twilio/sms/incoming")[0]
    assert (form["From"], form["To"], form["Body"], form["NumMedia"]) == (
        SHOPPER, FROM, "What's the link again?", "0")
    assert form["MessageSid"].startswith("SM") and form["AccountSid"] == ACCOUNT_SID
    assert "OptOutType" not in form and sim.inbound[0].replies == ["Thanks, we got it."]

    sim.send_sms(SHOPPER, FROM, "STOP", url=PUBLIC + "/twilio/sms/incoming", opt_out_type="STOP")
    assert shop_app.forms("/twilio/sms/incoming")[1]["OptOutType"] == "STOP"
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
    assert caught.value.code == 21610


def test_inbound_call_from_the_shopper(sim, shop_app):
    played = sim.place_inbound_call(SHOPPER, FROM, url=PUBLIC + "/twilio/voice/answer",
                                    persona="callback", status_callback=PUBLIC + "/twilio/voice/status")
    sim.wait_for_call_end(played.sid)
    answer = shop_app.forms("/twilio/voice/answer")[0]
    assert (answer["Direction"], answer["From"], answer["To"]) == ("inbound", SHOPPER, FROM)
    assert played.said == ["I'm busy right now, call me tomorrow at 6 pm."]
    assert played.status_callbacks == ["completed"]


def test_standalone_entry_point_parses_routes(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(TwilioSimulator, "serve_forever", lambda self: started.append(self))
    main(["--port", "0", "--route", f"{PUBLIC}=http://127.0.0.1:9"])
    sim = started[0]
    assert capsys.readouterr().out.strip() == sim.base_url
    assert sim.deliver_to(PUBLIC + "/twilio/voice/answer?x=1") == "http://127.0.0.1:9/twilio/voice/answer?x=1"


# -- shoppers texting back ------------------------------------------------------------------------

INCOMING = PUBLIC + "/twilio/sms/incoming"
SERVICE = "MG" + "0" * 32


@pytest.fixture
def texting(sim):
    """The simulator told where the app takes inbound texts, with a short reply delay."""
    sim.sms_url = INCOMING
    sim.sms_reply_delay = 0.05
    return sim


def test_sim_persona_replies_to_a_delivered_text(texting, shop_app, twilio):
    sim = texting
    sim.sms_reply_delay = 0.3  # wait_idle must wait it out: the reply is in flight until it is posted
    sim.set_persona(SHOPPER, "texter-question")
    sent = twilio.messages.create(to=SHOPPER, from_=FROM, body="Your cart: https://ringback.test/r/abc",
                                  status_callback=PUBLIC + "/twilio/sms/status")
    sim.wait_idle()
    [reply] = sim.inbound
    assert (reply.from_, reply.to, reply.body) == (SHOPPER, FROM, "do you ship to Canada?")
    assert reply.in_reply_to == sent.sid and sim.messages[sent.sid].reply_sid == reply.sid
    assert (reply.url, reply.status_code, reply.replies) == (INCOMING, 200, ["Thanks, we got it."])
    # Twilio forwards it after the delivery report: the app knows its text arrived.
    paths = [path for path, _ in shop_app.hits]
    assert paths == ["/twilio/sms/status", "/twilio/sms/status", "/twilio/sms/incoming"]
    form = shop_app.forms("/twilio/sms/incoming")[0]
    assert (form["From"], form["To"], form["Body"]) == (SHOPPER, FROM, "do you ship to Canada?")
    assert "OptOutType" not in form
    assert sim.messages[sent.sid].events[-1]["type"] == "reply"


def test_sim_reply_to_a_messaging_service_text_goes_to_the_services_number(texting, shop_app, twilio):
    sim = texting
    sim.set_persona(SHOPPER, "texter-yes")
    sim.set_persona("+15551230002", "texter-yes")
    sim.service_numbers[SERVICE] = "+15005550009"
    twilio.messages.create(to=SHOPPER, messaging_service_sid=SERVICE, body="hi")
    twilio.messages.create(to="+15551230002", messaging_service_sid="MG" + "1" * 32, body="hi")
    sim.wait_idle()
    replies = {form["From"]: form for form in shop_app.forms("/twilio/sms/incoming")}
    assert replies[SHOPPER]["To"] == "+15005550009" == sim.messaging_service_number(SERVICE)
    assert replies["+15551230002"]["To"] == SERVICE_SENDER
    assert replies[SHOPPER]["Body"] == "yes please send me a code"


def test_sim_reply_is_signed_like_twilio(texting, shop_app, twilio):
    sim = texting
    seen: list[tuple[str, dict[str, str]]] = []

    def incoming(request: Request) -> str:
        seen.append((request.headers["X-Twilio-Signature"], dict(request.form)))
        return "<Response/>"

    shop_app.routes["/twilio/sms/incoming"] = incoming
    sim.set_persona(SHOPPER, "texter-yes")
    sent = twilio.messages.create(to=SHOPPER, from_=FROM, body="Your cart: https://ringback.test/r/abc")
    sim.wait_idle()
    [(signature, form)] = seen
    # HMAC-SHA1 over the app's public URL and the sorted POST parameters, keyed with the auth token.
    assert RequestValidator(AUTH_TOKEN).validate(INCOMING, form, signature)
    assert signature == RequestValidator(AUTH_TOKEN).compute_signature(INCOMING, form)
    assert not RequestValidator("another-auth-token").validate(INCOMING, form, signature)
    assert not RequestValidator(AUTH_TOKEN).validate(INCOMING, {**form, "Body": "STOP"}, signature)
    assert form["AccountSid"] == ACCOUNT_SID and form["SmsStatus"] == "received"
    assert form["MessageSid"].startswith("SM") and form["MessageSid"] != sent.sid
    assert form["MessageSid"] == form["SmsSid"] == sim.inbound[0].sid
    assert shop_app.bad_signatures == []


def test_sim_persona_replies_at_most_once_per_message(texting, shop_app, make_client):
    sim = texting
    app_twilio = make_client()

    def answer_every_text_with_a_text(request: Request) -> str:
        # The worst case: an app that answers each reply with another text, forever.
        app_twilio.messages.create(to=request.form["From"], from_=request.form["To"], body="Anything else?")
        return "<Response/>"

    shop_app.routes["/twilio/sms/incoming"] = answer_every_text_with_a_text
    sim.add_persona("chatty", Persona(result="no-answer", closing=None, sms_replies=("one", "two")))
    sim.set_persona(SHOPPER, "chatty")
    first = app_twilio.messages.create(to=SHOPPER, from_=FROM, body="Your cart is waiting")
    sim.wait_idle()
    assert [r.body for r in sim.inbound] == ["one", "two"]  # the persona's replies, then silence
    assert len(sim.messages) == 3
    replied_to = [r.in_reply_to for r in sim.inbound]
    assert replied_to[0] == first.sid and len(set(replied_to)) == 2
    assert [m.reply_sid is not None for m in sim.messages.values()] == [True, True, False]
    # Delivering a text again (as a retry would) never brings a second reply to it.
    sim._text_back(sim.messages[first.sid])
    sim.wait_idle()
    assert len(sim.inbound) == 2


def test_sim_texters_let_calls_ring_out_and_reply_once(texting, shop_app, twilio):
    sim = texting
    for name, reply in (("texter-yes", "yes please send me a code"), ("texter-stop", "STOP"),
                        ("texter-question", "do you ship to Canada?")):
        assert PERSONAS[name].result == "no-answer" and PERSONAS[name].sms_replies == (reply,)
    sim.set_persona(SHOPPER, "texter-yes")
    call = place_call(twilio)
    sim.wait_for_call_end(call.sid)
    assert sim.calls[call.sid].status == "no-answer" and shop_app.forms("/twilio/voice/answer") == []
    for _ in range(2):
        twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
        sim.wait_idle()
    assert [r.body for r in sim.inbound] == ["yes please send me a code"]


def test_sim_no_reply_without_an_sms_url_a_persona_reply_or_a_delivery(sim, shop_app, twilio):
    sim.set_persona(SHOPPER, "texter-yes")
    twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")  # sms_url not set
    sim.wait_idle()
    sim.sms_url, sim.sms_reply_delay = INCOMING, 0.01
    twilio.messages.create(to="+15551230003", from_=FROM, body="hi")  # the default persona never texts
    sim.set_persona("+15551230002", "texter-yes")
    sim.delivery_errors["+15551230002"] = 30003
    twilio.messages.create(to="+15551230002", from_=FROM, body="hi")  # undelivered
    sim.wait_idle()
    assert sim.inbound == [] and shop_app.forms("/twilio/sms/incoming") == []


@pytest.mark.parametrize("advanced_opt_out", [False, True])
def test_sim_stop_reply_unsubscribes_the_shopper_at_twilio(texting, shop_app, twilio, advanced_opt_out):
    sim = texting
    sim.advanced_opt_out = advanced_opt_out
    sim.set_persona(SHOPPER, "texter-stop")
    twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
    sim.wait_idle()
    [form] = shop_app.forms("/twilio/sms/incoming")
    assert form["Body"] == "STOP"
    # Twilio tells the app it handled the keyword only with Advanced Opt-Out; it blocks the sender anyway.
    assert form.get("OptOutType") == ("STOP" if advanced_opt_out else None)
    with pytest.raises(TwilioRestException) as caught:
        twilio.messages.create(to=SHOPPER, from_=FROM, body="hi again")
    assert caught.value.code == 21610


def test_sim_stop_cuts_a_pending_reply_short(sim, shop_app, twilio):
    sim.sms_url, sim.sms_reply_delay = INCOMING, 30
    sim.set_persona(SHOPPER, "texter-yes")
    twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 3  # not the 30 s delay, nor wait_idle's 5 s give-up
    assert sim.inbound == []


def test_standalone_entry_point_takes_the_sms_url(monkeypatch):
    started = []
    monkeypatch.setattr(TwilioSimulator, "serve_forever", lambda self: started.append(self))
    main(["--port", "0", "--sms-url", INCOMING])
    assert started[0].sms_url == INCOMING


def test_the_sandboxs_simulator_texts_back_to_the_apps_inbound_sms_url(tmp_path):
    from app import config as app_config
    from app.devserver import twilio_simulator

    base = {"APP_ENV": "development", "RINGBACK_INSTANCE_PATH": str(tmp_path)}
    for env, expected in (({"PORT": "8123"}, "http://127.0.0.1:8123/twilio/sms/incoming"),
                          ({"APP_URL": "https://ringback.example/"},
                           "https://ringback.example/twilio/sms/incoming")):
        simulator = twilio_simulator(app_config.load(environ={**base, **env}))
        try:
            assert simulator.sms_url == expected
        finally:
            simulator.stop()


@pytest.mark.data
def test_the_app_accepts_a_shoppers_reply_as_twilios(app, make_app, sim, twilio):
    """The real app checks the reply's signature against its APP_URL, as it checks Twilio's."""
    real = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                    TWILIO_API_BASE_URL=sim.base_url, TWILIO_FROM_NUMBER=FROM)
    server = make_server("127.0.0.1", 0, real, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        sim.route_app(real.config["APP_URL"], f"http://127.0.0.1:{server.port}")
        sim.sms_url, sim.sms_reply_delay = real.config["APP_URL"] + "/twilio/sms/incoming", 0.01
        sim.set_persona(SHOPPER, "texter-question")
        twilio.messages.create(to=SHOPPER, from_=FROM, body="hi")
        sim.wait_idle()
        [reply] = sim.inbound
        assert reply.status_code == 200 and reply.response_text.lstrip().startswith(("<?xml", "<Response"))
        forged = requests.post(f"http://127.0.0.1:{server.port}/twilio/sms/incoming",
                               data={"From": SHOPPER, "To": FROM, "Body": "hi", "AccountSid": ACCOUNT_SID},
                               headers={"X-Twilio-Signature": "forged"}, timeout=5)
        assert forged.status_code == 403
    finally:
        server.shutdown()
        server.server_close()
