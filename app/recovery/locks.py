"""One decision at a time per phone number, across every worker.

The state caps (3 contacts per 24 h in FL, OK and MD) count what one shop sends to one number. Two
workers deciding at once about two checkouts with that number would each count the other's contact
as not yet made and both go ahead; so the contact job takes this lock before it reads what was sent,
and holds it until it has committed its own dispatch.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from app.extensions import db
from app.transactions import begin_writing

_LOCK_LABEL = b"ringback-contact-lock\x00"


def lock_number(shop_id: int, phone_hash: str) -> None:
    """Block until no other transaction decides about this shop's contacts to this number.

    Released when the current transaction ends. It must be the transaction's first statement, so
    that everything read afterwards is read under it.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key(shop_id, phone_hash)})
    else:
        # SQLite has one writer at a time: starting as the writer makes every decision wait for the
        # one in progress, whatever the number.
        begin_writing()


def _key(shop_id: int, phone_hash: str) -> int:
    """A signed 64-bit advisory lock key for (shop, number); collisions only serialise more."""
    digest = hashlib.sha256(_LOCK_LABEL + f"{shop_id}:{phone_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
