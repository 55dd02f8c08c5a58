"""Restriction of processing (GDPR art. 18): the merchant marks a customer, and from then on the app
neither contacts them nor processes their checkouts and orders; what is held stays as it is until the
restriction is lifted or the customer is erased.

A restriction names the customer as Shopify does (customer id, e-mail, phone) and keeps only the id
and keyed hashes. It is checked where processing starts: webhook intake, the recovery policy (so a
contact already planned is never made) and the SMS conversation.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from app.consent.phones import lookup_key
from app.crypto import customer_hash, lookup_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.privacy.models import Restriction
from app.privacy.subject import Subject, resolve

RESTRICTED = "restricted"


def restrict(shop_id: int, shop_domain: str, *, customer_id: int | None, email: str | None,
             phone: str | None) -> tuple[Restriction, Subject]:
    """Record the restriction; flushes, never commits. Returns the row and the customer's rows found
    now (whose pending contacts the caller cancels: the recovery engine imports this module)."""
    email = email.strip().lower() if email else None
    row = Restriction(shop_id=shop_id, customer_hash=customer_hash(customer_id),
                      email_hash=lookup_hash(email) if email else None,
                      phone_hash=lookup_hash(lookup_key(phone)) if phone else None)
    subject = resolve(shop_id, shop_domain, {"id": customer_id, "email": email, "phone": phone})
    # Named one way, found every way: the customer's other identifiers restrict too.
    row.customer_hash = row.customer_hash or min(subject.customer_hashes, default=None)
    row.email_hash = row.email_hash or min(subject.email_hashes, default=None)
    row.phone_hash = row.phone_hash or min(subject.phone_hashes, default=None)
    db.session.add(row)
    db.session.flush()
    return row, subject


def lift(row: Restriction) -> None:
    if row.lifted_at is None:
        row.lifted_at = utcnow()


def is_restricted(shop_id: int, *, customer_hash: str | None = None, email_hash: str | None = None,
                  phone_hash: str | None = None) -> bool:
    """Whether any of these identifiers belongs to a customer whose processing is restricted."""
    keys = [Restriction.customer_hash == customer_hash if customer_hash else None,
            Restriction.email_hash == email_hash if email_hash else None,
            Restriction.phone_hash == phone_hash if phone_hash else None]
    keys = [k for k in keys if k is not None]
    if not keys:
        return False
    return db.session.execute(
        select(Restriction.id).where(Restriction.shop_id == shop_id, Restriction.lifted_at.is_(None),
                                     or_(*keys)).limit(1)
    ).first() is not None


def is_restricted_contact(shop_id: int, *, customer_id: int | None, email: str | None,
                          phone: str | None) -> bool:
    """`is_restricted` from plain values (as a webhook payload carries them)."""
    return is_restricted(shop_id, customer_hash=customer_hash(customer_id),
                         email_hash=lookup_hash(email.strip().lower()) if email else None,
                         phone_hash=lookup_hash(lookup_key(phone)) if phone else None)
