"""Storing verified deliveries: durably, once per webhook id, and then waking the workers."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import psycopg
import psycopg.errors
from flask import current_app, has_app_context
from psycopg import pq
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from app import crypto
from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.webhooks.group_commit import BatchFailed, GroupCommit
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shopify.webhooks.processing import enqueue_delivery, enqueue_new_deliveries

EXTENSION_KEY = "ringback.webhook_intake"
# New ids are pushed to the workers' inbox at most this often (under load one push serves many
# batches: a Redis round trip costs the flusher more than storing a delivery does) ...
ANNOUNCE_EVERY_SECONDS = 0.02
# ... and this long after the last batch at the latest.
ANNOUNCE_QUIET_SECONDS = 0.002
# The flusher gives its connection back after this long without a delivery, so an idle process (or
# one of the many apps a test run builds) holds none.
RELEASE_SECONDS = 1.0
# INSERT … ON CONFLICT DO NOTHING RETURNING: the databases Ringback runs on.
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class StoreUnavailable(Exception):
    """The delivery could not be stored (database down or too slow): answer 503, Shopify retries."""


def init_app(app) -> None:
    """Group commit on PostgreSQL unless WEBHOOK_GROUP_COMMIT is off; SQLite stores directly."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and app.config.get(
            "WEBHOOK_GROUP_COMMIT", True):
        app.extensions[EXTENSION_KEY] = BatchedIntake(app)


def close(app) -> None:
    """Tell the workers of what this process stored and give back its connection (worker exit)."""
    batcher = getattr(app, "extensions", {}).get(EXTENSION_KEY)  # any WSGI app gunicorn was given
    if batcher is not None:
        batcher.close()


def store(app, values: dict) -> int | None:
    """Store one delivery: its new id once committed, None for a duplicate.

    Raises StoreUnavailable when nothing is known to be committed.
    """
    batcher = app.extensions.get(EXTENSION_KEY)
    if batcher is not None:
        try:
            return batcher.submit(values)
        except BatchFailed as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
    # The app's context if one is active (as Flask's request context would reuse it), else a new one.
    active = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if active else app.app_context():
        try:
            return _store_one(values)
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise StoreUnavailable(type(exc).__name__) from exc


