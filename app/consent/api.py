"""GET /api/consents and /api/consents.csv (the shop's consent ledger) and GET /api/suppressions (its
do-not-contact list), for the merchant."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import phonenumbers
from flask import Response, g, jsonify, request, stream_with_context
from sqlalchemy import select

from app.api import bp
from app.api.openapi import operation
from app.api.paging import (
    DEFAULT_PER_PAGE,
    INVALID,
    MAX_PAGE,
    MAX_PER_PAGE,
    PARAMETERS,
    QueryError,
    invalid,
    page_and_size,
    positive_int,
)
from app.consent.models import ConsentEvent, Suppression, SuppressionChannel, SuppressionReason
from app.consent.phones import PhoneStatus, normalise, region_code
from app.consent.queries import ledger_page, ledger_query
from app.consent.suppression import applies_to
from app.extensions import db
from app.shopify.session import session_token_required

MAX_TOKEN_CHARS = 255
CSV_BATCH = 500
# Spreadsheets run cells starting with these as formulas (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("id", "recorded_at", "consented_at", "consented_at_source", "source", "channels",
               "granted", "malformed_reason", "wording", "phone", "phone_status", "phone_reason",
               "checkout_token", "checkout_id", "order_id", "topic")

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "checkout_token": _NULLABLE_STRING,
        "checkout_id": {"type": ["integer", "null"]},
        "order_id": {"type": ["integer", "null"]},
        "topic": {"type": "string"},
        "source": {"enum": ["checkout_extension", "cart_block", "shopify_sms_marketing"]},
        "channels": {"type": "array", "items": {"enum": ["call", "sms"]}},
        "granted": {"type": "boolean"},
        "malformed_reason": _NULLABLE_STRING,
        "wording": _NULLABLE_STRING,
        "consented_at": {"type": "string", "format": "date-time"},
        "consented_at_source": {"enum": ["attribute", "checkout", "received"]},
        "phone": _NULLABLE_STRING,
        "phone_status": {"enum": ["valid", "invalid", "missing"]},
        "phone_reason": _NULLABLE_STRING,
        "recorded_at": _NULLABLE_TIME,
    },
    "required": list(CSV_COLUMNS),
}
LIST_SCHEMA = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": ITEM_SCHEMA},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "next_page": {"type": ["integer", "null"]},
    },
    "required": ["items", "page", "per_page", "next_page"],
}
_FILTERS = [
    {"name": "phone", "in": "query", "schema": {"type": "string"},
     "description": "Any format; national numbers need `country`. Matched by normalised number."},
    {"name": "country", "in": "query", "schema": {"type": "string"},
     "description": "ISO 3166 alpha-2 country a national `phone` is read in."},
    {"name": "checkout", "in": "query", "schema": {"type": "string"}, "description": "Checkout token."},
]
_PAGING = PARAMETERS
_INVALID = INVALID

# A masked number shows its country calling code and these last digits, nothing else.
VISIBLE_DIGITS = 4
MASK = "\u2022"  # •
HIDDEN_RUN = 7
_NON_DIGITS = re.compile(r"[^0-9]")
SCOPES = ("shop", "sender")
SUPPRESSION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "phone": {"type": ["string", "null"],
                  "description": "Masked: the country calling code and the last four digits, e.g. "
                                 "`+1••••••4567`; null once only a hash of the number is kept."},
        "reason": {"type": "string", "examples": [r.value for r in SuppressionReason]},
        "source": {"type": "string"},
        "channel": {"enum": [c.value for c in SuppressionChannel]},
        "scope": {"enum": list(SCOPES),
                  "description": "`shop`: this shop's own entry; `sender`: an SMS opt-out at the sender "
                                 "every shop texts from, binding this shop too."},
        "created_at": {"type": "string", "format": "date-time"},
    },
    "required": ["id", "phone", "reason", "source", "channel", "scope", "created_at"],
}
SUPPRESSIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": SUPPRESSION_SCHEMA},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "next_page": {"type": ["integer", "null"]},
    },
    "required": ["items", "page", "per_page", "next_page"],
}


@dataclass(frozen=True)
class LedgerQuery:
    phone_e164: str | None = None
    checkout_token: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@bp.get("/consents")
@operation("/consents", "get", summary="The consent ledger, newest first", response=LIST_SCHEMA,
           parameters=_FILTERS + _PAGING, errors=_INVALID)
@session_token_required
def list_consents():
    try:
        query = parse_query(request.args)
    except QueryError as exc:
        return invalid(exc)
    rows, next_page = ledger_page(g.shop.id, phone_e164=query.phone_e164,
                                  checkout_token=query.checkout_token, page=query.page,
                                  per_page=query.per_page)
    return jsonify({"items": [serialise(event) for event in rows], "page": query.page,
                    "per_page": query.per_page, "next_page": next_page})


@bp.get("/consents.csv")
@operation("/consents.csv", "get", summary="The consent ledger as a CSV download",
           response={"type": "string", "description": "CSV, one row per statement"},
           parameters=_FILTERS, errors=_INVALID, media_type="text/csv",
           headers={"Content-Disposition": {"schema": {"type": "string"}}})
@session_token_required
def export_consents():
    try:
        query = parse_query(request.args, paged=False)
    except QueryError as exc:
        return invalid(exc)
    statement = ledger_query(g.shop.id, phone_e164=query.phone_e164,
                             checkout_token=query.checkout_token)
    filename = f"ringback-consents-{g.shop.handle}.csv"
    return Response(stream_with_context(csv_lines(statement)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/suppressions")
@operation("/suppressions", "get", summary="The do-not-contact list that binds this shop, newest first",
           response=SUPPRESSIONS_SCHEMA, parameters=_PAGING, errors=_INVALID)
@session_token_required
def list_suppressions():
    errors: dict[str, str] = {}
    page, per_page = page_and_size(request.args, errors)
    if errors:
        return invalid(QueryError(errors))
    rows = suppressions_page(g.shop.id, page=page, per_page=per_page)
    return jsonify({"items": [serialise_suppression(row) for row in rows[:per_page]], "page": page,
                    "per_page": per_page, "next_page": page + 1 if len(rows) > per_page else None})


def suppressions_page(shop_id: int, *, page: int, per_page: int) -> list[Suppression]:
    """The shop's own entries and the sender-wide ones, newest first: one page, plus the first row
    of the next when there is one (so the caller knows)."""
    query = (select(Suppression).where(applies_to(shop_id))
             .order_by(Suppression.created_at.desc(), Suppression.id.desc())
             .limit(per_page + 1).offset((page - 1) * per_page))
    return list(db.session.execute(query).scalars())


def serialise_suppression(row: Suppression) -> dict:
    """One entry as the merchant sees it: the number masked, never its hash."""
    return {
        "id": row.id,
        "phone": masked_phone(row.phone_e164),
        "reason": row.reason,
        "source": row.source,
        "channel": row.channel,
        "scope": "sender" if row.shop_id is None else "shop",
        "created_at": row.created_at.isoformat(),
    }


def masked_phone(phone: str | None) -> str | None:
    """`+<country code>`, a fixed run of bullets, the last four digits (the contract's
    `+1•••••••4567`); None without a number. The run never varies, so it tells nothing about the
    number's length. A stored value that is not E.164 (kept as typed) shows no country code."""
    if not phone or not phone.strip():
        return None
    digits = _NON_DIGITS.sub("", phone)
    if not digits:
        return None
    prefix = ""
    if phone.strip().startswith("+"):
        try:
            code = str(phonenumbers.parse(phone.strip(), None).country_code)
        except phonenumbers.NumberParseException:
            code = ""
        if code and digits.startswith(code):
            prefix, digits = "+" + code, digits[len(code):]
    # Too short to hide anything behind four digits: show none of them.
    shown = digits[-VISIBLE_DIGITS:] if len(digits) > VISIBLE_DIGITS else ""
    return prefix + MASK * HIDDEN_RUN + shown


