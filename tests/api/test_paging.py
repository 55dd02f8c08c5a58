"""app/api/paging.py: cursors, where a keyset-paged list starts, and its answer's schema (no database)."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import column, select, table

from app.api.paging import (
    MAX_PAGE,
    MAX_ROW_ID,
    Position,
    decode_cursor,
    encode_cursor,
    keyset,
    keyset_list_schema,
    next_cursor,
    position,
)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("row_id", [1, 42, 1_000_000, MAX_ROW_ID])
def test_a_cursor_carries_its_row_id_back(row_id):
    cursor = encode_cursor(row_id)
    assert decode_cursor(cursor) == row_id and not cursor.isdigit() and "=" not in cursor


@pytest.mark.parametrize("raw", [
    "", "x", "1", _b64("after:0"), _b64("after:-3"), _b64("after:007"), _b64(f"after:{MAX_ROW_ID + 1}"),
    _b64("before:5"), _b64("after:5") + "==", _b64("after:5 "), "\ufffd", "A" * 65,
])
def test_anything_but_a_cursor_encode_cursor_made_is_none(raw):
    assert decode_cursor(raw) is None


@pytest.mark.parametrize("args", [{}, {"page": "1"}, {"page": " 1 "}])
def test_no_page_or_page_1_is_the_first_page(args):
    errors: dict[str, str] = {}
    assert position(args, errors) == Position() and not errors


def test_a_page_number_is_an_older_clients_page_and_a_cursor_is_below_its_row():
    errors: dict[str, str] = {}
    assert position({"page": "7"}, errors) == Position(page=7, after_id=None, number=7)
    cursor = encode_cursor(123)
    assert position({"page": cursor}, errors) == Position(page=cursor, after_id=123, number=1)
    assert not errors


@pytest.mark.parametrize("raw", ["0", "x", "", "-2", str(MAX_PAGE + 1), "9" * 30, _b64("after:0")])
def test_a_page_that_is_neither_is_named_in_the_errors(raw):
    errors: dict[str, str] = {}
    assert position({"page": raw}, errors) == Position() and set(errors) == {"page"}


def test_keyset_cuts_below_the_cursor_or_past_the_page_numbers_rows():
    rows = table("rows", column("id"))
    ids = select(rows.c.id)
    below = str(keyset(ids, rows.c.id, Position(page="c", after_id=9), 5).compile(
        compile_kwargs={"literal_binds": True}))
    assert "rows.id < 9" in below and "ORDER BY rows.id DESC" in below and "LIMIT 6" in below
    assert "OFFSET" not in below
    third = str(keyset(ids, rows.c.id, Position(page=3, number=3), 5).compile(
        compile_kwargs={"literal_binds": True}))
    assert "OFFSET 10" in third and "LIMIT 6" in third and "<" not in third


def test_the_next_cursor_is_the_last_row_shown_when_another_follows():
    assert next_cursor([9, 8, 7], 2, lambda row: row) == encode_cursor(8)
    assert next_cursor([9, 8], 2, lambda row: row) is None


def test_a_keyset_list_answer_says_next_page_is_a_cursor():
    schema = keyset_list_schema({"type": "object"})
    assert schema["required"] == ["items", "page", "per_page", "next_page"]
    assert schema["properties"]["next_page"]["type"] == ["string", "null"]
    assert schema["properties"]["page"]["type"] == ["integer", "string"]
