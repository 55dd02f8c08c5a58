"""Who a compliance request is about: everything that identifies that customer's rows in one shop.

Shopify names a customer by id, e-mail and phone, and (for erasure) the orders to redact. The rows
are found by those and by what they lead to: an order's checkout, a checkout's other phone or
e-mail, the calls and texts of those checkouts. The search runs until it finds nothing new, so a
customer who checked out with one phone and ordered with another is found whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from app.consent.phones import lookup_key
from app.crypto import customer_hash, lookup_hash
from app.extensions import db
from app.recovery.models import Checkout, Order
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.sms.models import Message
from app.voice.models import Call

# Rounds of "what do the rows found so far lead to": one more than the longest chain
# (order -> checkout -> the checkout's other phone -> that phone's checkouts).
MAX_ROUNDS = 4
# Deliveries that still hold a payload (processed and ignored ones keep none).
HOLDING_PAYLOAD = (DeliveryStatus.RECEIVED, DeliveryStatus.FAILED, DeliveryStatus.DEAD,
                   DeliveryStatus.DEFERRED)


@dataclass
class Subject:
    shop_id: int
    shop_domain: str = ""
    customer_id: int | None = None                          # as Shopify named them, if it did
    customer_hashes: set[str] = field(default_factory=set)  # `app.crypto.customer_hash` of the ids
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)          # as hashed: E.164 when the number parses
    email_hashes: set[str] = field(default_factory=set)
    phone_hashes: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    order_ids: set[int] = field(default_factory=set)       # Shopify's order ids
    order_row_ids: set[int] = field(default_factory=set)
    checkout_ids: set[int] = field(default_factory=set)
    checkout_tokens: set[str] = field(default_factory=set)
    call_ids: set[int] = field(default_factory=set)
    message_ids: set[int] = field(default_factory=set)
    delivery_ids: set[int] = field(default_factory=set)

    def add_email(self, email: str | None) -> None:
        if email:
            email = email.strip().lower()
            self.emails.add(email)
            self.email_hashes.add(lookup_hash(email))

    def add_phone(self, phone: str | None) -> None:
        if phone and phone.strip():
            key = lookup_key(phone)
            self.phones.add(key)
            self.phone_hashes.add(lookup_hash(key))

    @property
    def is_empty(self) -> bool:
        return not (self.customer_hashes or self.email_hashes or self.phone_hashes or self.order_ids)

    def secrets(self) -> set[str]:
        """The plain values that name the customer, for searching free text (payloads, job data)."""
        return {v for v in (*self.emails, *self.phones, *self.email_hashes, *self.phone_hashes) if v}


def resolve(shop_id: int, shop_domain: str, customer: Mapping[str, Any] | None,
            order_ids: Iterable[Any] = (), *, skip_delivery: int | None = None) -> Subject:
    """The customer's rows in the shop, found from what a compliance payload says about them."""
    customer = customer if isinstance(customer, Mapping) else {}
    subject = Subject(shop_id=shop_id, shop_domain=shop_domain, customer_id=_int(customer.get("id")))
    if subject.customer_id is not None:
        subject.customer_hashes.add(customer_hash(subject.customer_id))
    subject.add_email(_text(customer.get("email")))
    subject.add_phone(_text(customer.get("phone")))
    subject.order_ids.update(i for i in (_int(o) for o in order_ids or ()) if i is not None)
    if subject.is_empty:
        return subject
    for _ in range(MAX_ROUNDS):
        before = _size(subject)
        _orders(subject)
        _checkouts(subject)
        if _size(subject) == before:
            break
    _calls_and_messages(subject)
    _deliveries(subject, skip_delivery)
    return subject


def _size(s: Subject) -> tuple[int, ...]:
    return (len(s.email_hashes), len(s.phone_hashes), len(s.order_row_ids), len(s.checkout_ids),
            len(s.checkout_tokens))


