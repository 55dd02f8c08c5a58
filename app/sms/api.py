"""GET /api/messages (contract "Records") and POST /api/sms/preview, for the merchant."""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, g, jsonify, request
from sqlalchemy import false, select

from app.api import bp
from app.api.openapi import operation
from app.api.paging import INVALID, PARAMETERS, QueryError, invalid, page_and_size
from app.extensions import db
from app.recovery.links import tracked_url
from app.recovery.models import Checkout
from app.shopify.session import session_token_required
from app.shops import settings as schema
from app.shops.models import Shop
from app.sms import outbox, segments
from app.sms.models import Message
from app.sms.templates import MAX_TEMPLATE_LENGTH, Rendered, check_template, render_recovery

DIRECTIONS = ("outbound", "inbound")
# Twilio errors the merchant should act on: carrier delivery errors (30003-30008), an opted-out
# number (21610), numbers that cannot take texts (21211, 21612, 21614).
FLAGGED_ERRORS = frozenset(str(code) for code in (
    *outbox.TRANSIENT_DELIVERY_ERRORS, *outbox.PERMANENT_DELIVERY_ERRORS, outbox.UNSUBSCRIBED,
    *outbox.UNUSABLE_FOR_SMS))
MAX_PREVIEW_BYTES = 16 * 1024
# The largest ids a link can carry (32-bit keys): the preview's link is as long as a real one gets.
SAMPLE_ID = 2**31 - 1
SAMPLE_FIRST_NAMES = {"en": "Emma", "es": "Lucia", "fr": "Camille", "de": "Anna"}
SAMPLE_LINES = {
    "en": [("Linen shirt", 1), ("Canvas tote", 2), ("Wool socks", 1)],
    "es": [("Camisa de lino", 1), ("Bolso de lona", 2), ("Calcetines de lana", 1)],
    "fr": [("Chemise en lin", 1), ("Sac en toile", 2), ("Chaussettes en laine", 1)],
    "de": [("Leinenhemd", 1), ("Stofftasche", 2), ("Wollsocken", 1)],
}

MESSAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "checkout_token": {"type": ["string", "null"]},
        "direction": {"enum": list(DIRECTIONS)}, "kind": {"type": "string"}, "body": {"type": "string"},
        "status": {"type": "string"}, "error_code": {"type": ["string", "null"]},
        "segments": {"type": "integer"},
        "flagged": {"type": "boolean", "description": "A Twilio error the merchant should look at."},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "checkout_token", "direction", "kind", "body", "status", "error_code", "segments",
                 "flagged", "created_at"],
}
LIST_SCHEMA = {"type": "object", "properties": {
    "items": {"type": "array", "items": MESSAGE_SCHEMA}, "page": {"type": "integer"},
    "per_page": {"type": "integer"}, "next_page": {"type": ["integer", "null"]}},
    "required": ["items", "page", "per_page", "next_page"]}
_FILTERS = [
    *PARAMETERS,
    {"name": "checkout_token", "in": "query", "schema": {"type": "string"},
     "description": "One checkout's thread, oldest first (otherwise newest first)."},
    {"name": "direction", "in": "query", "schema": {"enum": list(DIRECTIONS)}},
]
PREVIEW_REQUEST = {"type": "object", "properties": {
    "language": {"enum": list(schema.LANGUAGES), "default": "en"},
    "template": {"type": ["string", "null"], "maxLength": MAX_TEMPLATE_LENGTH,
                 "description": "A draft; without it, the shop's stored or the default template."}}}
PREVIEW_SCHEMA = {"type": "object", "properties": {
    "body": {"type": "string"}, "encoding": {"enum": [segments.GSM7, segments.UCS2]},
    "segments": {"type": "integer"}, "units": {"type": "integer"}, "limit": {"type": "integer"},
    "within_limit": {"type": "boolean"}},
    "required": ["body", "encoding", "segments", "units", "limit", "within_limit"]}


@bp.get("/messages")
@operation("/messages", "get", summary="Texts sent and received, newest first (a thread: oldest first)",
           response=LIST_SCHEMA, parameters=_FILTERS, errors=INVALID)
@session_token_required
def list_messages():
    errors: dict[str, str] = {}
    page, per_page = page_and_size(request.args, errors)
    direction = request.args.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        errors["direction"] = "must be outbound or inbound"
    if errors:
        return invalid(QueryError(errors))
    query = _messages(g.shop.id, request.args.get("checkout_token"), direction)
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
    return jsonify({"items": [serialise(message, token) for message, token in rows[:per_page]],
                    "page": page, "per_page": per_page,
                    "next_page": page + 1 if len(rows) > per_page else None})


@bp.post("/sms/preview")
@operation("/sms/preview", "post", summary="The recovery text as a shopper would get it, with its cost",
           response=PREVIEW_SCHEMA, request=PREVIEW_REQUEST,
           errors={"400": "The body is not a JSON object.", "413": "The body is over 16 KiB.",
                   "422": "The language or the template is invalid (`errors` names each)."})
@session_token_required
def preview_text():
    # Per request (Flask 3.1): reading past this answers 413, chunked bodies included.
    request.max_content_length = MAX_PREVIEW_BYTES
    if (request.content_length or 0) > MAX_PREVIEW_BYTES:
        abort(413)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"error": "invalid_json", "message": "the body must be a JSON object"}), 400
    errors: dict[str, str] = {}
    language = payload.get("language", "en")
    if language not in schema.LANGUAGES:
        errors["language"] = "must be one of " + ", ".join(schema.LANGUAGES)
    template = payload.get("template")
    if template is not None:
        try:
            template = check_template(template)
        except ValueError as exc:
            errors["template"] = str(exc)
    if errors:
        return jsonify({"error": "invalid_preview", "errors": errors}), 422
    return jsonify(asdict(sample(g.shop, language, template)))


def sample(shop: Shop, language: str, template: str | None) -> Rendered:
    """The text with the shop's name and limit, a sample shopper and cart, and a full-length link."""
    settings = schema.resolve(shop.settings.values if shop.settings else {})
    if template is not None:
        settings["sms_templates"] = {**settings["sms_templates"], language: template}
    return render_recovery(settings, language, store=schema.store_name(shop, settings),
                           first_name=SAMPLE_FIRST_NAMES[language], lines=SAMPLE_LINES[language],
                           link=tracked_url(SAMPLE_ID, SAMPLE_ID))


def serialise(message: Message, checkout_token: str | None) -> dict:
    """A text for the merchant; never the shopper's phone."""
    return {"id": message.id, "checkout_token": checkout_token, "direction": message.direction,
            "kind": message.kind, "body": message.body, "status": message.status,
            "error_code": message.error_code, "segments": segments.count(message.body).segments,
            "flagged": message.error_code in FLAGGED_ERRORS, "created_at": message.created_at.isoformat()}


def _messages(shop_id: int, checkout_token: str | None, direction: str | None):
    query = (select(Message, Checkout.token).outerjoin(Checkout, Checkout.id == Message.checkout_id)
             .where(Message.shop_id == shop_id))
    if direction:
        query = query.where(Message.direction == direction)
    if checkout_token:
        # A thread reads as a conversation: oldest first. No token holds NUL (PostgreSQL text cannot,
        # and refuses it as a bound value): such a token has no thread.
        matching = false() if "\x00" in checkout_token else Checkout.token == checkout_token[:255]
        return query.where(matching).order_by(Message.id.asc())
    return query.order_by(Message.id.desc())
