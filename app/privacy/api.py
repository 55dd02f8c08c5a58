"""GET /api/data-requests and /api/data-requests/<id>: what `customers/data_request` compiled for the
store owner (contract "JSON API"), to read and to download; /api/restrictions: restriction of processing."""

from __future__ import annotations

import json

from flask import g, jsonify, request
from sqlalchemy import select

from app.api import ROW_ID, bp
from app.api.openapi import operation
from app.api.paging import INVALID, PARAMETERS, list_schema, offset_page
from app.consent.phones import normalise
from app.dbtypes import utcnow
from app.extensions import db
from app.privacy import restriction
from app.privacy.models import DataRequest, Restriction
from app.recovery import scheduler
from app.shopify.session import session_token_required

_TIME = {"type": "string", "format": "date-time"}
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "shopify_request_id": {"type": ["string", "null"], "description": "Shopify's `data_request.id`."},
        "status": {"enum": ["ready", "erased"]},
        "record_count": {"type": "integer"},
        "created_at": _TIME,
        "expires_at": _TIME,
        "download_url": {"type": "string", "description": "The export as a JSON file (same auth)."},
    },
    "required": ["id", "shopify_request_id", "status", "record_count", "created_at",
                 "expires_at", "download_url"],
}
DETAIL_SCHEMA = {
    "type": "object",
    "properties": {
        **SUMMARY_SCHEMA["properties"],
        "export": {
            "type": ["object", "null"],
            "description": "Every record held about the customer: `records` maps each table to its rows, "
                           "every column, values decrypted.",
            "properties": {"format": {"type": "string"}, "shop": {"type": "string"},
                           "data_request_id": {"type": ["string", "null"]},
                           "generated_at": _TIME, "customer": {"type": "object"},
                           "records": {"type": "object", "additionalProperties": {
                               "type": "array", "items": {"type": "object"}}}},
            "required": ["format", "shop", "generated_at", "customer", "records"],
        },
    },
    "required": [*SUMMARY_SCHEMA["required"], "export"],
}
LIST_SCHEMA = list_schema(SUMMARY_SCHEMA)
_DOWNLOAD = [{"name": "download", "in": "query", "schema": {"enum": ["1"]},
              "description": "`1`: answer as a file attachment."}]


@bp.get("/data-requests")
@operation("/data-requests", "get", summary="Customers' data requests, newest first", response=LIST_SCHEMA,
           parameters=PARAMETERS, errors=INVALID)
@session_token_required
def list_data_requests():
    return offset_page(
        select(DataRequest).where(DataRequest.shop_id == g.shop.id, DataRequest.expires_at > utcnow())
        .order_by(DataRequest.id.desc()), _summary, request.args)


@bp.get(f"/data-requests/<{ROW_ID}:request_id>")
@operation("/data-requests/{id}", "get", summary="One data request with its export", response=DETAIL_SCHEMA,
           parameters=_DOWNLOAD, errors={"404": "No such data request for this shop (or it expired)."})
@session_token_required
def show_data_request(request_id: int):
    row = db.session.execute(
        select(DataRequest).where(DataRequest.id == request_id, DataRequest.shop_id == g.shop.id,
                                  DataRequest.expires_at > utcnow())
    ).scalar_one_or_none()
    if row is None:
        return jsonify({"error": "not_found"}), 404
    body = {**_summary(row), "export": json.loads(row.export) if row.export else None}
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = f'attachment; filename="data-request-{row.id}.json"'
    return response


def _summary(row: DataRequest) -> dict:
    return {"id": row.id, "shopify_request_id": row.shopify_request_id,
            "status": row.status, "record_count": row.record_count, "created_at": row.created_at.isoformat(),
            "expires_at": row.expires_at.isoformat(),
            "download_url": f"/api/data-requests/{row.id}?download=1"}


# -- restriction of processing ----------------------------------------------------------------------