class BatchedIntake:
    """The deliveries of concurrent requests, stored by one statement per batch (group commit).

    Each request encrypts and serialises its own row (Row.of) before it waits; the flusher thread
    only joins the rows and sends them, over a connection it keeps while deliveries arrive (no pool
    checkout and no ping per batch, the insert prepared once) and gives back after a second without
    any. The new ids reach the workers' inbox in one Redis round trip per ANNOUNCE_EVERY_SECONDS at
    most: a batch stored after such a pause announces itself (and whatever waited) before it is
    answered; one stored sooner leaves its ids to the next batch past that time or, if none follows,
    to ANNOUNCE_QUIET_SECONDS later.
    """

    def __init__(self, app):
        self._app = app
        self._keyring = app.extensions[crypto.EXTENSION_KEY]
        self._connection = None  # the pool's connection, used by the flusher thread only
        self._unannounced: list[int] = []
        self._announced_at = 0.0
        self._group = GroupCommit(self._flush, name="webhook-intake", when_quiet=(
            (ANNOUNCE_QUIET_SECONDS, self.announce), (RELEASE_SECONDS, self._release)))

    def submit(self, values: dict) -> int | None:
        return self._group.submit(Row.of(values, self._keyring))

    def waiting(self) -> int:
        return self._group.waiting()

    def close(self) -> None:
        self._group.close()

    def unannounced(self) -> int:
        """How many stored deliveries the workers have not been told of yet."""
        return len(self._unannounced)

    def announce(self) -> None:
        """Tell the workers of every delivery stored so far (Redis down: they stay received, and the
        sweeper queues them once it is back)."""
        ids, self._unannounced = self._unannounced, []
        self._announced_at = time.monotonic()
        if ids:
            with self._app.app_context():
                enqueue_new_deliveries(ids)

    def _flush(self, batch: Sequence[Row]) -> list[int | None]:
        try:
            ids = self._store(batch)
        except Exception:
            self._release(broken=True)
            raise
        self._unannounced += [delivery_id for row, delivery_id in zip(batch, ids, strict=True)
                              if delivery_id is not None and row.queued]
        if time.monotonic() - self._announced_at >= ANNOUNCE_EVERY_SECONDS:
            self.announce()
        return ids

    def _store(self, batch: Sequence[Row]) -> list[int | None]:
        if self._connection is None:
            return store_batch(batch, self._connect())
        try:
            return store_batch(batch, self._connection)
        except psycopg.OperationalError:
            # The connection held since an earlier batch died (a database restart, a failover):
            # once more on a new one. Safe whatever the first attempt did, as a webhook id is
            # inserted once: a row it did commit comes back as a duplicate, answered 200 all the
            # same (and left to the sweeper to queue).
            self._release(broken=True)
            return store_batch(batch, self._connect())

    def _connect(self):
        with self._app.app_context():
            connection = db.engine.raw_connection()  # pinged by the pool, once
        connection.driver_connection.autocommit = True
        self._connection = connection
        try:
            _prepare(connection.driver_connection.pgconn)
        except Exception:
            self._release(broken=True)
            raise
        return connection

    def _release(self, broken: bool = False) -> None:
        """Give the connection back to the pool, or drop it when it failed."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if broken:
            connection.invalidate()  # closed, never handed to anyone again
            return
        connection.driver_connection.autocommit = False  # as the pool's other users expect it
        connection.close()


@dataclass(frozen=True, slots=True)
class Row:
    """A delivery ready for the batch insert: its row as JSON, payload encrypted."""

    webhook_id: str
    queued: bool  # a worker is to process it once stored (not for ignored topics)
    json: str

    @classmethod
    def of(cls, values: dict, keyring: crypto.Keyring) -> Row:
        payload = values["payload"]
        row = {**values, "payload": payload and keyring.encrypt(payload, compress=_PAYLOAD.compress)}
        return cls(values["webhook_id"], values["status"] == DeliveryStatus.RECEIVED,
                   json.dumps(row, separators=(",", ":")))


def store_batch(batch: Sequence[Row], connection) -> list[int | None]:
    """Insert deliveries with one statement over `connection` (a pool connection in autocommit, on
    which _prepare ran: the statement is its own transaction, committed when it returns, with no
    BEGIN and COMMIT round trips): for each, the new row's id, or None when its webhook id was
    stored already, by an earlier request or earlier in this batch.

    Sent through libpq directly (psycopg's `pgconn`): one call that lets go of the interpreter for
    the whole round trip and takes it back once. psycopg's cursor, in Python, takes it back several
    times a statement, and under load the flusher, which every waiting request depends on, queued
    behind the request threads each time (bench/README.md: a batch took 2.8 ms for 0.5 ms of work).
    The rows are ASCII (json.dumps escapes the rest); the webhook ids come back in the connection's
    encoding."""
    first: dict[str, Row] = {}
    for row in batch:
        first.setdefault(row.webhook_id, row)
    rows = ("[" + ",".join(row.json for row in first.values()) + "]").encode()
    received_at = _RECEIVED_AT.process_bind_param(utcnow(), _PG).isoformat().encode()
    pgconn = connection.driver_connection.pgconn
    result = pgconn.exec_prepared(_STATEMENT, [rows, received_at])
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise _failure(pgconn, result)
    encoding = connection.driver_connection.info.encoding
    stored = {result.get_value(i, 1).decode(encoding): int(result.get_value(i, 0))
              for i in range(result.ntuples)}
    return [stored.get(row.webhook_id) if first[row.webhook_id] is row else None for row in batch]


def _prepare(pgconn) -> None:
    """Prepare the batch insert on this connection, unless an earlier checkout of it did."""
    result = pgconn.prepare(_STATEMENT, _BATCH_INSERT.encode())
    if (result.status != pq.ExecStatus.COMMAND_OK
            and result.error_field(pq.DiagnosticField.SQLSTATE) != _DUPLICATE_PREPARED_STATEMENT):
        raise _failure(pgconn, result)


def _failure(pgconn, result) -> psycopg.Error:
    if pgconn.status == pq.ConnStatus.BAD:  # the connection is gone: replaced and retried
        return psycopg.OperationalError(pq.error_message(result))
    return psycopg.errors.error_from_result(result)


_PG = postgresql.dialect()
_RECEIVED_AT = WebhookDelivery.__table__.c.received_at.type  # UTCDateTime: stored as naive UTC
_PAYLOAD = WebhookDelivery.__table__.c.payload.type  # CompressedEncryptedText
_STATEMENT = b"ringback_webhook_intake"
_DUPLICATE_PREPARED_STATEMENT = b"42P05"
# The batch travels as one JSON array of rows, read with the table's own row type, and the time it
# was received as the second parameter: two parameters whatever the batch's size, and a statement
# prepared once per connection. The payload is encrypted as its column type would (a test reads it
# back through the model).
_BATCH_INSERT = """
    INSERT INTO webhook_deliveries (webhook_id, event_id, topic, shop_domain, api_version,
                                    triggered_at, received_at, payload, payload_bytes, status, attempts)
    SELECT webhook_id, event_id, topic, shop_domain, api_version,
           triggered_at, $2::timestamp, payload, payload_bytes, status, 0
    FROM json_populate_recordset(NULL::webhook_deliveries, $1::json)
    ON CONFLICT (webhook_id) DO NOTHING
    RETURNING id, webhook_id
"""


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
