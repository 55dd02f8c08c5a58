"""One check for every request Twilio makes to the app: its X-Twilio-Signature, or 403."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio's webhook bodies are a few kilobytes; anything much larger is not Twilio.
MAX_BODY_BYTES = 64 * 1024


def public_url() -> str:
    """The URL Twilio requested, as Twilio saw it: APP_URL-based (a TLS-terminating proxy or a
    simulator's rewrite change what Flask sees), with the query string, which Twilio signs too."""
    query = request.query_string.decode("latin-1")
    return current_app.config["APP_URL"].rstrip("/") + request.path + (f"?{query}" if query else "")


def is_valid_request() -> bool:
    """Whether the current request carries Twilio's signature over its public URL and form."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not signature or not token:
        return False
    return RequestValidator(token).validate(public_url(), request.form, signature)


def twilio_request(view: Callable) -> Callable:
    """Decorator: 413 for an oversized body, 403 unless Twilio signed the request."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        # Per request (Flask 3.1): reading the form past this answers 413, chunked bodies included.
        request.max_content_length = MAX_BODY_BYTES
        if (request.content_length or 0) > MAX_BODY_BYTES:
            abort(413)
        if not is_valid_request():
            log.warning("Twilio request to %s refused: missing or wrong signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked
