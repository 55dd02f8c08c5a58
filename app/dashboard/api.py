"""The dashboard's data (contract "Records for the merchant"): GET /api/checkouts, /api/checkouts/<token>,
/api/overview and /api/revenue, all scoped to the session token's shop.

Money is a decimal string; times are ISO-8601 UTC; the date ranges of the overview and the revenue
series are calendar days in the shop's time zone.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, jsonify, request
from sqlalchemy import (
    ARRAY,
    DateTime,
    String,
    and_,
    case,
    collate,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
)

from app import money
from app.api import bp
from app.api.openapi import operation
from app.api.paging import (
    DEFAULT_PER_PAGE,
    INVALID,
    MAX_PER_PAGE,
    QueryError,
    decode_cursor,
    encode_cursor,
    invalid,
    positive_int,
)
from app.consent.queries import consent_for_checkouts
from app.dashboard import funnel
from app.extensions import db
from app.recovery import clock
from app.recovery import lift as lift_stats
from app.recovery.models import CONTACTED, AttemptStatus, Checkout, ContactAttempt, Recovery
from app.recovery.policy import (
    NOT_A_CONTACT_OUTCOMES,
    Channel,
)
from app.shopify.session import session_token_required
from app.shops import settings as schema
from app.shops.models import Shop
from app.sms.models import Message
from app.voice.models import Call

MAX_TOKEN_CHARS = 255

# -- what became of a checkout: the status vocabulary ------------------------------------------------


class Status(StrEnum):
    """A checkout's status: the first of these that holds names it (see `_STATUS_RULES`)."""

    RECOVERED = "recovered"          # an order attributed to outreach (a recovery outside the holdout)
    COMPLETED = "completed"          # ordered, not attributed to outreach (holdout conversions included)
    ERASED = "erased"                # the customer's personal data was erased (customers/redact)
    SCHEDULED = "scheduled"          # a contact is planned (`next_contact_at`); never for a holdout checkout
    CONTACTED = "contacted"          # called or texted at least once, nothing planned now
    NOT_CONTACTED = "not_contacted"  # never contacted and nothing planned; `reason` says why


STATUS_DESCRIPTION = (
    "`recovered`: an order attributed to outreach; `completed`: ordered, not attributed to outreach "
    "(a holdout conversion included); `erased`: the customer's data was erased; `scheduled`: a contact "
    "is planned; `contacted`: called or texted, nothing planned now; `not_contacted`: never contacted "
    "and nothing planned (`reason` says why). The first that holds names the checkout.")

# A contact that reached the shopper's phone (a failed hand-off or an undelivered text is not one).
_CONTACT = funnel.CONTACT
_NOT_HOLDOUT = or_(Checkout.holdout.is_(None), Checkout.holdout.is_(False))


def _has_attempt(*conditions):
    return select(ContactAttempt.id).where(ContactAttempt.checkout_id == Checkout.id, *conditions).exists()


def _has_recovery(holdout: bool):
    return select(Recovery.id).where(Recovery.checkout_id == Checkout.id,
                                     Recovery.holdout.is_(holdout)).exists()


# Each status with the condition (on a checkout row) that names it, most decisive first.
_STATUS_RULES = (
    (Status.RECOVERED, _has_recovery(False)),
    (Status.COMPLETED, or_(Checkout.completed_at.is_not(None), _has_recovery(True))),
    (Status.ERASED, Checkout.erased_at.is_not(None)),
    # A holdout checkout has a planned attempt too, but it is withheld when due: no contact is coming.
    (Status.SCHEDULED, and_(_NOT_HOLDOUT, _has_attempt(ContactAttempt.status == AttemptStatus.SCHEDULED))),
    (Status.CONTACTED, _has_attempt(_CONTACT)),
)
STATUS = case(*[(condition, status.value) for status, condition in _STATUS_RULES],
              else_=Status.NOT_CONTACTED.value)


_STATUS_VALUES = frozenset(s.value for s in Status)
_CHANNEL_VALUES = frozenset(c.value for c in Channel)


def status_is(status: Status):
    """The condition on a checkout row that its status is `status` (what `STATUS` computes, sargable)."""
    conditions = []
    for rule, condition in _STATUS_RULES:
        if rule is status:
            return and_(*conditions, condition)
        conditions.append(not_(condition))
    return and_(*conditions)


# Attempts that say why a checkout was not contacted: their `reason` (or, for a contact that reached no
# one, its `outcome`) is the checkout's `reason`.
_EXPLAINING = frozenset({AttemptStatus.SKIPPED, AttemptStatus.WITHHELD, AttemptStatus.CANCELED,
                         AttemptStatus.AWAITING_CHANNEL})
HOLDOUT_REASON = "holdout"
NO_CONSENT_REASON = "no_consent"

# -- who was reached ---------------------------------------------------------------------------------

REACHED_OUTCOMES = funnel.REACHED_OUTCOMES
REACHED_DESCRIPTION = (
    "Reached: a call that a person answered (outcome " + ", ".join(sorted(REACHED_OUTCOMES)) + "; not "
    "voicemail, no_answer, busy or failed), or a text the carrier reported delivered.")

FUNNEL = ("abandoned", "consented", "contacted", "reached", "recovered")

# -- lift --------------------------------------------------------------------------------------------

# Below 30 checkouts in a group one recovery moves its rate by more than 3 points, and the normal
# approximation behind the interval (Wilson/Newcombe) is no longer trustworthy: 30 per group is the
# usual rule of thumb for it. Below that the API gives no figure, only how far there is to go.
MIN_SAMPLE = 30
MINUS = "\u2212"
EN_DASH = "\u2013"

# -- paging ------------------------------------------------------------------------------------------

# `next_page` is a cursor of app.api.paging (`encode_cursor`): opaque to clients.

# -- token prefixes ----------------------------------------------------------------------------------

# No token holds one (PostgreSQL text cannot; Shopify's are letters, digits and dashes), and PostgreSQL
# refuses it in a parameter: a prefix with one matches nothing.
NUL = "\x00"
# Letters and digits: every collation orders them alike (digits first, then the alphabet), so that a
# token prefix made of them is a range of the (shop_id, token) index whatever the database's collation.
_RANGE_SAFE = re.compile(r"[0-9A-Za-z]*")
# Strings a linguistic collation would order otherwise than by code point (case, punctuation, digits,
# spaces, accents, beyond the BMP): how `_sorts_by_code_point` tells one from the other.
_ORDER_PROBE = sorted({*map(chr, range(0x20, 0x7F)), "a", "a b", "a-b", "a0", "aB", "ab", "Ab", "e\u0301",
                       "\u00e9", "f", "\u00df", "ss", "\u03a9", "\u00a0", "\ufffd", "\U0001f600"})
# Per database: whether it orders checkouts.token by code point (found once, see `_sorts_by_code_point`).
_CODE_POINT_ORDER: dict[str, bool] = {}

# -- dates -------------------------------------------------------------------------------------------

MAX_RANGE_DAYS = 730
DEFAULT_RANGE_DAYS = 30
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# -- OpenAPI -----------------------------------------------------------------------------------------