def parse_query(args: Mapping[str, str], *, paged: bool = True) -> LedgerQuery:
    """Validate the filters (and paging); raises QueryError naming every bad parameter."""
    errors: dict[str, str] = {}
    phone = _phone(args, errors)
    checkout = args.get("checkout")
    if checkout is not None and not (checkout.strip() and len(checkout) <= MAX_TOKEN_CHARS):
        errors["checkout"] = "must be a checkout token"
    page = positive_int(args, "page", 1, MAX_PAGE, errors) if paged else 1
    per_page = positive_int(args, "per_page", DEFAULT_PER_PAGE, None, errors) if paged else 0
    if errors:
        raise QueryError(errors)
    return LedgerQuery(phone, checkout.strip() if checkout else None, page,
                       min(per_page, MAX_PER_PAGE))


def serialise(event: ConsentEvent) -> dict:
    """One ledger row as the API shows it (the phone is the merchant's own customer data)."""
    return {
        "id": event.id,
        "checkout_token": event.checkout_token,
        "checkout_id": event.checkout_id,
        "order_id": event.order_id,
        "topic": event.topic,
        "source": event.source,
        "channels": event.channel_list,
        "granted": event.granted,
        "malformed_reason": event.malformed_reason,
        "wording": event.wording,
        "consented_at": event.consented_at.isoformat(),
        "consented_at_source": event.consented_at_source,
        "phone": event.phone_e164,
        "phone_status": event.phone_status,
        "phone_reason": event.phone_reason,
        "recorded_at": event.recorded_at.isoformat() if event.recorded_at else None,
    }


def csv_lines(statement) -> Iterator[str]:
    """The ledger as CSV text, a header then one line per row, read in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for event in db.session.execute(statement.execution_options(yield_per=CSV_BATCH)).scalars():
        writer.writerow(csv_cells(serialise(event)))
        yield _drain(buffer)


def csv_cells(item: Mapping[str, object]) -> list[str]:
    """A serialised row as CSV cells, safe to open in a spreadsheet."""
    cells = {**item, "channels": ",".join(item["channels"]),
             "granted": "yes" if item["granted"] else "no"}
    return [safe_cell(cells[column]) for column in CSV_COLUMNS]


def safe_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _phone(args: Mapping[str, str], errors: dict[str, str]) -> str | None:
    raw, country = args.get("phone"), args.get("country")
    if country is not None and region_code(country) is None:
        errors["country"] = "must be an ISO 3166 alpha-2 country code"
    if raw is None:
        return None
    result = normalise(raw, country)
    if result.status is PhoneStatus.MISSING:
        errors["phone"] = "must be a phone number"
        return None
    if not result.is_valid:
        errors["phone"] = f"{result.reason}; use the international format (+…) or pass country"
        return None
    return result.e164

