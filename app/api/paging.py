"""Query parameters every list endpoint shares: `?page` and `?per_page`, and their 422."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

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


class QueryError(ValueError):
    """Invalid query parameters, by name."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid query")
        self.errors = errors


def page_and_size(args: Mapping[str, str], errors: dict[str, str]) -> tuple[int, int]:
    """`?page` (1..MAX_PAGE) and `?per_page` (clamped to MAX_PER_PAGE); bad ones go to `errors`."""
    page = positive_int(args, "page", 1, MAX_PAGE, errors)
    per_page = positive_int(args, "per_page", DEFAULT_PER_PAGE, None, errors)
    return page, min(per_page, MAX_PER_PAGE)


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