def _orders(s: Subject) -> None:
    rows = db.session.execute(
        select(Order.id, Order.shopify_id, Order.checkout_id, Order.checkout_token, Order.email_hash,
               Order.phone_hash, Order.customer_hash)
        .where(Order.shop_id == s.shop_id, or_(
            Order.shopify_id.in_(s.order_ids), Order.email_hash.in_(s.email_hashes),
            Order.phone_hash.in_(s.phone_hashes),
            Order.customer_hash.in_(s.customer_hashes)))
    ).all()
    for row in rows:
        s.order_row_ids.add(row.id)
        s.order_ids.add(row.shopify_id)
        if row.checkout_id is not None:
            s.checkout_ids.add(row.checkout_id)
        if row.checkout_token:
            s.checkout_tokens.add(row.checkout_token)
        # An order keeps only hashes: they find the customer's other rows without the values.
        if row.email_hash:
            s.email_hashes.add(row.email_hash)
        if row.phone_hash:
            s.phone_hashes.add(row.phone_hash)
        if row.customer_hash:
            s.customer_hashes.add(row.customer_hash)


def _checkouts(s: Subject) -> None:
    rows = db.session.execute(
        select(Checkout).where(Checkout.shop_id == s.shop_id, or_(
            Checkout.id.in_(s.checkout_ids), Checkout.token.in_(s.checkout_tokens),
            Checkout.email_hash.in_(s.email_hashes), Checkout.phone_hash.in_(s.phone_hashes),
            Checkout.customer_hash.in_(s.customer_hashes)))
    ).scalars().all()
    for checkout in rows:
        if checkout.customer_hash:
            s.customer_hashes.add(checkout.customer_hash)
        s.checkout_ids.add(checkout.id)
        s.checkout_tokens.add(checkout.token)
        s.add_email(checkout.email)
        s.add_phone(checkout.phone)
        if checkout.email_hash:
            s.email_hashes.add(checkout.email_hash)
        if checkout.phone_hash:
            s.phone_hashes.add(checkout.phone_hash)
        s.names.update(n for n in (checkout.first_name, checkout.last_name) if n)


def _calls_and_messages(s: Subject) -> None:
    s.call_ids.update(db.session.execute(
        select(Call.id).where(Call.shop_id == s.shop_id, or_(
            Call.checkout_id.in_(s.checkout_ids), Call.phone_hash.in_(s.phone_hashes)))
    ).scalars())
    s.message_ids.update(db.session.execute(
        select(Message.id).where(Message.shop_id == s.shop_id, or_(
            Message.checkout_id.in_(s.checkout_ids), Message.call_id.in_(s.call_ids),
            Message.phone_hash.in_(s.phone_hashes)))
    ).scalars())


def _deliveries(s: Subject, skip: int | None) -> None:
    """Stored deliveries of the shop not yet processed whose payload names the customer."""
    rows = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.payload)
        .where(WebhookDelivery.shop_domain == s.shop_domain,
               WebhookDelivery.status.in_(HOLDING_PAYLOAD), WebhookDelivery.payload.is_not(None))
    ).all()
    for delivery_id, payload in rows:
        if delivery_id != skip and names_subject(payload, s):
            s.delivery_ids.add(delivery_id)


def names_subject(payload_text: str, s: Subject) -> bool:
    """Whether a stored payload is about the customer: their e-mail, phone, customer id or checkout."""
    try:
        payload = json.loads(payload_text)
    except ValueError:
        return False
    found = _Found()
    _collect(payload, found)
    return bool(found.emails & s.emails or found.phone_hashes & s.phone_hashes
                or {customer_hash(i) for i in found.customer_ids} & s.customer_hashes
                or found.tokens & s.checkout_tokens)


@dataclass
class _Found:
    emails: set[str] = field(default_factory=set)
    phone_hashes: set[str] = field(default_factory=set)
    customer_ids: set[int] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)


def _collect(value: Any, found: _Found, key: str = "", parent: str = "") -> None:
    """Every e-mail, phone, customer id and checkout token anywhere in a payload."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _collect(v, found, str(k), key)
        return
    if isinstance(value, list):
        for item in value:
            _collect(item, found, key, parent)
        return
    if key == "id" and parent == "customer" and _int(value) is not None:
        found.customer_ids.add(_int(value))
    if not isinstance(value, str):
        return
    if "@" in value:
        found.emails.add(value.strip().lower())
    # Phones sit under *phone keys, and in note attributes as {"name": "ringback_phone", "value": ...}.
    if (key.endswith("phone") or key == "value") and any(ch.isdigit() for ch in value):
        found.phone_hashes.add(lookup_hash(lookup_key(value)))
    if key in ("token", "checkout_token"):
        found.tokens.add(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
