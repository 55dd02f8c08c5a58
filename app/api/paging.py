"""Query parameters every list endpoint shares: `?page` and `?per_page`, and their 422."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import jsonify

from app.extensions import db

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200  # larger requests are clamped to this, not refused
MAX_PAGE = 100_000
_DIGITS = re.compile(r"[0-9]+")
# Longer digit strings are not parsed: they are simply "too large".
MAX_DIGITS = 18
PARAMETERS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "description": f"Values above {MAX_PER_PAGE} are clamped.",
     "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE}},
]
INVALID = {"422": "A query parameter is invalid (`errors` names each)."}

# -- keyset paging: `next_page` is this prefix and the last row's id, base64url without padding, opaque
# to clients.
CURSOR_PREFIX = "after:"
MAX_CURSOR_CHARS = 64
MAX_ROW_ID = 2**31 - 1
_CURSOR_ID = re.compile(r"[1-9][0-9]{0,9}")


class QueryError(ValueError):
    """Invalid query parameters, by name."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid query")
        self.errors = errors


def page_and_size(args: Mapping[str, str], errors: dict[str, str]) -> tuple[int, int]:
    """`?page` (1..MAX_PAGE) and `?per_page` (clamped to MAX_PER_PAGE); bad ones go to `errors`."""
    return positive_int(args, "page", 1, MAX_PAGE, errors), page_size(args, errors)


def page_size(args: Mapping[str, str], errors: dict[str, str]) -> int:
    """`?per_page`, clamped to MAX_PER_PAGE; a bad one goes to `errors`."""
    return min(positive_int(args, "per_page", DEFAULT_PER_PAGE, None, errors), MAX_PER_PAGE)


def positive_int(args: Mapping[str, str], name: str, default: int, maximum: int | None,
                 errors: dict[str, str]) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    value = _whole_number(raw.strip())
    if value < 1:
        errors[name] = "must be a whole number of 1 or more"
        return default
    if maximum is not None and value > maximum:
        errors[name] = f"must be at most {maximum}"
        return default
    return value


def invalid(exc: QueryError):
    return jsonify({"error": "invalid_query", "errors": exc.errors}), 422


def _whole_number(text: str) -> int:
    """ASCII digits as an int (0 when not digits; past MAX_DIGITS, simply very large)."""
    if not _DIGITS.fullmatch(text):
        return 0
    return int(text) if len(text) <= MAX_DIGITS else 10**MAX_DIGITS


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{row_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> int | None:
    """The row id a cursor made by `encode_cursor` carries; None for anything else."""
    if not raw or len(raw) > MAX_CURSOR_CHARS:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    digits = text.removeprefix(CURSOR_PREFIX)
    if not text.startswith(CURSOR_PREFIX) or not _CURSOR_ID.fullmatch(digits):
        return None
    row_id = int(digits)
    # Only the one spelling `encode_cursor` makes: no second cursor for the same page.
    return row_id if row_id <= MAX_ROW_ID and encode_cursor(row_id) == raw else None


@dataclass(frozen=True)
class Position:
    """Where a keyset-paged list starts: below the cursor's row, or (an older client's page number)
    past that many pages of rows."""

    page: int | str = 1          # what the answer's `page` says: 1, the page number, or the cursor given
    after_id: int | None = None
    number: int = 1


KEYSET_PARAMETERS = [
    {"name": "page", "in": "query", "schema": {"type": "string", "default": "1"},
     "description": "`1` (or absent) for the first page, else a `next_page` cursor. A page number "
                    f"(2..{MAX_PAGE}, as older clients send) still gives that page, counted from the "
                    "newest."},
    PARAMETERS[1],
]


def position(args: Mapping[str, str], errors: dict[str, str]) -> Position:
    """`?page`: absent or 1, a cursor made by `encode_cursor`, or a page number; a bad one goes to
    `errors`. A cursor never looks like a number (it is base64 of "after:…")."""
    raw = args.get("page")
    if raw is None or raw.strip() == "1":
        return Position()
    if _DIGITS.fullmatch(raw.strip()):
        number = positive_int(args, "page", 1, MAX_PAGE, errors)
        return Position(page=number, number=number)
    after_id = decode_cursor(raw)
    if after_id is None:
        errors["page"] = "must be 1, a page number or a next_page cursor"
        return Position()
    return Position(page=raw, after_id=after_id)


def keyset(ids, id_column, at: Position, per_page: int):
    """`ids` (a select of `id_column`, newest first) cut to the page `at` names, with one row more
    than the page to learn whether another follows. Below a cursor every page costs the same however
    deep; a page number (older clients) is an offset, dearer the deeper it is."""
    if at.after_id is not None:
        ids = ids.where(id_column < at.after_id)
    elif at.number > 1:
        ids = ids.offset((at.number - 1) * per_page)
    return ids.order_by(id_column.desc()).limit(per_page + 1)


def next_cursor(rows: list, per_page: int, row_id: Callable) -> str | None:
    """The cursor of the page after `rows` (one more than `per_page` when another follows), else None."""
    return encode_cursor(row_id(rows[per_page - 1])) if len(rows) > per_page else None


def keyset_list_schema(item: dict) -> dict:
    """The contract's list answer around `item`, keyset-paged: `next_page` is a cursor."""
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": item},
        "page": {"type": ["integer", "string"],
                 "description": "1, the page number or the cursor this page was asked with."},
        "per_page": {"type": "integer"},
        "next_page": {"type": ["string", "null"],
                      "description": "Cursor of the next page (pass it as `page`)."}},
        "required": ["items", "page", "per_page", "next_page"]}


def list_schema(item: dict) -> dict:
    """The contract's list answer around `item`: {"items", "page", "per_page", "next_page"}."""
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": item}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "next_page": {"type": ["integer", "null"]}},
        "required": ["items", "page", "per_page", "next_page"]}


def offset_page(query, serialise: Callable, args: Mapping[str, str]):
    """A list endpoint's answer for `query` (a select of rows, ordered, newest first): `?page` and
    `?per_page` (422 when invalid), one row more than the page asked to learn whether another
    follows, each row through `serialise`."""
    errors: dict[str, str] = {}
    page, per_page = page_and_size(args, errors)
    if errors:
        return invalid(QueryError(errors))
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).scalars().all()
    return jsonify({"items": [serialise(row) for row in rows[:per_page]], "page": page, "per_page": per_page,
                    "next_page": page + 1 if len(rows) > per_page else None})
