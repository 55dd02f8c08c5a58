"""Migrations carry existing rows across: 0008 encrypts the carts already stored, and undoes it."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.crypto import keyring
from app.extensions import db
from tests.conftest import _config, empty_database

pytestmark = pytest.mark.data
LINES = [{"title": "Hat", "quantity": 2, "price": "60.00"}]


@pytest.fixture
def fresh_database(tmp_path):
    with empty_database(tmp_path, "ringback_migrations") as url:
        yield url


def _a_call_with_a_turn(conn) -> None:
    now = "CURRENT_TIMESTAMP"
    conn.execute(sa.text(
        "INSERT INTO contact_attempts (checkout_id, shop_id, seq, channel, scheduled_at, status, created_at,"
        f" updated_at) VALUES (1, 1, 1, 'call', {now}, 'completed', {now}, {now})"))
    conn.execute(sa.text(
        "INSERT INTO calls (shop_id, checkout_id, attempt_id, status, phone, phone_hash, language,"
        " dial_tries, agent_state, reported, created_at, updated_at)"
        f" VALUES (1, 1, 1, 'completed', 'x', 'h', 'en', 1, '{{}}', false, {now}, {now})"))
    conn.execute(sa.text(
        f"INSERT INTO call_turns (call_id, seq, role, text, at) VALUES (1, 1, 'agent', 'x', {now})"))


def _count(table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.promise("encryption-at-rest")
def test_0008_encrypts_the_carts_already_stored_and_downgrade_restores_them(fresh_database, tmp_path):
    app = create_app(_config(fresh_database, tmp_path / "instance", "ringback-migrations"))
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO shops (domain, scopes, created_at, updated_at) "
                                 "VALUES ('m.myshopify.com', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO checkouts (shop_id, token, line_items, created_at, updated_at) "
                "VALUES (1, 'tok', :lines, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"lines": json.dumps(LINES)})
            _a_call_with_a_turn(conn)
        upgrade()
        assert _count("call_turns") == 1, "a table rebuilt (SQLite batch) must not cascade to its children"
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT line_items FROM checkouts")).scalar_one()
        assert "Hat" not in stored and json.loads(keyring().decrypt(stored)) == LINES
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            restored = conn.execute(sa.text("SELECT line_items FROM checkouts")).scalar_one()
        assert (json.loads(restored) if isinstance(restored, str) else restored) == LINES
        db.engine.dispose()


def test_the_models_are_what_the_migrations_build(app):
    """A model changed without its migration (or the reverse) shows up as an autogenerate diff."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diffs == []
