"""The app refuses to run with a lookup key other than the one its stored hashes were made with.

Rows are found by keyed hashes of phones and e-mails (`app.crypto.lookup_hash`): the do-not-contact
list, the consent ledger, "the same shopper". Hashes made under one key never match under another,
so a changed key would switch the do-not-contact list off without a single error. The first start
records a fingerprint of the key (an HMAC that does not reveal it); every later start compares.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import String, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.config import ConfigError
from app.crypto import keyring
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db

LOOKUP_KEY = "lookup"
CHANGED = ("RINGBACK_LOOKUP_KEY is not the key this database's phone and e-mail hashes were made "
           "with: opt-outs would stop matching. Restore the previous key (README: Rotating keys).")


class KeyFingerprint(db.Model):
    """A fingerprint of a key the stored data depends on, recorded on first start."""

    __tablename__ = "key_fingerprints"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def lookup_key_matches() -> bool:
    """Whether the lookup key is the recorded one; the first call on a new database records it."""
    if not inspect(db.session.connection()).has_table(KeyFingerprint.__tablename__):
        return True  # migrations have not run yet: nothing was hashed
    stored = db.session.get(KeyFingerprint, LOOKUP_KEY)
    if stored is None:
        try:
            db.session.add(KeyFingerprint(name=LOOKUP_KEY, fingerprint=keyring().lookup_fingerprint()))
            db.session.commit()
            return True
        except IntegrityError:  # another process recorded it first: compare with theirs
            db.session.rollback()
            stored = db.session.execute(
                select(KeyFingerprint).where(KeyFingerprint.name == LOOKUP_KEY)).scalar_one()
    matches = hmac.compare_digest(stored.fingerprint, keyring().lookup_fingerprint())
    db.session.rollback()
    return matches


def require_lookup_key() -> None:
    """Raise ConfigError (one line, exit 1 under `flask`) unless the lookup key is the recorded one."""
    if not lookup_key_matches():
        raise ConfigError(CHANGED)
