"""A local stand-in for Twilio: REST for calls, texts and recordings, and a player that acts calls out.

It speaks real HTTP on 127.0.0.1 so the app's real code paths (the twilio SDK pointed at
TWILIO_API_BASE_URL = `sim.base_url`) run against it. Calls are played in a thread per call by a scripted
shopper (a `Persona`, chosen by destination number) who answers `<Gather>`s with fixed lines. A persona
may also text back: once a text to its number is delivered, the simulator posts its reply to the app's
inbound SMS URL (`sms_url`), as Twilio forwards a shopper's text. Every request the simulator makes to
the app is signed over the public URL the app gave, exactly as Twilio signs it. Tests also use it to
inject faults (errors, timeouts, undeliverable texts).
"""

from __future__ import annotations

import argparse
import email.utils
import io
import json
import math
import re
import secrets
import threading
import urllib.parse
import wave
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from twilio.request_validator import RequestValidator
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

API_VERSION = "2010-04-01"
# A looping app (a Redirect to itself, a Gather whose action answers the same Gather) must not hang a test.
MAX_TWIML_FETCHES = 30
# Simulated seconds each executed verb or turn adds to a call: durations are deterministic.
SECONDS_PER_VERB = 3
# With async AMD the app gets this long, after the AMD callback, to redirect a call a machine answered.
AMD_UPDATE_WAIT_SECONDS = 3.0
MACHINE_DETECTION_DURATION_MS = "2400"
SPEECH_CONFIDENCE = "0.92"
# Twilio gives the app 15 s to answer a webhook.
CALLBACK_TIMEOUT_SECONDS = 15.0
DEFAULT_CLOSING_LINE = "No, that's all, thanks."
PAGE_SIZE = 50
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# GSM 03.38 basic set: texts outside it are sent as UCS-2, with shorter segments.
GSM_CHARS = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
MAX_BODY_CHARS = 1600
# A shopper's reply to a delivered text comes this long after delivery (a person reads, then types).
SMS_REPLY_DELAY_SECONDS = 0.5
# The number a Messaging Service sends from, unless `service_numbers` names one for the service.
SERVICE_SENDER = "+15555550199"
# Twilio's standard opt-out keywords (a whole message, any case): Twilio blocks or unblocks the sender
# for the number itself, and with Advanced Opt-Out also tells the app in `OptOutType`.
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

DELIVERY_ERRORS = {
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}


# -- personas ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Press:
    """A keypad answer to a `<Gather>` (sent as `Digits`), where a plain string is spoken."""

    digits: str


@dataclass(frozen=True)
class Persona:
    """A scripted shopper: how the call ends up, and one answer per `<Gather>`, in order; and the texts
    they send back, one per text delivered to them, in order."""

    result: str = "answered"  # answered | no-answer | busy | failed
    answered_by: str = "human"  # what AMD reports: human | machine_end_beep | ...
    lines: tuple[str | Press, ...] = ()
    # Said at every Gather once the script has run out; None: silence.
    closing: str | Press | None = DEFAULT_CLOSING_LINE
    # Texted back after each delivered text, at most once per text; once they run out, silence.
    sms_replies: tuple[str, ...] = ()

    def answer(self, turn: int) -> str | Press | None:
        if turn < len(self.lines):
            return self.lines[turn]
        return self.closing

    def sms_answer(self, turn: int) -> str | None:
        """The reply to the `turn`-th text delivered to this shopper (0-based); None: no reply."""
        return self.sms_replies[turn] if 0 <= turn < len(self.sms_replies) else None

    @property
    def is_machine(self) -> bool:
        return self.answered_by.startswith("machine") or self.answered_by == "fax"


# The app's rules agent is written against these exact lines: change them together.
PERSONAS: dict[str, Persona] = {
    "interested": Persona(lines=("Yes, I'd like to finish my order.", "Yes, please text me the link.",
                                 "No, that's all, thanks.")),
    "shipping": Persona(lines=("The shipping is too expensive.", "Yes, that sounds good.",
                               "No, that's all.")),
    "stop": Persona(lines=("Stop calling me.",)),
    "press9": Persona(lines=(Press("9"),)),
    "voicemail": Persona(answered_by="machine_end_beep", closing=None),
    "no_answer": Persona(result="no-answer", closing=None),
    "busy": Persona(result="busy", closing=None),
    "failed": Persona(result="failed", closing=None),
    "wrong_number": Persona(lines=("You have the wrong number, I don't know any Ada.",)),
    "already_bought": Persona(lines=("I already bought it yesterday.",)),
    "person": Persona(lines=("Can I talk to a real person?", "Tomorrow at 10 am.")),
    "spanish": Persona(lines=("Sí, quiero terminar mi compra.",
                              "Sí, mándame el enlace por mensaje, por favor.",
                              "No, gracias, eso es todo.")),
    "silent": Persona(closing=None),
    "callback": Persona(lines=("I'm busy right now, call me tomorrow at 6 pm.",)),
    "robot": Persona(lines=("Are you a robot?", "Okay, send me the link.", "No thanks.")),
    # Texters let calls ring out (so the SMS fallback follows) and answer the first text delivered.
    "texter-yes": Persona(result="no-answer", closing=None, sms_replies=("yes please send me a code",)),
    "texter-stop": Persona(result="no-answer", closing=None, sms_replies=("STOP",)),
    "texter-question": Persona(result="no-answer", closing=None, sms_replies=("do you ship to Canada?",)),
}


# -- records ----------------------------------------------------------------------------------------

@dataclass
class Heard:
    """One `<Say>` the shopper heard."""

    text: str
    in_gather: bool
    voice: str | None = None
    language: str | None = None