_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "description": "Decimal string."}
_CHANNEL = {"enum": [c.value for c in Channel]}
_RATE = {"type": ["number", "null"], "description": "A fraction (0..1); null for an empty group."}
CHECKOUT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "token": {"type": "string"},
        "status": {"enum": [s.value for s in Status], "description": STATUS_DESCRIPTION},
        "reason": {**_NULLABLE_STRING, "description": "Why a `not_contacted` checkout was not contacted "
                   "(e.g. no_consent, holdout, opted_out, suppressed, newer_checkout); null otherwise."},
        "total_price": {"type": ["string", "null"], "description": "Decimal string in `currency`: the "
                        "shop's currency when the total is known in it, else as the shopper saw it."},
        "currency": _NULLABLE_STRING,
        "consent": {"type": "array", "items": _CHANNEL,
                    "description": "Channels the consent ledger grants now (a later no or an opt-out "
                                   "takes one away)."},
        "holdout": {"type": "boolean",
                    "description": "In the holdout group: never contacted, to measure lift."},
        "next_contact_at": {**_NULLABLE_TIME,
                            "description": "When the planned contact is due; null when none."},
        "next_contact_channel": {"enum": [*_CHANNEL["enum"], None]},
        "last_outcome": {**_NULLABLE_STRING, "description": "How the latest finished contact ended."},
        "recovered": {"type": "boolean"},
        "created_at": {**_TIME, "description": "When the shopper started the checkout (Shopify's time)."},
        "updated_at": {**_TIME, "description": "When the shopper last changed it (Shopify's time)."},
        "completed_at": _NULLABLE_TIME,
    },
    "required": ["id", "token", "status", "reason", "total_price", "currency", "consent", "holdout",
                 "next_contact_at", "next_contact_channel", "last_outcome", "recovered", "created_at",
                 "updated_at", "completed_at"],
}
ATTEMPT_SCHEMA = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"}, "channel": _CHANNEL,
        "status": {"enum": [s.value for s in AttemptStatus]},
        "outcome": _NULLABLE_STRING, "reason": _NULLABLE_STRING, "scheduled_at": _TIME,
        "dispatched_at": _NULLABLE_TIME, "finished_at": _NULLABLE_TIME,
    },
    "required": ["seq", "channel", "status", "outcome", "reason", "scheduled_at", "dispatched_at",
                 "finished_at"],
}
CHECKOUT_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {
        **CHECKOUT_SCHEMA["properties"],
        "attempts": {"type": "array", "items": ATTEMPT_SCHEMA,
                     "description": "Planned and made contacts, in order."},
        "calls": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"type": "string"}, "outcome": _NULLABLE_STRING,
            "created_at": _TIME}, "required": ["id", "status", "outcome", "created_at"]},
            "description": "Its calls, oldest first (GET /api/calls/{id} has each one)."},
        "messages": {"type": "integer",
                     "description": "Texts sent and received about it (GET /api/messages)."},
    },
    "required": [*CHECKOUT_SCHEMA["required"], "attempts", "calls", "messages"],
}
LIST_SCHEMA = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": CHECKOUT_SCHEMA},
        "page": {"type": ["integer", "string"], "description": "1, or the cursor this page was asked with."},
        "per_page": {"type": "integer"},
        "next_page": {"type": ["string", "null"],
                      "description": "Cursor of the next page (pass it as `page`)."},
    },
    "required": ["items", "page", "per_page", "next_page"],
}
LIST_PARAMETERS = [
    {"name": "page", "in": "query", "schema": {"type": "string", "default": "1"},
     "description": "`1` (or absent) for the first page, else a `next_page` cursor."},
    {"name": "per_page", "in": "query", "description": f"Values above {MAX_PER_PAGE} are clamped.",
     "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE}},
    {"name": "status", "in": "query", "schema": {"enum": [s.value for s in Status]}},
    {"name": "channel", "in": "query", "schema": _CHANNEL,
     "description": "Checkouts with a contact planned or made on this channel."},
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_TOKEN_CHARS},
     "description": "Checkout token prefix."},
]
_RANGE_PARAMETERS = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": f"First day (shop's time zone); default: {DEFAULT_RANGE_DAYS - 1} days before `to`."},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": f"Last day, included (default: today). At most {MAX_RANGE_DAYS} days in all."},
]
_RANGE_INVALID = {"422": "`from` or `to` is not a date, the range is inverted, or it spans more than "
                         f"{MAX_RANGE_DAYS} days (`errors` names each)."}
_ARM = {"type": "object", "properties": {"checkouts": {"type": "integer"}, "recovered": {"type": "integer"},
                                         "rate": _RATE}, "required": ["checkouts", "recovered", "rate"]}
_POINTS = {"type": ["number", "null"], "description": "Percentage points; null without enough data."}
OVERVIEW_SCHEMA = {
    "type": "object",
    "properties": {
        "range": {"type": "object", "properties": {
            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
            "timezone": {"type": "string"}}, "required": ["from", "to", "timezone"]},
        "currency": _NULLABLE_STRING,
        "funnel": {
            "type": "object",
            "description": "The checkouts started in the range: `abandoned` all of them; `consented` those "
                           "whose shopper's last word at the checkout granted calls or texts (a later "
                           "opt-out does not take a checkout out of the funnel: a checkout's `consent` in "
                           "GET /api/checkouts is what stands now), contacted ones included; `contacted` "
                           "those called or texted (a failed hand-off or an undelivered text is no "
                           "contact); `reached` those contacted who were reached; `recovered` those with "
                           "an order attributed to outreach. " + REACHED_DESCRIPTION,
            "properties": {key: {"type": "integer"} for key in FUNNEL},
            "required": list(FUNNEL),
        },
        "recovered": {"type": "object", "description": "Orders attributed to outreach placed in the range "
                      "(by order time), and their revenue in `currency`: the sum of GET /api/revenue.",
                      "properties": {"orders": {"type": "integer"}, "revenue": _MONEY},
                      "required": ["orders", "revenue"]},
        "channels": {"type": "array", "description": "Per channel, of the funnel's checkouts: contacted, "
                     "reached and recovered on it; `rate` = recovered / contacted.",
                     "items": {"type": "object", "properties": {
                         "channel": _CHANNEL, "contacted": {"type": "integer"},
                         "reached": {"type": "integer"}, "recovered": {"type": "integer"}, "rate": _RATE},
                         "required": ["channel", "contacted", "reached", "recovered", "rate"]}},
        "lift": {
            "type": "object",
            "description": "Recovery rate of the contacted checkouts minus that of the holdout (never "
                           f"contacted), with its {lift_stats.DEFAULT_CONFIDENCE:.0%} confidence interval "
                           f"(Newcombe); figures only once each group has `min_sample` checkouts.",
            "properties": {"enough_data": {"type": "boolean"}, "min_sample": {"type": "integer"},
                           "contacted": _ARM, "holdout": _ARM, "points": _POINTS, "ci_low": _POINTS,
                           "ci_high": _POINTS, "reading": {"type": "string"}},
            "required": ["enough_data", "min_sample", "contacted", "holdout", "points", "ci_low", "ci_high",
                         "reading"],
        },
    },
    "required": ["range", "currency", "funnel", "recovered", "channels", "lift"],
}
REVENUE_SCHEMA = {
    "type": "object",
    "description": "Orders attributed to outreach (holdout conversions excluded) per day of the range, "
                   "by order time in the shop's time zone; days without any are included.",
    "properties": {
        "currency": _NULLABLE_STRING, "timezone": {"type": "string"},
        "points": {"type": "array", "items": {"type": "object", "properties": {
            "date": {"type": "string", "format": "date"}, "orders": {"type": "integer"}, "revenue": _MONEY},
            "required": ["date", "orders", "revenue"]}},
    },
    "required": ["currency", "timezone", "points"],
}


