"""Transactions that write: on SQLite, take the one write lock before reading anything.

SQLite (the `make run` default) has one writer at a time, and a transaction that has read cannot
write once another connection has committed since its read: SQLite fails it at once with "database
is locked" instead of waiting. A job that reads and then writes (webhook processing, a contact
decision) therefore starts as a writer, waiting its turn (the busy timeout) before its first read.
PostgreSQL needs none of this: row locks and READ COMMITTED do the job there.
"""

from __future__ import annotations

from app.extensions import db


def begin_writing() -> None:
    """Start the current transaction as a writer; call it before the transaction's first read."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    # The transaction just begun (a deferred BEGIN, see `app._configure_sqlite`) has read nothing
    # yet; it becomes an IMMEDIATE one, which waits for the write lock up front.
    connection.exec_driver_sql("COMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
