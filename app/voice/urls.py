"""The public URLs given to Twilio for a call, all built from APP_URL (Twilio signs exactly these)."""

from __future__ import annotations

from flask import current_app

PREFIX = "/twilio/voice"


def _url(step: str, call_id: int) -> str:
    return f"{current_app.config['APP_URL'].rstrip('/')}{PREFIX}/{step}?call={call_id}"


def answer(call_id: int) -> str:
    return _url("answer", call_id)


def turn(call_id: int) -> str:
    return _url("turn", call_id)


def status(call_id: int) -> str:
    return _url("status", call_id)


def amd(call_id: int) -> str:
    return _url("amd", call_id)


def recording(call_id: int) -> str:
    return _url("recording", call_id)