# -- routes ------------------------------------------------------------------------------------------


@bp.get("/checkouts")
@operation("/checkouts", "get", summary="Checkouts, newest first, with status, consent and next contact",
           response=LIST_SCHEMA, parameters=LIST_PARAMETERS, errors=INVALID)
@session_token_required
def list_checkouts():
    try:
        query = parse_list_query(request.args)
    except QueryError as exc:
        return invalid(exc)
    items, next_id = checkout_page(g.shop.id, query)
    return jsonify({"items": items, "page": query.page, "per_page": query.per_page,
                    "next_page": encode_cursor(next_id) if next_id is not None else None})


@bp.get(f"/checkouts/<string(maxlength={MAX_TOKEN_CHARS}):token>")
@operation("/checkouts/{token}", "get", summary="One checkout with its contacts, calls and texts",
           response=CHECKOUT_DETAIL_SCHEMA, errors={"404": "No such checkout for this shop."})
@session_token_required
def show_checkout(token: str):
    detail = checkout_detail(g.shop.id, token)
    if detail is None:
        return jsonify({"error": "not_found"}), 404
    return jsonify(detail)


@bp.get("/overview")
@operation("/overview", "get", summary="Funnel, recovered revenue, channels and lift over a date range",
           response=OVERVIEW_SCHEMA, parameters=_RANGE_PARAMETERS, errors=_RANGE_INVALID)
@session_token_required
def get_overview():
    try:
        days = parse_range(request.args, g.shop)
    except QueryError as exc:
        return invalid(exc)
    return jsonify(overview(g.shop, days))


@bp.get("/revenue")
@operation("/revenue", "get", summary="Recovered orders and revenue per day", response=REVENUE_SCHEMA,
           parameters=_RANGE_PARAMETERS, errors=_RANGE_INVALID)
@session_token_required
def get_revenue():
    try:
        days = parse_range(request.args, g.shop)
    except QueryError as exc:
        return invalid(exc)
    currency = shop_currency(g.shop)
    return jsonify({"currency": currency, "timezone": days.timezone,
                    "points": revenue_points(g.shop.id, days, currency)})


# -- GET /api/checkouts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    page: int | str = 1           # 1, or the cursor as given
    after_id: int | None = None   # the cursor's row: this page starts below it
    per_page: int = DEFAULT_PER_PAGE
    status: Status | None = None
    channel: str | None = None
    q: str | None = None


def parse_list_query(args: Mapping[str, str]) -> ListQuery:
    """Validate `?page` (a cursor), `?per_page` and the filters; raises QueryError naming each bad one."""
    errors: dict[str, str] = {}
    raw_page = args.get("page")
    after_id = None
    if raw_page is not None and raw_page.strip() != "1":
        after_id = decode_cursor(raw_page)
        if after_id is None:
            errors["page"] = "must be 1 or a next_page cursor"
    per_page = positive_int(args, "per_page", DEFAULT_PER_PAGE, None, errors)
    status = args.get("status")
    if status is not None and status not in _STATUS_VALUES:
        errors["status"] = "must be one of " + ", ".join(Status)
    channel = args.get("channel")
    if channel is not None and channel not in _CHANNEL_VALUES:
        errors["channel"] = "must be call or sms"
    q = args.get("q")
    if q is not None and len(q) > MAX_TOKEN_CHARS:
        errors["q"] = f"must be at most {MAX_TOKEN_CHARS} characters"
    if errors:
        raise QueryError(errors)
    return ListQuery(page=raw_page if after_id is not None else 1, after_id=after_id,
                     per_page=min(per_page, MAX_PER_PAGE), status=Status(status) if status else None,
                     channel=channel, q=q or None)