@dataclass
class SimCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    params: dict[str, Any]
    persona: str = ""
    status: str = "queued"
    direction: str = "outbound-api"
    answered_by: str | None = None
    heard: list[Heard] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    dialed: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    recording_sid: str | None = None
    duration: int = 0
    date_created: datetime = field(default_factory=lambda: _now())
    end_time: datetime | None = None
    deleted: bool = False
    _pending: deque = field(default_factory=deque, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _hangup: str | None = field(default=None, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def log(self, type_: str, **details) -> dict[str, Any]:
        event = {"type": type_, **details}
        self.events.append(event)
        return event

    def events_of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    @property
    def status_callbacks(self) -> list[str]:
        """The CallStatus of each status callback sent, in order."""
        return [e["params"]["CallStatus"] for e in self.events_of("status_callback")]

    @property
    def ended(self) -> bool:
        return self._done.is_set()

    def resource(self, base_uri: str) -> dict[str, Any]:
        uri = f"{base_uri}/Calls/{self.sid}"
        return {
            "sid": self.sid, "date_created": _rfc2822(self.date_created),
            "date_updated": _rfc2822(self.end_time or self.date_created), "parent_call_sid": None,
            "account_sid": self.account_sid, "to": self.to, "to_formatted": self.to, "from": self.from_,
            "from_formatted": self.from_, "phone_number_sid": None, "status": self.status,
            "start_time": _rfc2822(self.date_created),
            "end_time": _rfc2822(self.end_time) if self.end_time else None,
            "duration": str(self.duration) if self.ended else None, "price": None, "price_unit": "USD",
            "direction": self.direction, "answered_by": self.answered_by, "api_version": API_VERSION,
            "forwarded_from": None, "group_sid": None, "caller_name": None, "queue_time": "0",
            "trunk_sid": None, "uri": uri + ".json",
            "subresource_uris": {"notifications": uri + "/Notifications.json",
                                 "recordings": uri + "/Recordings.json",
                                 "payments": uri + "/Payments.json", "events": uri + "/Events.json",
                                 "siprec": uri + "/Siprec.json", "streams": uri + "/Streams.json",
                                 "user_defined_message_subscriptions":
                                     uri + "/UserDefinedMessageSubscriptions.json",
                                 "user_defined_messages": uri + "/UserDefinedMessages.json"},
        }


@dataclass
class SimMessage:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: str
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    direction: str = "outbound-api"
    events: list[dict[str, Any]] = field(default_factory=list)
    date_created: datetime = field(default_factory=lambda: _now())
    date_sent: datetime | None = None
    deleted: bool = False
    reply_sid: str | None = None  # the shopper's text back (an `InboundSms`), if their persona replied

    @property
    def num_segments(self) -> int:
        return _segments(self.body)

    def resource(self, base_uri: str) -> dict[str, Any]:
        uri = f"{base_uri}/Messages/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": API_VERSION, "body": self.body,
            "date_created": _rfc2822(self.date_created),
            "date_sent": _rfc2822(self.date_sent) if self.date_sent else None,
            "date_updated": _rfc2822(self.date_sent or self.date_created), "direction": self.direction,
            "error_code": self.error_code,
            "error_message": DELIVERY_ERRORS.get(self.error_code) if self.error_code else None,
            "from": self.from_, "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0", "num_segments": str(self.num_segments), "price": None, "price_unit": "USD",
            "status": self.status, "to": self.to, "uri": uri + ".json",
            "subresource_uris": {"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
        }


@dataclass
class SimRecording:
    sid: str
    account_sid: str
    call_sid: str
    duration: int
    channels: int
    date_created: datetime = field(default_factory=lambda: _now())
    deleted: bool = False

    def resource(self, base_url: str, base_uri: str) -> dict[str, Any]:
        uri = f"{base_uri}/Recordings/{self.sid}"
        return {
            "account_sid": self.account_sid, "api_version": API_VERSION, "call_sid": self.call_sid,
            "conference_sid": None, "date_created": _rfc2822(self.date_created),
            "date_updated": _rfc2822(self.date_created), "start_time": _rfc2822(self.date_created),
            "duration": str(self.duration), "sid": self.sid, "price": None, "price_unit": "USD",
            "status": "completed", "channels": self.channels, "source": "OutboundAPI", "error_code": None,
            "uri": uri + ".json", "encryption_details": None, "media_url": base_url + uri,
            "subresource_uris": {"add_on_results": uri + "/AddOnResults.json",
                                 "transcriptions": uri + "/Transcriptions.json"},
        }


@dataclass
class InboundSms:
    """A text the shopper sent to the app, and what the app answered."""

    sid: str
    from_: str
    to: str
    body: str
    url: str
    status_code: int
    response_text: str
    replies: list[str] = field(default_factory=list)  # bodies of <Message> in the app's TwiML answer
    in_reply_to: str | None = None  # the app's text (a `SimMessage` sid) a persona answered with this


@dataclass
class _Fault:
    kind: str
    method: str | None
    status: int = 503
    code: int = 20500
    message: str = "Service unavailable"
    delay: float = 0.0
    create: bool = False


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # the tests' output is not the place for an access log
        pass


class TwilioError(Exception):
    """Answered as Twilio's error JSON."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return _json({"code": self.code, "message": self.message,
                      "more_info": f"https://www.twilio.com/docs/errors/{self.code}", "status": self.status},
                     self.status)


# -- the simulator ----------------------------------------------------------------------------------

class TwilioSimulator:
    """Thread-served WSGI app; `base_url` is what TWILIO_API_BASE_URL should be."""

    def __init__(self, account_sid: str, auth_token: str, *, deliver_to: Callable[[str], str] | None = None,
                 host: str = "127.0.0.1", port: int = 0, sms_url: str | None = None,
                 sms_reply_delay: float = SMS_REPLY_DELAY_SECONDS):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.deliver_to: Callable[[str], str] = deliver_to or (lambda url: url)
        self.validator = RequestValidator(auth_token)
        self.personas: dict[str, Persona] = dict(PERSONAS)
        self.persona_by_number: dict[str, str] = {}
        self.default_persona = "interested"
        self.amd_update_wait = AMD_UPDATE_WAIT_SECONDS
        self.invalid_numbers: set[str] = set()
        self.landlines: set[str] = set()
        self.unsubscribed: set[str] = set()
        self.delivery_errors: dict[str, int] = {}
        # The app's public inbound SMS URL (its APP_URL + path): where personas' replies go. None: no replies.
        self.sms_url: str | None = sms_url
        self.sms_reply_delay = sms_reply_delay
        # The number each Messaging Service sends from (else SERVICE_SENDER): a reply is addressed to it.
        self.service_numbers: dict[str, str] = {}
        # Advanced Opt-Out: a persona's keyword reply carries `OptOutType`, as Twilio then sends it.
        self.advanced_opt_out = False
        self._sms_turns: dict[str, int] = {}  # replies each number's persona has sent
        self._answered: set[str] = set()  # the texts a persona has replied to (or is about to)
        self.calls: dict[str, SimCall] = {}
        self.messages: dict[str, SimMessage] = {}
        self.recordings: dict[str, SimRecording] = {}
        self.inbound: list[InboundSms] = []
        self.deleted: list[tuple[str, str]] = []
        self.requests: list[dict[str, Any]] = []
        self.faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._stopping = threading.Event()
        self._server = make_server(host, port, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def _base_uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}"

    def start(self) -> TwilioSimulator:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            for call in self.calls.values():
                call._wake.set()
        self.wait_idle(timeout=5, raise_on_timeout=False)
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def route_app(self, public_origin: str, actual_origin: str) -> TwilioSimulator:
        """Deliver what the app addressed to `public_origin` (its APP_URL) to `actual_origin` instead."""
        public, actual, fallback = public_origin.rstrip("/"), actual_origin.rstrip("/"), self.deliver_to

        def deliver(url: str) -> str:
            if url == public or url.startswith(public + "/") or url.startswith(public + "?"):
                return actual + url[len(public):]
            return fallback(url)

        self.deliver_to = deliver
        return self

    # -- test controls -----------------------------------------------------------------------------
    def set_persona(self, number: str, name: str) -> None:
        if name not in self.personas:
            raise KeyError(f"unknown persona {name!r}; known: {sorted(self.personas)}")
        self.persona_by_number[number] = name

    def add_persona(self, name: str, persona: Persona) -> None:
        self.personas[name] = persona

    def fail_next(self, path_kind: str, status: int = 503, code: int = 20500,
                  message: str = "Service unavailable", times: int = 1, *, method: str | None = None) -> None:
        """The next `times` requests on `path_kind` ("calls", "messages", "recordings") answer this error
        JSON and take no effect. `method` narrows it (e.g. "POST"); None: any method."""
        with self._lock:
            self.faults.extend(_Fault(path_kind, method, status, code, message) for _ in range(times))

    def timeout_next(self, path_kind: str, seconds: float = 2.0, create: bool = True, times: int = 1, *,
                     method: str | None = "POST") -> None:
        """The next `times` requests on `path_kind` are held `seconds` before the answer, so the client
        times out. create=True: the request takes effect (the call is placed), only the answer is late;
        create=False: it takes no effect and finally answers 503."""
        with self._lock:
            self.faults.extend(_Fault(path_kind, method, delay=seconds, create=create) for _ in range(times))

    def wait_for_call_end(self, sid: str, timeout: float = 10) -> SimCall:
        call = self.calls[sid]
        if not call._done.wait(timeout):
            raise TimeoutError(f"call {sid} still {call.status} after {timeout} s")
        return call

    def wait_idle(self, timeout: float = 10, *, raise_on_timeout: bool = True) -> bool:
        """Wait until every call has ended and every message callback has been sent."""
        with self._idle:
            idle = self._idle.wait_for(lambda: self._busy == 0, timeout)
        if not idle and raise_on_timeout:
            raise TimeoutError(f"{self._busy} call(s) or message(s) still in flight after {timeout} s")
        return idle

    def send_sms(self, from_: str, to: str, body: str, *, url: str,
                 opt_out_type: str | None = None) -> tuple[int, str]:
        """The shopper texts the app: a signed POST to its inbound SMS URL (public `url`)."""
        record = self._receive_sms(from_, to, body, url=url, opt_out_type=opt_out_type, keyword=opt_out_type)
        return record.status_code, record.response_text

    def messaging_service_number(self, service_sid: str | None) -> str:
        """The number a Messaging Service sends from: what a shopper's reply is addressed to."""
        with self._lock:
            return self.service_numbers.get(service_sid or "", SERVICE_SENDER)

    def _receive_sms(self, from_: str, to: str, body: str, *, url: str, opt_out_type: str | None,
                     keyword: str | None, in_reply_to: str | None = None) -> InboundSms:
        """Forward a shopper's text to the app, signed; `keyword` (STOP/START) is what Twilio enforces
        itself, `opt_out_type` what it tells the app."""
        sid = _sid("SM")
        params = {"From": from_, "To": to, "Body": body, "MessageSid": sid, "SmsSid": sid,
                  "SmsMessageSid": sid, "AccountSid": self.account_sid, "NumMedia": "0", "NumSegments": "1",
                  "SmsStatus": "received", "ApiVersion": API_VERSION}
        if opt_out_type:
            params["OptOutType"] = opt_out_type
        if keyword:
            # Twilio itself enforces the keyword: later sends from this sender fail with 21610.
            with self._lock:
                if keyword.upper() == "STOP":
                    self.unsubscribed.add(from_)
                elif keyword.upper() == "START":
                    self.unsubscribed.discard(from_)
        status, text = self._deliver(url, params)
        record = InboundSms(sid, from_, to, body, url, status, text, _message_bodies(text),
                            in_reply_to=in_reply_to)
        with self._lock:
            self.inbound.append(record)
        return record

    def place_inbound_call(self, from_: str, to: str, *, url: str, persona: str | None = None,
                           status_callback: str | None = None) -> SimCall:
        """The shopper calls the app's number: the call is answered at once and plays `url` (public).
        Wait for it with `wait_for_call_end(call.sid)`."""
        params: dict[str, Any] = {"Url": url, "Method": "POST", "StatusCallbackEvent": {"completed"}}
        if status_callback:
            params["StatusCallback"] = status_callback
        call = SimCall(_sid("CA"), self.account_sid, to, from_, params, direction="inbound",
                       persona=persona or self.persona_by_number.get(from_, self.default_persona))
        with self._lock:
            self.calls[call.sid] = call
            self._spawn(self._play, call)
        return call

    # -- HTTP: routing -----------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._route(request)
        except TwilioError as error:
            response = error.response()
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        auth = request.authorization
        auth_ok = bool(auth and auth.username == self.account_sid and auth.password == self.auth_token)
        with self._lock:
            self.requests.append({"method": request.method, "path": request.path, "form": _flat(request.form),
                                  "query": _flat(request.args), "auth_ok": auth_ok})
        if len(parts) < 4 or parts[0] != API_VERSION or parts[1] != "Accounts":
            raise TwilioError(404, 20404, "The requested resource was not found")
        if not auth_ok:
            raise TwilioError(401, 20003, "Authenticate")
        if parts[2] != self.account_sid:
            raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
        rest = parts[3:]
        kind = rest[0].split(".")[0].lower()
        fault = self._take_fault(kind, request.method)
        if fault is None:
            return self._dispatch(request, rest)
        if not fault.delay:
            raise TwilioError(fault.status, fault.code, fault.message)
        response = self._dispatch(request, rest) if fault.create else None
        self._hold(fault.delay)
        if response is None:
            raise TwilioError(503, 20500, "Service unavailable")
        return response  # it took effect; only the answer was late

    def _hold(self, seconds: float) -> None:
        """Delay an answer (counted as in flight for `wait_idle`; `stop` cuts it short)."""
        with self._lock:
            self._busy += 1
        try:
            self._stopping.wait(seconds)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _take_fault(self, kind: str, method: str) -> _Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if fault.kind == kind and fault.method in (None, method):
                    return self.faults.pop(i)
        return None

    def _dispatch(self, request: Request, rest: list[str]) -> Response:
        method, head = request.method, rest[0]
        if len(rest) == 1 and head == "Calls.json":
            if method == "POST":
                return self._create_call(request.form)
            if method == "GET":
                return self._list_calls(request)
        if len(rest) == 1 and head == "Messages.json":
            if method == "POST":
                return self._create_message(request.form)
            if method == "GET":
                return self._list_messages(request)
        if len(rest) == 1 and head == "Recordings.json" and method == "GET":
            return self._list_recordings(request, call_sid=request.args.get("CallSid"))
        if len(rest) == 2 and head == "Calls":
            return self._call_instance(request, rest[1])
        if len(rest) == 3 and head == "Calls" and rest[2] == "Recordings.json" and method == "GET":
            return self._list_recordings(request, call_sid=rest[1])
        if len(rest) == 2 and head == "Messages":
            return self._message_instance(request, rest[1])
        if len(rest) == 2 and head == "Recordings":
            return self._recording_instance(request, rest[1])
        raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")

    # -- HTTP: calls -------------------------------------------------------------------------------
    def _create_call(self, form) -> Response:
        to, from_ = form.get("To", ""), form.get("From", "")
        if not to:
            raise TwilioError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise TwilioError(400, 21213, "No 'From' number is specified")
        if not form.get("Url") and not form.get("Twiml"):
            raise TwilioError(400, 21205, "Url parameter is required.")
        if not E164.match(to) or to in self.invalid_numbers:
            raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not E164.match(from_):
            raise TwilioError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        params = _flat(form)
        params["StatusCallbackEvent"] = _events(form.getlist("StatusCallbackEvent"))
        call = SimCall(_sid("CA"), self.account_sid, to, from_, params,
                       persona=self.persona_by_number.get(to, self.default_persona))
        with self._lock:
            self.calls[call.sid] = call
            body = call.resource(self._base_uri)
            self._spawn(self._play, call)
        return _json(body, 201)

    def _list_calls(self, request: Request) -> Response:
        args = request.args
        with self._lock:
            calls = [c for c in self.calls.values() if not c.deleted]
        calls = [c for c in calls
                 if _match(args, "To", c.to) and _match(args, "From", c.from_)
                 and _match(args, "Status", c.status)
                 and _in_range(args, "StartTime", c.date_created)
                 and _in_range(args, "EndTime", c.end_time)]
        with self._lock:
            items = [c.resource(self._base_uri) for c in reversed(calls)]  # newest first, as Twilio
        return self._page(request, "Calls", "calls", items)

    def _call_instance(self, request: Request, name: str) -> Response:
        sid = name.removesuffix(".json")
        with self._lock:
            call = self.calls.get(sid)
            if call is None or call.deleted or not name.endswith(".json"):
                raise TwilioError(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
            if request.method == "GET":
                return _json(call.resource(self._base_uri))
            if request.method == "DELETE":
                call.deleted = True
                self.deleted.append(("call", sid))
                return Response(status=204)
            if request.method == "POST":
                self._update_call(call, request.form)
                return _json(call.resource(self._base_uri))
        raise TwilioError(405, 20004, "Method not allowed")

    def _update_call(self, call: SimCall, form) -> None:
        status, twiml, url = form.get("Status"), form.get("Twiml"), form.get("Url")
        call.log("update", params=_flat(form))
        if status in ("completed", "canceled"):
            unanswered = call.status in ("queued", "initiated", "ringing")
            if not call.ended and (status == "completed" or unanswered):
                call._hangup = status
                call._wake.set()
            return
        if twiml or url:
            if call.ended:
                raise TwilioError(400, 21220, "Call is not in-progress. Cannot redirect.")
            if twiml:
                call._pending.append(("twiml", twiml, None))
            else:
                call._pending.append(("url", url, form.get("Method", "POST")))
            call._wake.set()

    # -- HTTP: messages ----------------------------------------------------------------------------
    def _create_message(self, form) -> Response:
        to, body = form.get("To", ""), form.get("Body", "")
        from_, service = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            raise TwilioError(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            raise TwilioError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise TwilioError(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            raise TwilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        with self._lock:
            if not E164.match(to) or to in self.invalid_numbers:
                raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
            if to in self.landlines:
                raise TwilioError(400, 21614, f"'To' number {to} is not a valid mobile number")
            if to in self.unsubscribed:
                raise TwilioError(400, 21610, "Attempt to send to unsubscribed recipient")
            message = SimMessage(_sid("SM"), self.account_sid, to, from_, body,
                                 status="accepted" if service else "queued", messaging_service_sid=service,
                                 status_callback=form.get("StatusCallback"))
            self.messages[message.sid] = message
            resource = message.resource(self._base_uri)
            self._spawn(self._deliver_message, message)
        return _json(resource, 201)

    def _list_messages(self, request: Request) -> Response:
        args = request.args
        with self._lock:
            messages = [m for m in self.messages.values() if not m.deleted]
        messages = [m for m in messages
                    if _match(args, "To", m.to) and _match(args, "From", m.from_)
                    and _in_range(args, "DateSent", m.date_sent or m.date_created)]
        with self._lock:
            items = [m.resource(self._base_uri) for m in reversed(messages)]
        return self._page(request, "Messages", "messages", items)

    def _message_instance(self, request: Request, name: str) -> Response:
        sid = name.removesuffix(".json")
        with self._lock:
            message = self.messages.get(sid)
            if message is None or message.deleted or not name.endswith(".json"):
                raise TwilioError(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
            if request.method == "GET":
                return _json(message.resource(self._base_uri))
            if request.method == "DELETE":
                message.deleted = True
                self.deleted.append(("message", sid))
                return Response(status=204)
            if request.method == "POST" and "Body" in request.form:  # redaction: Body=""
                message.body = request.form["Body"]
                return _json(message.resource(self._base_uri))
        raise TwilioError(405, 20004, "Method not allowed")

    # -- HTTP: recordings --------------------------------------------------------------------------
    def _recording_instance(self, request: Request, name: str) -> Response:
        sid, _, ext = name.partition(".")
        with self._lock:
            recording = self.recordings.get(sid)
            if recording is None or recording.deleted:
                raise TwilioError(404, 20404, f"The requested resource /Recordings/{name} was not found")
            if request.method == "DELETE" and ext == "json":
                recording.deleted = True
                self.deleted.append(("recording", sid))
                return Response(status=204)
            if request.method != "GET":
                raise TwilioError(405, 20004, "Method not allowed")
            if ext == "json":
                return _json(recording.resource(self.base_url, self._base_uri))
        if ext in ("", "wav"):
            return Response(SILENT_WAV, mimetype="audio/wav")
        if ext == "mp3":
            # The same bytes under an mp3 type: players in the sandbox sniff the content anyway.
            return Response(SILENT_WAV, mimetype="audio/mpeg")
        raise TwilioError(404, 20404, f"The requested resource /Recordings/{name} was not found")

    def _list_recordings(self, request: Request, call_sid: str | None) -> Response:
        with self._lock:
            items = [r.resource(self.base_url, self._base_uri) for r in reversed(self.recordings.values())
                     if not r.deleted and (call_sid is None or r.call_sid == call_sid)]
        return self._page(request, "Recordings", "recordings", items)

    def _page(self, request: Request, collection: str, key: str, items: list[dict[str, Any]]) -> Response:
        size = max(1, min(1000, _int(request.args.get("PageSize"), PAGE_SIZE)))
        page = max(0, _int(request.args.get("Page"), 0))
        start = page * size
        chunk = items[start:start + size]
        filters = {k: v for k, v in request.args.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            query = urllib.parse.urlencode({**filters, "PageSize": size, "Page": n})
            return f"{request.path}?{query}"

        return _json({
            key: chunk, "page": page, "page_size": size, "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if start + size < len(items) else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": start, "end": start + max(len(chunk) - 1, 0),
        })

    # -- background work ---------------------------------------------------------------------------
    def _spawn(self, target: Callable[[Any], None], item: Any) -> None:
        with self._lock:
            self._busy += 1

        def run() -> None:
            try:
                target(item)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

        threading.Thread(target=run, daemon=True, name=f"twilio-sim-{item.sid}").start()

    def _deliver(self, url: str, params: dict[str, str], method: str = "POST") -> tuple[int, str]:
        """A signed request to the app at public `url`, delivered where `deliver_to` says; (status, text)."""
        if method.upper() == "GET":
            url = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
            signature, data = self.validator.compute_signature(url, {}), None
        else:
            signature, data = self.validator.compute_signature(url, params), params
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1",
                   "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
        try:
            answer = requests.request(method.upper(), self.deliver_to(url), data=data, headers=headers,
                                      timeout=CALLBACK_TIMEOUT_SECONDS, allow_redirects=False)
        except requests.RequestException as exc:
            return 0, f"{type(exc).__name__}: {exc}"
        return answer.status_code, answer.text

    def _deliver_message(self, message: SimMessage) -> None:
        error = self.delivery_errors.get(message.to)
        steps = [("sent", None), ("undelivered", error) if error else ("delivered", None)]
        for status, code in steps:
            with self._lock:
                message.status, message.error_code = status, code
                if status == "sent":
                    message.date_sent = _now()
            if not message.status_callback or self._stopping.is_set():
                continue
            params = {"MessageSid": message.sid, "SmsSid": message.sid, "AccountSid": message.account_sid,
                      "From": message.from_ or "", "To": message.to, "MessageStatus": status,
                      "SmsStatus": status, "ApiVersion": API_VERSION}
            if message.messaging_service_sid:
                params["MessagingServiceSid"] = message.messaging_service_sid
            if code:
                params["ErrorCode"] = str(code)
            http_status, _ = self._deliver(message.status_callback, params)
            message.events.append({"type": "status_callback", "url": message.status_callback,
                                   "params": params, "http_status": http_status})
        self._text_back(message)

    def _text_back(self, message: SimMessage) -> None:
        """The shopper's persona answers a delivered text, after `sms_reply_delay` (still in flight
        for `wait_idle`): once per text, and no more often than the persona has replies."""
        claimed = self._take_sms_reply(message)
        if claimed is None or self._stopping.wait(self.sms_reply_delay):
            return
        reply, url = claimed
        sender = message.from_ or self.messaging_service_number(message.messaging_service_sid)
        keyword = _keyword(reply)
        record = self._receive_sms(message.to, sender, reply, url=url,
                                   opt_out_type=keyword if self.advanced_opt_out else None,
                                   keyword=keyword, in_reply_to=message.sid)
        with self._lock:
            message.reply_sid = record.sid
        message.events.append({"type": "reply", "inbound_sid": record.sid, "url": record.url,
                               "http_status": record.status_code})

    def _take_sms_reply(self, message: SimMessage) -> tuple[str, str] | None:
        """The persona's next reply to this delivered text and where it goes, claimed (so never sent
        twice), or None."""
        with self._lock:
            if not self.sms_url or message.status != "delivered" or message.sid in self._answered:
                return None
            persona = self.personas.get(self.persona_by_number.get(message.to, self.default_persona))
            turn = self._sms_turns.get(message.to, 0)
            reply = persona.sms_answer(turn) if persona is not None else None
            if reply is None:
                return None
            self._sms_turns[message.to] = turn + 1
            self._answered.add(message.sid)
            return reply, self.sms_url

    # -- playing a call ----------------------------------------------------------------------------
    def _play(self, call: SimCall) -> None:
        player = _CallPlayer(self, call)
        try:
            player.play()
        except Exception as exc:  # noqa: BLE001 -- a broken call must show in its events, not kill a thread
            call.log("error", message=f"simulator error: {type(exc).__name__}: {exc}")
        try:
            player.finish()
        except Exception as exc:  # noqa: BLE001
            call.log("error", message=f"simulator error: {type(exc).__name__}: {exc}")
        finally:
            call._done.set()


class _CallPlayer:
    """Acts one call out: ringing, answering, the TwiML conversation, recording, the final callback."""

    def __init__(self, sim: TwilioSimulator, call: SimCall):
        self.sim, self.call, self.p = sim, call, call.params
        self.persona = sim.personas.get(call.persona) or sim.personas["interested"]
        self.amd = bool(self.p.get("MachineDetection"))
        self.final_status = "completed"
        self.answered = False
        self.sequence = 0
        self.fetches = 0
        self.turn = 0

    # -- lifecycle --------------------------------------------------------------------------------
    def play(self) -> None:
        if self.call.direction == "inbound":
            self.answered = True  # the shopper placed it: it is live as soon as the app answers
            self._set_status("in-progress")
            self._converse()
            return
        self._callback_event("initiated", "initiated")
        if self._hung_up():
            return
        if self.persona.result in ("busy", "failed"):
            self.final_status = self.persona.result
            return
        self._set_status("ringing")
        self._callback_event("ringing", "ringing")
        if self._hung_up():
            return
        if self.persona.result == "no-answer":
            self.final_status = "no-answer"
            return
        self.answered = True
        if self.amd:
            self.call.answered_by = self.persona.answered_by
        self._set_status("in-progress")
        self._callback_event("answered", "in-progress")
        self._converse()

    def finish(self) -> None:
        call = self.call
        if call._hangup and not self.answered:
            self.final_status = "canceled"  # hanging up a call that has not been answered cancels it
        with self.sim._lock:
            call.status = self.final_status
            call.end_time = _now()
            if not self.answered:
                call.duration = 0
        if self.answered and _true(self.p.get("Record")):
            self._record()
        params = {"CallDuration": str(call.duration), "Duration": str(math.ceil(call.duration / 60))}
        if self.amd and call.answered_by:
            params["AnsweredBy"] = call.answered_by
        self._callback_event("completed", self.final_status, params)

    def _hung_up(self) -> bool:
        if self.call._hangup or self.sim._stopping.is_set():
            self.call.log("hangup", by=self.call._hangup or "simulator stopped")
            return True
        return False

    def _set_status(self, status: str) -> None:
        with self.sim._lock:
            self.call.status = status

    # -- callbacks --------------------------------------------------------------------------------
    def _base_params(self, status: str) -> dict[str, str]:
        c = self.call
        return {"CallSid": c.sid, "AccountSid": c.account_sid, "From": c.from_, "To": c.to,
                "CallStatus": status, "Direction": c.direction, "ApiVersion": API_VERSION}

    def _callback_event(self, event: str, status: str, extra: dict[str, str] | None = None) -> None:
        if event in self.p["StatusCallbackEvent"]:
            self._status_callback(status, extra)

    def _status_callback(self, status: str, extra: dict[str, str] | None = None) -> None:
        url = self.p.get("StatusCallback")
        if not url:
            return
        params = {**self._base_params(status), "Timestamp": _rfc2822(_now()),
                  "SequenceNumber": str(self.sequence), "CallbackSource": "call-progress-events",
                  **(extra or {})}
        self.sequence += 1
        http_status, _ = self.sim._deliver(url, params, self.p.get("StatusCallbackMethod", "POST"))
        self.call.log("status_callback", url=url, params=params, http_status=http_status)

    def _record(self) -> None:
        call, sim = self.call, self.sim
        recording = SimRecording(_sid("RE"), call.account_sid, call.sid, max(call.duration, 1),
                                 channels=2 if self.p.get("RecordingChannels") == "dual" else 1)
        with sim._lock:
            sim.recordings[recording.sid] = recording
            call.recording_sid = recording.sid
        url = self.p.get("RecordingStatusCallback")
        if not url:
            return
        params = {"AccountSid": call.account_sid, "CallSid": call.sid, "RecordingSid": recording.sid,
                  "RecordingUrl": f"{sim.base_url}{sim._base_uri}/Recordings/{recording.sid}",
                  "RecordingStatus": "completed", "RecordingDuration": str(recording.duration),
                  "RecordingChannels": str(recording.channels), "RecordingSource": "OutboundAPI",
                  "RecordingStartTime": _rfc2822(call.date_created), "ErrorCode": "0"}
        http_status, _ = sim._deliver(url, params, self.p.get("RecordingStatusCallbackMethod", "POST"))
        call.log("recording_callback", url=url, params=params, http_status=http_status)

    def _amd_callback(self) -> None:
        url = self.p.get("AsyncAmdStatusCallback")
        if not url:
            return
        params = {"CallSid": self.call.sid, "AccountSid": self.call.account_sid,
                  "AnsweredBy": self.persona.answered_by,
                  "MachineDetectionDuration": MACHINE_DETECTION_DURATION_MS}
        http_status, _ = self.sim._deliver(url, params, self.p.get("AsyncAmdStatusCallbackMethod", "POST"))
        self.call.log("amd_callback", url=url, params=params, http_status=http_status)

    # -- the conversation -------------------------------------------------------------------------
    def _converse(self) -> None:
        params = self._base_params("in-progress")
        if self.amd and not _true(self.p.get("AsyncAmd")):
            params["AnsweredBy"] = self.persona.answered_by  # synchronous AMD answers before the fetch
        if self.p.get("Twiml"):
            doc = self._parse(self.p["Twiml"], "initial Twiml")
            doc_url = self.p.get("Url", "")
        else:
            doc_url = self.p["Url"]
            doc = self._fetch(doc_url, self.p.get("Method", "POST"), params)
        if doc is None:
            return
        if self.amd and _true(self.p.get("AsyncAmd")):
            self._amd_callback()
            if self.persona.is_machine and not self.call._pending:
                # The app decides what to leave on the machine by updating the live call.
                self.call._wake.wait(self.sim.amd_update_wait)
                self.call._wake.clear()
        while doc is not None:
            doc, doc_url = self._execute(doc, doc_url)

    def _execute(self, doc: ET.Element, doc_url: str) -> tuple[ET.Element | None, str]:
        """Runs one TwiML document; the next one to run (a Gather's action, a Redirect, an update)."""
        for verb in list(doc):
            if self._hung_up():
                return None, doc_url
            update = self._take_update()
            if update is not None:
                return update
            tag = verb.tag
            self.call.duration += SECONDS_PER_VERB
            if tag == "Say":
                self._say(verb, in_gather=False)
            elif tag in ("Play", "Pause"):
                self.call.log(tag.lower(), url=(verb.text or "").strip(), length=verb.get("length"))
            elif tag == "Gather":
                following = self._gather(verb, doc_url)
                if following is not None:
                    return following
            elif tag == "Redirect":
                url = urllib.parse.urljoin(doc_url, (verb.text or "").strip())
                return self._fetch(url, verb.get("method", "POST"), self._base_params("in-progress")), url
            elif tag == "Dial":
                self._dial(verb)
                return None, doc_url
            elif tag in ("Hangup", "Reject"):
                self.call.log(tag.lower())
                return None, doc_url
            else:
                self.call.log("unsupported_verb", verb=tag)
        update = self._take_update()
        return update if update is not None else (None, doc_url)

    def _say(self, verb: ET.Element, *, in_gather: bool) -> None:
        text = " ".join("".join(verb.itertext()).split())
        self.call.heard.append(Heard(text, in_gather, verb.get("voice"), verb.get("language")))

    def _gather(self, verb: ET.Element, doc_url: str) -> tuple[ET.Element | None, str] | None:
        for child in verb:
            if child.tag == "Say":
                self._say(child, in_gather=True)
            else:
                self.call.log(child.tag.lower(), url=(child.text or "").strip(), in_gather=True)
        inputs = (verb.get("input") or "dtmf").split()
        answer = None if self.persona.is_machine else self.persona.answer(self.turn)
        self.turn += 1
        result: dict[str, str] = {}
        if isinstance(answer, Press):
            self.call.said.append(answer.digits)
            if "dtmf" in inputs:
                result = {"Digits": answer.digits}
        elif answer:
            self.call.said.append(answer)
            if "speech" in inputs:
                result = {"SpeechResult": answer, "Confidence": SPEECH_CONFIDENCE}
        self.call.log("gather", input=inputs, captured=bool(result),
                      answer=answer.digits if isinstance(answer, Press) else answer)
        if not result and not _true(verb.get("actionOnEmptyResult")):
            return None  # Twilio falls through to the next verb
        url = urllib.parse.urljoin(doc_url, verb.get("action") or doc_url)
        params = {**self._base_params("in-progress"), **result}
        return self._fetch(url, verb.get("method", "POST"), params), url

    def _dial(self, verb: ET.Element) -> None:
        numbers = [(n.text or "").strip() for n in verb if n.tag in ("Number", "Client", "Sip")]
        if not numbers and (verb.text or "").strip():
            numbers = [verb.text.strip()]
        self.call.dialed.extend(numbers)
        self.call.log("dial", numbers=numbers)
        self.call.duration += SECONDS_PER_VERB  # the shopper talks to the person, then hangs up

    def _take_update(self) -> tuple[ET.Element | None, str] | None:
        if not self.call._pending:
            return None
        kind, value, method = self.call._pending.popleft()
        self.call._pending.clear()  # the latest update wins, as Twilio's redirect
        if kind == "twiml":
            return self._parse(value, "updated Twiml"), self.p.get("Url", "")
        return self._fetch(value, method or "POST", self._base_params("in-progress")), value

    def _fetch(self, url: str, method: str, params: dict[str, str]) -> ET.Element | None:
        self.fetches += 1
        if self.fetches > MAX_TWIML_FETCHES:
            self.call.log("error", message=f"more than {MAX_TWIML_FETCHES} TwiML fetches; hung up", url=url)
            return None
        http_status, text = self.sim._deliver(url, params, method)
        self.call.log("fetch", url=url, method=method, params=params, http_status=http_status)
        if not 200 <= http_status < 300:
            # Twilio plays "an application error has occurred" and hangs up (error 11200).
            self.call.log("error", message=f"TwiML fetch answered {http_status}", url=url, code=11200)
            return None
        return self._parse(text, url)

    def _parse(self, text: str, source: str) -> ET.Element | None:
        try:
            doc = ET.fromstring(text)
        except ET.ParseError as exc:
            self.call.log("error", message=f"invalid TwiML from {source}: {exc}", code=12100)
            return None
        if doc.tag != "Response":
            self.call.log("error", message=f"TwiML from {source} is not a <Response>", code=12100)
            return None
        self.call.log("twiml", source=source, twiml=text)
        return doc


# -- helpers ----------------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _true(value: Any) -> bool:
    return str(value).lower() == "true"


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _flat(multidict) -> dict[str, Any]:
    """A form as a dict: one value as a string, a repeated key as a list."""
    return {k: (vs[0] if len(vs) == 1 else vs) for k, vs in multidict.lists()}


def _events(values: list[str]) -> set[str]:
    """The call events the app asked to hear about; Twilio sends only `completed` when none are named."""
    events = {e for v in values for e in v.replace(",", " ").split()}
    return events or {"completed"}


def _match(args, name: str, value: str | None) -> bool:
    return name not in args or args[name] == value


def _parse_filter_time(value: str) -> tuple[datetime, bool]:
    """(moment, date_only) from what the SDK sends: "2025-01-31T10:00:00Z" or "2025-01-31"."""
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC), True
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def _in_range(args, name: str, moment: datetime | None) -> bool:
    """Twilio's inclusive `Name`, `Name>` and `Name<` filters; a date alone covers its whole day."""
    wanted = [(op, args[name + op]) for op in ("", ">", "<") if name + op in args]
    if not wanted:
        return True
    if moment is None:
        return False
    moment = moment.replace(microsecond=0)
    for op, raw in wanted:
        try:
            bound, date_only = _parse_filter_time(raw)
        except ValueError as exc:
            raise TwilioError(400, 20001, f"Invalid {name}{op}: {raw}") from exc
        end = bound + timedelta(days=1) if date_only else bound + timedelta(seconds=1)
        if op == "" and not bound <= moment < end:
            return False
        if op == ">" and moment < bound:
            return False
        if op == "<" and moment >= end:
            return False
    return True


def _segments(body: str) -> int:
    if all(ch in GSM_CHARS for ch in body):
        single, multi = 160, 153
    else:
        single, multi = 70, 67
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


def _keyword(body: str) -> str | None:
    """The opt-out keyword class a whole message is, as Twilio matches it (STOP, START, HELP), or None."""
    word = body.strip().upper()
    for kind, words in (("STOP", STOP_KEYWORDS), ("START", START_KEYWORDS), ("HELP", HELP_KEYWORDS)):
        if word in words:
            return kind
    return None


def _message_bodies(twiml: str) -> list[str]:
    try:
        doc = ET.fromstring(twiml)
    except ET.ParseError:
        return []
    bodies = []
    for message in doc.iter("Message"):
        body = message.find("Body")
        bodies.append("".join((body if body is not None else message).itertext()).strip())
    return bodies


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _silent_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(rate * seconds))
    return buffer.getvalue()


SILENT_WAV = _silent_wav()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Twilio simulator in the foreground.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="sandbox-auth-token")
    parser.add_argument("--route", action="append", default=[], metavar="PUBLIC=ACTUAL",
                        help="deliver callbacks for the app's public origin to a local one")
    parser.add_argument("--sms-url", default=None,
                        help="the app's public inbound SMS URL, where simulated shoppers' replies go")
    args = parser.parse_args(argv)
    sim = TwilioSimulator(args.account_sid, args.auth_token, host=args.host, port=args.port,
                          sms_url=args.sms_url)
    for route in args.route:
        public, _, actual = route.partition("=")
        sim.route_app(public, actual)
    print(sim.base_url, flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
