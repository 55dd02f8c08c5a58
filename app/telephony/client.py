"""The one way the app builds a Twilio REST client: every request goes to TWILIO_API_BASE_URL."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)

TWILIO_ORIGIN = "https://api.twilio.com"
# Seconds to wait for Twilio's answer; past it, whether the request took effect is unknown.
DEFAULT_TIMEOUT_SECONDS = 10.0
CLIENT_KEY = "ringback.twilio"


class _RebasedHttpClient(TwilioHttpClient):
    """Sends what the SDK addresses to https://api.twilio.com to `base_url` instead."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def log_request(self, kwargs) -> None:
        # The SDK's own logging prints query parameters (a phone number in `To`) at INFO: never.
        log.debug("Twilio %s %s", kwargs["method"], urlsplit(kwargs["url"]).path)

    def log_response(self, status_code, response) -> None:
        log.debug("Twilio answered %s", status_code)

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_ORIGIN):
            url = self.base_url + url[len(TWILIO_ORIGIN):]
        return super().request(method, url, *args, **kwargs)


def rest_client(account_sid: str, auth_token: str, base_url: str = TWILIO_ORIGIN, *,
                timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Client:
    """A Twilio client whose every REST call goes to `base_url` (a simulator, in sandbox and tests)."""
    return Client(account_sid, auth_token, http_client=_RebasedHttpClient(base_url, timeout))


def twilio_client() -> Client:
    """The app's Twilio client, from its configuration (workers and web alike), built once per app:
    its HTTP session keeps connections to Twilio open, so a call does not pay a TLS handshake."""
    app = current_app._get_current_object()
    client = app.extensions.get(CLIENT_KEY)
    if client is None:
        cfg = app.config
        client = rest_client(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"], cfg["TWILIO_API_BASE_URL"],
                             timeout=float(cfg.get("TWILIO_HTTP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)))
        app.extensions[CLIENT_KEY] = client
    return client


def is_configured() -> bool:
    """Credentials and a sender are set: texts can be sent."""
    cfg = current_app.config
    return bool(cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"]
                and (cfg["TWILIO_FROM_NUMBER"] or cfg["TWILIO_MESSAGING_SERVICE_SID"]))


def can_call() -> bool:
    """Credentials and a caller id are set: calls can be placed (a messaging service cannot call)."""
    return is_configured() and bool(current_app.config["TWILIO_FROM_NUMBER"])