# Never the personal columns: nothing on the page needs them decrypted.
_CHECKOUT_COLUMNS = (Checkout.id, Checkout.token, Checkout.total_price, Checkout.shop_total_price,
                     Checkout.currency, Checkout.presentment_currency, Checkout.holdout,
                     Checkout.completed_at, Checkout.shopify_created_at, Checkout.created_at,
                     Checkout.shopify_updated_at, Checkout.updated_at, STATUS.label("status"))


def checkout_page(shop_id: int, query: ListQuery) -> tuple[list[dict], int | None]:
    """One page of the shop's checkouts, newest first, and the id the next page starts below (None:
    last page). Keyset paging on the primary key: every page costs the same, however deep."""
    ids = select(Checkout.id).where(Checkout.shop_id == shop_id)
    if query.after_id is not None:
        ids = ids.where(Checkout.id < query.after_id)
    if query.status is not None:
        ids = ids.where(status_is(query.status))
    if query.channel is not None:
        ids = ids.where(_has_attempt(ContactAttempt.channel == query.channel,
                                     ContactAttempt.status.in_((AttemptStatus.SCHEDULED, *CONTACTED))))
    if query.q:
        ids = ids.where(*token_prefix(query.q))
    # The page's ids first, then its columns and status: so the database works out the status of these
    # rows only (row by row through the indexes), never of every row the filters might pass.
    chosen = ids.order_by(Checkout.id.desc()).limit(query.per_page + 1).cte("page")
    rows = db.session.execute(select(*_CHECKOUT_COLUMNS).join(chosen, chosen.c.id == Checkout.id)
                              .order_by(Checkout.id.desc())).all()
    page = rows[:query.per_page]
    items = [item for item, _ in describe(shop_id, page)]
    return items, page[-1].id if len(rows) > query.per_page else None


def token_prefix(prefix: str) -> list:
    """Conditions for tokens starting with `prefix`, exactly (and case-sensitively on both databases),
    with a range of the (shop_id, token) index around them: the prefix's own range where tokens sort by
    code point (SQLite; PostgreSQL under the C, POSIX or C.UTF-8 collation), else the range of its
    leading letters and digits, which any collation orders alike (so a prefix that starts with anything
    else is then matched among all the shop's checkouts)."""
    if NUL in prefix:
        return [false()]
    conditions = [func.substr(Checkout.token, 1, len(prefix)) == prefix]
    by_code_point = _sorts_by_code_point()
    stem = prefix if by_code_point else _RANGE_SAFE.match(prefix).group()
    if stem:
        conditions.append(Checkout.token >= stem)
    # Below the stem with its last character that has a successor moved on: "ab9" < "aba", "abz" < "ac".
    for end in range(len(stem), 0, -1):
        following = _following(stem[end - 1], by_code_point)
        if following is not None:
            conditions.append(Checkout.token < stem[:end - 1] + following)
            break
    return conditions


def _following(char: str, by_code_point: bool) -> str | None:
    """A character that sorts after `char` and after anything starting with it, or None: by code point
    the next one; else one that does so bytewise and in linguistic collations alike (where case and
    punctuation weigh less than letters), which only digits and letters but z and Z have."""
    if by_code_point:
        following = ord(char) + 1
        if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters (PostgreSQL refuses them)
            following = 0xE000
        return chr(following) if following <= sys.maxunicode else None
    if char == "9":
        return "a"  # digits sort before letters in both
    if "0" <= char < "9" or "a" <= char < "z" or "A" <= char < "Z":
        return chr(ord(char) + 1)
    return None