MAX_RESTRICTION_BYTES = 4096
MAX_EMAIL_CHARS = 320
RESTRICTION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "by_customer_id": {"type": "boolean",
                           "description": "Named by Shopify's customer id (only its keyed hash is kept)."},
        "by_email": {"type": "boolean", "description": "Named by e-mail (only its keyed hash is kept)."},
        "by_phone": {"type": "boolean", "description": "Named by phone (only its keyed hash is kept)."},
        "created_at": _TIME,
        "lifted_at": {"type": ["string", "null"], "format": "date-time"},
    },
    "required": ["id", "by_customer_id", "by_email", "by_phone", "created_at", "lifted_at"],
}
RESTRICTIONS_SCHEMA = list_schema(RESTRICTION_SCHEMA)
RESTRICT_REQUEST = {
    "type": "object",
    "description": "At least one of the three, as Shopify names the customer.",
    "properties": {"customer_id": {"type": "integer", "minimum": 1},
                   "email": {"type": "string", "maxLength": MAX_EMAIL_CHARS},
                   "phone": {"type": "string", "maxLength": 32},
                   "country": {"type": "string", "description": "ISO country a national phone is read in."}},
    "additionalProperties": False,
}


@bp.get("/restrictions")
@operation("/restrictions", "get", summary="Customers whose processing is restricted, newest first",
           response=RESTRICTIONS_SCHEMA, parameters=PARAMETERS, errors=INVALID)
@session_token_required
def list_restrictions():
    return offset_page(select(Restriction).where(Restriction.shop_id == g.shop.id)
                       .order_by(Restriction.id.desc()), _restriction, request.args)


@bp.post("/restrictions")
@operation("/restrictions", "post", summary="Restrict processing for a customer: no contact, no processing, "
           "data kept until lifted or erased", response=RESTRICTION_SCHEMA, request=RESTRICT_REQUEST,
           errors={"413": "The body is too large.", "422": "The customer is not named validly (`errors`)."},
           status="201")
@session_token_required
def create_restriction():
    if (request.content_length or 0) > MAX_RESTRICTION_BYTES:
        return jsonify({"error": "too_large"}), 413
    named, errors = _customer_named(request.get_json(silent=True))
    if errors:
        return jsonify({"error": "invalid_restriction", "errors": errors}), 422
    row, subject = restriction.restrict(g.shop.id, g.shop.domain, **named)
    dropped = scheduler.cancel_checkouts(subject.checkout_ids, restriction.RESTRICTED)
    db.session.commit()
    scheduler.drop_jobs(dropped)
    return jsonify(_restriction(row)), 201


@bp.delete(f"/restrictions/<{ROW_ID}:restriction_id>")
@operation("/restrictions/{id}", "delete", summary="Lift a restriction: processing resumes",
           response=RESTRICTION_SCHEMA, errors={"404": "No such restriction for this shop."})
@session_token_required
def lift_restriction(restriction_id: int):
    row = db.session.execute(select(Restriction).where(
        Restriction.id == restriction_id, Restriction.shop_id == g.shop.id)).scalar_one_or_none()
    if row is None:
        return jsonify({"error": "not_found"}), 404
    restriction.lift(row)
    db.session.commit()
    return jsonify(_restriction(row))


def _customer_named(body) -> tuple[dict, dict[str, str]]:
    """The customer id, e-mail and E.164 phone a restriction names, or the errors by field."""
    if not isinstance(body, dict):
        return {}, {"body": "must be a JSON object"}
    errors = {key: "unknown field" for key in body if key not in RESTRICT_REQUEST["properties"]}
    customer_id, email, phone = body.get("customer_id"), body.get("email"), body.get("phone")
    if customer_id is not None and (isinstance(customer_id, bool) or not isinstance(customer_id, int)
                                    or not 0 < customer_id < 2**63):
        errors["customer_id"] = "must be Shopify's customer id (a positive whole number)"
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > MAX_EMAIL_CHARS):
        errors["email"] = "must be an e-mail address"
    e164 = None
    if phone is not None:
        parsed = normalise(phone, body.get("country")) if isinstance(phone, str) else None
        if parsed is None or not parsed.is_valid:
            errors["phone"] = "must be a phone number (E.164, or national with `country`)"
        else:
            e164 = parsed.e164
    if not errors and customer_id is None and email is None and phone is None:
        errors["customer_id"] = "name the customer by customer_id, email or phone"
    return {"customer_id": customer_id, "email": email, "phone": e164}, errors


def _restriction(row: Restriction) -> dict:
    return {"id": row.id, "by_customer_id": row.customer_hash is not None,
            "by_email": row.email_hash is not None, "by_phone": row.phone_hash is not None,
            "created_at": row.created_at.isoformat(),
            "lifted_at": row.lifted_at.isoformat() if row.lifted_at else None}
