"""The registry of personal data is complete: a personal-looking column cannot be added unregistered."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.privacy.registry import HOLDINGS, NOT_PERSONAL, Erase, personal_columns

# Names that suggest personal data: a column called so must be registered or explained.
LOOKS_PERSONAL = re.compile(
    r"email|phone|name|address|body|text|transcript|recording|url|payload|wording|code|note|token|state"
    r"|line_items|export|sid|ip_|agent|locale|province|country|customer|birth|gender", re.I)


def _columns():
    return [(table.name, column) for table in db.metadata.sorted_tables for column in table.columns]


@pytest.mark.promise("access-and-portability")
@pytest.mark.promise("erasure")
def test_every_column_marked_pii_is_registered():
    registered = personal_columns()
    marked = {f"{table}.{column.name}" for table, column in _columns() if column.info.get("pii")}
    assert marked - registered == set(), "marked info=PII but missing from app/privacy/registry.py"


@pytest.mark.promise("access-and-portability")
@pytest.mark.promise("erasure")
def test_every_personal_looking_column_is_registered_or_explained():
    registered = personal_columns()
    looks = {f"{table}.{column.name}" for table, column in _columns() if LOOKS_PERSONAL.search(column.name)}
    unexplained = looks - registered - set(NOT_PERSONAL)
    assert unexplained == set(), ("register these in app/privacy/registry.py HOLDINGS, or say in "
                                  "NOT_PERSONAL why they are not personal")


@pytest.mark.promise("access-and-portability")
@pytest.mark.promise("erasure")
def test_every_registered_column_exists_and_is_marked_pii():
    columns = {f"{table}.{column.name}": column for table, column in _columns()}
    for name in personal_columns():
        assert name in columns, f"{name} is registered but no such column exists"
        assert columns[name].info.get("pii"), f"{name} is registered but not marked info=PII"


@pytest.mark.promise("access-and-portability")
@pytest.mark.promise("erasure")
def test_nothing_is_both_personal_and_explained_away():
    assert personal_columns() & set(NOT_PERSONAL) == set()


KEPT = [h for h in HOLDINGS if h.erase is not Erase.DELETE]


@pytest.mark.promise("erasure")
@pytest.mark.parametrize("holding", KEPT, ids=lambda h: h.table)
def test_a_scrubbed_table_can_hold_its_cleared_values(holding):
    """A row that stays (scrubbed, or hash only) must accept its personal columns cleared."""
    table = db.metadata.tables[holding.table]
    hashes = tuple(c for c in holding.personal if c.endswith("_hash"))
    keep = hashes if holding.erase is Erase.HASH_ONLY else ()
    for column, value in holding.cleared_values(keep).items():
        assert value is not None or table.columns[column].nullable, f"{holding.table}.{column} is NOT NULL"
