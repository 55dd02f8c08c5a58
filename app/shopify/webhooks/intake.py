"""Storing verified deliveries: durably, once per webhook id, and then waking the workers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.webhooks.group_commit import BatchFailed, GroupCommit
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shopify.webhooks.processing import enqueue_delivery, enqueue_new_deliveries

EXTENSION_KEY = "ringback.webhook_intake"
# INSERT … ON CONFLICT DO NOTHING RETURNING: the databases Ringback runs on.
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class StoreUnavailable(Exception):
    """The delivery could not be stored (database down or too slow): answer 503, Shopify retries."""


def init_app(app) -> None:
    """Group commit on PostgreSQL unless WEBHOOK_GROUP_COMMIT is off; SQLite stores directly."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and app.config.get(
            "WEBHOOK_GROUP_COMMIT", True):
        app.extensions[EXTENSION_KEY] = GroupCommit(_flusher(app), name="webhook-intake")


def store(values: dict) -> int | None:
    """Store one delivery: its new id once committed (and its job queued), None for a duplicate.

    Raises StoreUnavailable when nothing is known to be committed.
    """
    batcher = current_app.extensions.get(EXTENSION_KEY)
    try:
        if batcher is not None:
            return batcher.submit(values)
        return _store_one(values)
    except (BatchFailed, SQLAlchemyError) as exc:
        db.session.rollback()
        raise StoreUnavailable(type(exc).__name__) from exc


def _flusher(app):
    def flush(batch: Sequence[dict]) -> list[int | None]:
        with app.app_context():
            ids = store_batch(batch)
            new = [delivery_id for values, delivery_id in zip(batch, ids, strict=True)
                   if delivery_id is not None and values["status"] == DeliveryStatus.RECEIVED]
            if new:
                enqueue_new_deliveries(new)  # before answering: a 200 means the job is queued too
            return ids

    return flush


def store_batch(batch: Sequence[dict]) -> list[int | None]:
    """Insert deliveries in one statement, in autocommit (its own transaction, committed when it
    returns, with no BEGIN and COMMIT round trips): for each, the new row's id, or None when its
    webhook id was stored already, by an earlier request or earlier in this batch."""
    first: dict[str, dict] = {}
    for values in batch:
        first.setdefault(values["webhook_id"], values)
    defaults = {"received_at": utcnow(), "attempts": 0}
    rows = [_row({**defaults, **values}) for values in first.values()]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        stored = dict((webhook_id, delivery_id) for delivery_id, webhook_id
                      in connection.exec_driver_sql(_BATCH_INSERT, (json.dumps(rows),)))
    return [stored.get(values["webhook_id"]) if first[values["webhook_id"]] is values else None
            for values in batch]


def _row(values: dict) -> dict:
    """The row as the table stores it: the payload encrypted, times as naive UTC in ISO text."""
    row = dict(values)
    for name, column_type in _CONVERTED:
        value = row[name]
        if value is not None:
            value = column_type.process_bind_param(value, _PG)
        row[name] = value.isoformat() if isinstance(value, datetime) else value
    return row


_PG = postgresql.dialect()
# The batch travels as one JSON array of rows, read with the table's own row type: one parameter,
# whatever the batch's size, and a statement psycopg prepares once per connection.
_BATCH_INSERT = """
    INSERT INTO webhook_deliveries (webhook_id, event_id, topic, shop_domain, api_version,
                                    triggered_at, received_at, payload, payload_bytes, status, attempts)
    SELECT webhook_id, event_id, topic, shop_domain, api_version,
           triggered_at, received_at, payload, payload_bytes, status, attempts
    FROM json_populate_recordset(NULL::webhook_deliveries, %s::json)
    ON CONFLICT (webhook_id) DO NOTHING
    RETURNING id, webhook_id
"""
# The inserted columns whose type turns the Python value into what is stored (EncryptedText,
# UTCDateTime): their values are converted by that type, as SQLAlchemy would.
_CONVERTED = tuple((name, WebhookDelivery.__table__.c[name].type) for name in ("received_at", "payload"))


def _store_one(values: dict) -> int | None:
    """One delivery in one round trip, queued on its own (SQLite, or group commit turned off)."""
    dialect = db.engine.dialect.name
    insert = (_INSERTS[dialect](WebhookDelivery).values(**values)
              .on_conflict_do_nothing(index_elements=["webhook_id"]).returning(WebhookDelivery.id))
    if dialect == "postgresql":  # autocommit, as in store_batch
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            delivery_id = connection.execute(insert).scalar_one_or_none()
    else:  # SQLite: the session's own transaction (see app.transactions)
        delivery_id = db.session.execute(insert).scalar_one_or_none()
        db.session.commit()
    if delivery_id is not None and values["status"] == DeliveryStatus.RECEIVED:
        enqueue_delivery(delivery_id)
    return delivery_id
