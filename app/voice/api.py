"""GET /api/calls, /api/calls/<id> and the recording, for the merchant (contract "Records")."""

from __future__ import annotations

import re

import requests
from flask import Response, current_app, g, jsonify, request, stream_with_context
from sqlalchemy import false, select

from app.api import ROW_ID, bp
from app.api.openapi import operation
from app.api.paging import (
    INVALID,
    KEYSET_PARAMETERS,
    QueryError,
    invalid,
    keyset,
    keyset_list_schema,
    next_cursor,
    page_size,
    position,
)
from app.extensions import db
from app.recovery.models import Checkout
from app.shopify.session import session_token_required
from app.voice.models import Call

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
CHUNK_BYTES = 64 * 1024
RECORDING_TIMEOUT_SECONDS = 15

_TIME = {"type": "string", "format": "date-time"}
CALL_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "checkout_token": {"type": "string"}, "status": {"type": "string"},
        "answered_by": {"type": ["string", "null"]}, "duration_seconds": {"type": ["integer", "null"]},
        "language": {"type": "string"}, "outcome": {"type": ["string", "null"]},
        "objection": {"type": ["string", "null"]}, "created_at": _TIME,
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
    },
    "required": ["id", "checkout_token", "status", "answered_by", "duration_seconds", "language", "outcome",
                 "objection", "created_at"],
}
CALL_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {
        **CALL_SCHEMA["properties"],
        "transcript": {"type": "array", "items": {"type": "object", "properties": {
            "role": {"enum": ["agent", "shopper"]}, "text": {"type": "string"}, "at": _TIME}}},
        "recording": {"type": ["object", "null"], "properties": {
            "duration_seconds": {"type": ["integer", "null"]}, "url": {"type": "string"}}},
    },
    "required": [*CALL_SCHEMA["required"], "transcript", "recording"],
}
LIST_SCHEMA = keyset_list_schema(CALL_SCHEMA)
_FILTERS = [*KEYSET_PARAMETERS, {"name": "checkout", "in": "query", "schema": {"type": "string"},
                          "description": "Checkout token."}]


@bp.get("/calls")
@operation("/calls", "get", summary="Calls placed, newest first", response=LIST_SCHEMA, parameters=_FILTERS,
           errors=INVALID)
@session_token_required
def list_calls():
    errors: dict[str, str] = {}
    at = position(request.args, errors)
    per_page = page_size(request.args, errors)
    if errors:
        return invalid(QueryError(errors))
    ids = select(Call.id).where(Call.shop_id == g.shop.id)
    token = request.args.get("checkout", "")[:255]
    if "\x00" in token:  # no token holds NUL (PostgreSQL text cannot), and PostgreSQL refuses it bound
        ids = ids.where(false())
    elif token:
        ids = ids.join(Checkout, Checkout.id == Call.checkout_id).where(Checkout.token == token)
    # The page's ids first (keyset on the primary key), then its rows and their checkouts' tokens.
    chosen = keyset(ids, Call.id, at, per_page).cte("page")
    rows = db.session.execute(select(Call, Checkout.token).join(chosen, chosen.c.id == Call.id)
                              .join(Checkout, Checkout.id == Call.checkout_id).order_by(Call.id.desc())).all()
    return jsonify({"items": [serialise(call, token) for call, token in rows[:per_page]], "page": at.page,
                    "per_page": per_page, "next_page": next_cursor(rows, per_page, lambda row: row[0].id)})


@bp.get(f"/calls/<{ROW_ID}:call_id>")
@operation("/calls/{id}", "get", summary="One call with its transcript and recording",
           response=CALL_DETAIL_SCHEMA, errors={"404": "No such call for this shop."})
@session_token_required
def show_call(call_id: int):
    row = _owned(call_id)
    if row is None:
        return jsonify({"error": "not_found"}), 404
    call, token = row
    return jsonify({
        **serialise(call, token),
        "transcript": [{"role": t.role, "text": t.text, "at": t.at.isoformat()} for t in call.turns],
        "recording": ({"duration_seconds": call.recording_duration_seconds,
                       "url": f"/api/calls/{call.id}/recording"} if call.recording_sid else None),
    })


@bp.get(f"/calls/<{ROW_ID}:call_id>/recording")
@operation("/calls/{id}/recording", "get", summary="The call's recording (audio, streamed from Twilio)",
           response={"type": "string", "format": "binary"}, media_type="audio/mpeg",
           errors={"404": "No such call, or no recording.", "502": "Twilio did not give the recording."})
@session_token_required
def call_recording(call_id: int):
    row = _owned(call_id)
    if row is None or not row[0].recording_sid or not RECORDING_SID.match(row[0].recording_sid):
        return jsonify({"error": "not_found"}), 404
    cfg = current_app.config
    # Built from our settings, never from the URL Twilio's callback named.
    url = (f"{cfg['TWILIO_API_BASE_URL'].rstrip('/')}/2010-04-01/Accounts/{cfg['TWILIO_ACCOUNT_SID']}"
           f"/Recordings/{row[0].recording_sid}.mp3")
    try:
        upstream = requests.get(url, auth=(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"]), stream=True,
                                timeout=RECORDING_TIMEOUT_SECONDS)
    except requests.RequestException:
        return jsonify({"error": "recording_unavailable"}), 502
    if upstream.status_code != 200:
        upstream.close()
        return jsonify({"error": "recording_unavailable"}), 404 if upstream.status_code == 404 else 502
    return Response(stream_with_context(upstream.iter_content(CHUNK_BYTES)),
                    mimetype=upstream.headers.get("Content-Type", "audio/mpeg"),
                    headers={"Cache-Control": "private, no-store"})


def serialise(call: Call, checkout_token: str) -> dict:
    return {"id": call.id, "checkout_token": checkout_token, "status": call.status,
            "answered_by": call.answered_by, "duration_seconds": call.duration_seconds,
            "language": call.language, "outcome": call.outcome, "objection": call.objection,
            "created_at": call.created_at.isoformat(),
            "ended_at": call.ended_at.isoformat() if call.ended_at else None}


def _owned(call_id: int):
    return db.session.execute(select(Call, Checkout.token).join(Checkout, Checkout.id == Call.checkout_id)
                              .where(Call.id == call_id, Call.shop_id == g.shop.id)).one_or_none()