def _sorts_by_code_point() -> bool:
    """Whether the database orders checkouts.token by code point: SQLite does (BINARY); PostgreSQL
    does under C, POSIX or C.UTF-8, not under a linguistic collation (en_US.UTF-8, ICU). Found once
    per database, by the order it gives `_ORDER_PROBE` under the column's collation."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return True
    key = engine.url.render_as_string()
    if key not in _CODE_POINT_ORDER:
        collation = db.session.execute(text(
            "SELECT collname FROM pg_attribute JOIN pg_collation ON pg_collation.oid = attcollation "
            "WHERE attrelid = 'checkouts'::regclass AND attname = 'token'")).scalar_one()
        probe = func.unnest(literal(_ORDER_PROBE, ARRAY(String()))).column_valued("s")
        ordered = db.session.execute(select(probe).order_by(collate(probe, collation))).scalars().all()
        _CODE_POINT_ORDER[key] = ordered == _ORDER_PROBE
    return _CODE_POINT_ORDER[key]


def describe(shop_id: int, rows: Sequence) -> list[tuple[dict, list]]:
    """Each checkout row (of `_CHECKOUT_COLUMNS`) as the API shows it, with its attempts; three more
    queries whatever the number of rows: attempts, consent statements, do-not-contact entries."""
    if not rows:
        return []
    attempts = _attempts_of([row.id for row in rows])
    consent = consent_for_checkouts(shop_id, [row.token for row in rows])
    return [(_item(row, attempts.get(row.id, []), consent.get(row.token, ())), attempts.get(row.id, []))
            for row in rows]


def _attempts_of(checkout_ids: list[int]) -> dict[int, list]:
    rows = db.session.execute(
        select(ContactAttempt.checkout_id, ContactAttempt.seq, ContactAttempt.channel, ContactAttempt.status,
               ContactAttempt.outcome, ContactAttempt.reason, ContactAttempt.scheduled_at,
               ContactAttempt.dispatched_at, ContactAttempt.finished_at)
        .where(ContactAttempt.checkout_id.in_(checkout_ids))
        .order_by(ContactAttempt.checkout_id, ContactAttempt.seq)
    ).all()
    by_checkout: dict[int, list] = defaultdict(list)
    for row in rows:
        by_checkout[row.checkout_id].append(row)
    return by_checkout


def _item(row, attempts: list, consent: tuple[str, ...]) -> dict:
    status = Status(row.status)
    holdout = bool(row.holdout)
    pending = next((a for a in attempts if a.status == AttemptStatus.SCHEDULED), None)
    if holdout:
        pending = None  # withheld when due: no contact is coming
    finished = [a for a in attempts if a.outcome is not None]
    total, currency = _total(row)
    return {
        "id": row.id,
        "token": row.token,
        "status": status.value,
        "reason": _reason(attempts, holdout, consent) if status is Status.NOT_CONTACTED else None,
        "total_price": money.to_string(total, currency) if total is not None else None,
        "currency": currency,
        "consent": list(consent),
        "holdout": holdout,
        "next_contact_at": _iso(pending.scheduled_at) if pending else None,
        "next_contact_channel": pending.channel if pending else None,
        "last_outcome": finished[-1].outcome if finished else None,
        "recovered": status is Status.RECOVERED,
        "created_at": _iso(row.shopify_created_at or row.created_at),
        "updated_at": _iso(row.shopify_updated_at or row.shopify_created_at or row.created_at),
        "completed_at": _iso(row.completed_at),
    }


def _total(row) -> tuple[Decimal | None, str | None]:
    """The total in the shop's currency when known in it, else as the shopper saw it, and its currency."""
    if row.shop_total_price is not None:
        return row.shop_total_price, row.currency
    return row.total_price, row.presentment_currency or row.currency


def _reason(attempts: list, holdout: bool, consent: tuple[str, ...]) -> str | None:
    """Why a checkout was not contacted: the latest attempt that says so, else what its state says."""
    for attempt in reversed(attempts):
        if attempt.status in _EXPLAINING and attempt.reason:
            return attempt.reason
        if attempt.outcome in NOT_A_CONTACT_OUTCOMES:
            return attempt.outcome
    if holdout:
        return HOLDOUT_REASON
    # No attempt was ever planned: the policy stopped at intake, most often for want of consent.
    return NO_CONSENT_REASON if not consent else None


def _attempt(row) -> dict:
    return {"seq": row.seq, "channel": row.channel, "status": row.status, "outcome": row.outcome,
            "reason": row.reason, "scheduled_at": _iso(row.scheduled_at),
            "dispatched_at": _iso(row.dispatched_at), "finished_at": _iso(row.finished_at)}


# -- GET /api/checkouts/<token> ----------------------------------------------------------------------


def checkout_detail(shop_id: int, token: str) -> dict | None:
    """One checkout of the shop as listed, with its attempts, calls and the count of its texts."""
    row = db.session.execute(
        select(*_CHECKOUT_COLUMNS).where(Checkout.shop_id == shop_id, Checkout.token == token)
    ).one_or_none()
    if row is None:
        return None
    [(item, attempts)] = describe(shop_id, [row])
    calls = db.session.execute(
        select(Call.id, Call.status, Call.outcome, Call.created_at)
        .where(Call.shop_id == shop_id, Call.checkout_id == row.id).order_by(Call.id)
    ).all()
    texts = db.session.execute(
        select(func.count(Message.id)).where(Message.shop_id == shop_id, Message.checkout_id == row.id)
    ).scalar_one()
    return {**item, "attempts": [_attempt(a) for a in attempts],
            "calls": [{"id": c.id, "status": c.status, "outcome": c.outcome, "created_at": _iso(c.created_at)}
                      for c in calls],
            "messages": texts}


