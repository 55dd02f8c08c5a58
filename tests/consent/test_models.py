"""The ledger's tables: personal columns flagged, and the migration matching the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.consent.models import ConsentEvent, Suppression
from app.dbtypes import PII
from app.extensions import db

CONSENT_TABLES = ("consent_events", "suppressions")


@pytest.mark.parametrize(("model", "columns"), [
    (ConsentEvent, {"phone_e164", "phone_hash", "email_hash"}),
    (Suppression, {"phone_e164", "phone_hash"}),
])
def test_every_personal_column_is_flagged_pii(model, columns):
    flagged = {c.name for c in model.__table__.columns if c.info.get("pii")}
    assert flagged == columns
    assert all(model.__table__.columns[name].info == PII for name in columns)


@pytest.mark.data
def test_migration_creates_the_consent_tables_as_the_models_describe(app):
    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    ours = [diff for diff in diffs if any(table in repr(diff) for table in CONSENT_TABLES)]
    assert ours == []