# -- date ranges -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date   # included
    zone: tzinfo
    timezone: str

    @property
    def start(self) -> datetime:
        return _midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The instant after the range (midnight after `last`, shop time), in UTC."""
        return _midnight(self.last + timedelta(days=1), self.zone)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def parse_range(args: Mapping[str, str], shop: Shop) -> DateRange:
    """`?from` and `?to` (YYYY-MM-DD, the shop's days); by default the last 30 days, today included."""
    name, zone = shop_zone(shop)
    errors: dict[str, str] = {}
    first, last = _date(args, "from", errors), _date(args, "to", errors)
    if errors:
        raise QueryError(errors)
    if last is None:
        last = clock.now().astimezone(zone).date()
    if first is None:
        first = last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if last < first:
        errors["to"] = "must not be before from"
    elif (last - first).days + 1 > MAX_RANGE_DAYS:
        errors["to"] = f"the range spans at most {MAX_RANGE_DAYS} days"
    if errors:
        raise QueryError(errors)
    return DateRange(first, last, zone, name)


def shop_zone(shop: Shop) -> tuple[str, tzinfo]:
    """The shop's IANA time zone (UTC when unknown)."""
    try:
        if shop.iana_timezone:
            return shop.iana_timezone, ZoneInfo(shop.iana_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    return "UTC", UTC


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> date | None:
    raw = args.get(name)
    if raw is None:
        return None
    try:
        if _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    errors[name] = "must be a date, YYYY-MM-DD"
    return None


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# -- GET /api/overview -------------------------------------------------------------------------------


def overview(shop: Shop, days: DateRange) -> dict:
    """Funnel, channels and lift of the checkouts started in the range; orders recovered in it."""
    counts = funnel.counts(shop.id, days.start, days.end)
    currency = shop_currency(shop)
    points = revenue_points(shop.id, days, currency)
    holdout_on = schema.resolve(shop.settings.values if shop.settings else {})["holdout_percent"] > 0
    return {
        "range": {"from": days.first.isoformat(), "to": days.last.isoformat(), "timezone": days.timezone},
        "currency": currency,
        "funnel": {step: counts[step] for step in FUNNEL},
        "recovered": {"orders": sum(p["orders"] for p in points),
                      "revenue": money.to_string(sum((Decimal(p["revenue"]) for p in points), Decimal(0)),
                                                 currency)},
        "channels": [{"channel": channel.value, "contacted": counts[f"{channel}_contacted"],
                      "reached": counts[f"{channel}_reached"], "recovered": counts[f"{channel}_recovered"],
                      "rate": _rate(counts[f"{channel}_recovered"], counts[f"{channel}_contacted"])}
                     for channel in Channel],
        "lift": lift_reading(counts["contacted"], counts["contacted_arm_recovered"], counts["withheld"],
                             counts["holdout_arm_recovered"], holdout_on=holdout_on),
    }


def lift_reading(contacted: int, contacted_recovered: int, holdout: int, holdout_recovered: int, *,
                 holdout_on: bool = True) -> dict:
    """The lift of contacting over the holdout, and what it means in one sentence."""
    result = lift_stats.lift(contacted_recovered, contacted, holdout_recovered, holdout)
    enough = min(contacted, holdout) >= MIN_SAMPLE and result.lift is not None
    body = {
        "enough_data": enough, "min_sample": MIN_SAMPLE,
        "contacted": {"checkouts": contacted, "recovered": contacted_recovered,
                      "rate": _round(result.rate_contacted, 4)},
        "holdout": {"checkouts": holdout, "recovered": holdout_recovered,
                    "rate": _round(result.rate_holdout, 4)},
        "points": None, "ci_low": None, "ci_high": None,
    }
    if not enough:
        return {**body, "reading": _not_enough(contacted, holdout, holdout_on)}
    points, low, high = (value * 100 for value in (result.lift, result.ci_low, result.ci_high))
    return {**body, "points": round(points, 2), "ci_low": round(low, 2), "ci_high": round(high, 2),
            "reading": _reading(points, low, high)}


def _not_enough(contacted: int, holdout: int, holdout_on: bool) -> str:
    if holdout == 0 and not holdout_on:
        return ("No holdout group: with holdout_percent at 0 every checkout is contacted, so there is "
                "nothing to compare with.")
    short = {"contacted": max(0, MIN_SAMPLE - contacted), "holdout": max(0, MIN_SAMPLE - holdout)}
    needed = max(short.values())
    if all(short.values()):
        group = "each group"
    else:
        group = "the holdout group" if short["holdout"] else "the contacted group"
    noun = "checkout" if needed == 1 else "checkouts"
    return f"Not enough data yet: {needed} more {noun} in {group} before the difference means anything."


def _reading(points: float, low: float, high: float) -> str:
    interval = (f"({lift_stats.DEFAULT_CONFIDENCE * 100:.0f} % CI "
                f"{_signed(low)}{EN_DASH}{_signed(high)})")
    more = "more" if points >= 0 else "fewer"
    if low > 0 or high < 0:
        return (f"Ringback recovered {_signed(abs(points))} percentage points {more} checkouts than doing "
                f"nothing {interval}.")
    return (f"Contacted checkouts recovered {_signed(abs(points))} percentage points {more} than the "
            f"holdout, but that is no clear difference yet {interval}.")


def _signed(value: float) -> str:
    text = f"{value:.1f}"
    if text == "-0.0":
        text = "0.0"
    return text.replace("-", MINUS)


def _rate(recovered: int, total: int) -> float | None:
    return round(recovered / total, 4) if total else None


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


# -- GET /api/revenue --------------------------------------------------------------------------------


def shop_currency(shop: Shop) -> str | None:
    """The currency figures are given in: the shop's, else the one its recoveries were recorded in."""
    if shop.currency:
        return shop.currency
    return db.session.execute(
        select(Recovery.currency).where(Recovery.shop_id == shop.id, Recovery.currency.is_not(None))
        .order_by(Recovery.id.desc()).limit(1)
    ).scalar_one_or_none()


def revenue_points(shop_id: int, days: DateRange, currency: str | None) -> list[dict]:
    """Per day of the range (shop time), the orders attributed to outreach and their revenue, summed
    exactly (NUMERIC on PostgreSQL, Decimal here on SQLite, whose SUM adds floats). Amounts recorded in
    another currency (a shop that changed its currency) are not converted: left out."""
    recovered = [Recovery.shop_id == shop_id, Recovery.holdout.is_(False),
                 Recovery.ordered_at >= days.start, Recovery.ordered_at < days.end]
    if currency is not None:
        recovered.append(or_(Recovery.currency.is_(None), Recovery.currency == currency))
    daily = _daily_in_sql if db.engine.dialect.name == "postgresql" else _daily_in_python
    totals = daily(recovered, days)
    points = []
    for day in days.days():  # every day, those without an order too
        orders, revenue = totals.get(day, (0, Decimal(0)))
        points.append({"date": day.isoformat(), "orders": orders,
                       "revenue": money.to_string(revenue, currency)})
    return points


def _daily_in_sql(recovered: list, days: DateRange) -> dict[date, tuple[int, Decimal]]:
    """(orders, revenue) per day, grouped by the database: each order falls in the day whose local
    midnights (computed here, as `days.start` and `days.end` are) enclose it, so the days follow the
    same zone rules as the range, DST changes included, whatever time zone data the database has."""
    edges = [days.start, *(_midnight(day + timedelta(days=1), days.zone) for day in days.days())]
    # width_bucket(x, edges) is i when edges[i-1] <= x < edges[i] (1-based): the range's day i - 1.
    bucket = func.width_bucket(Recovery.ordered_at,
                               literal([edge.replace(tzinfo=None) for edge in edges], ARRAY(DateTime())))
    rows = db.session.execute(
        select(bucket, func.count(), func.coalesce(func.sum(Recovery.revenue), 0))
        .where(*recovered).group_by(bucket)
    ).all()
    return {days.first + timedelta(days=n - 1): (orders, Decimal(revenue)) for n, orders, revenue in rows}


def _daily_in_python(recovered: list, days: DateRange) -> dict[date, tuple[int, Decimal]]:
    """(orders, revenue) per day of the orders' local dates, bucketed and summed here."""
    totals: dict[date, tuple[int, Decimal]] = {}
    for ordered_at, amount in db.session.execute(select(Recovery.ordered_at, Recovery.revenue)
                                                 .where(*recovered)):
        day = ordered_at.astimezone(days.zone).date()
        orders, revenue = totals.get(day, (0, Decimal(0)))
        totals[day] = (orders + 1, revenue + (amount if amount is not None else 0))
    return totals


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
