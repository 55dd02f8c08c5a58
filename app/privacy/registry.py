"""Every table and column that holds personal data, how a customer's rows are found, how they go.

Export (`customers/data_request`), erasure (`customers/redact`, `shop/redact`), retention and key
rotation all read this one list, so a column added here is exported, erased and re-encrypted
everywhere at once; `tests/privacy/test_registry.py` fails when a model gains a column that looks
personal (by name, or marked `info=PII`) and is neither registered here nor explained in
`NOT_PERSONAL`.

How a customer is found (see `app.privacy.subject`): Shopify's customer id, the keyed hashes of
their e-mail and phone (`app.crypto.lookup_hash`), the orders Shopify names, and the checkouts those
lead to; then every row hanging off those checkouts and calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement

from app.consent.models import ConsentEvent, Suppression
from app.consent.suppression import applies_to
from app.extensions import db
from app.privacy.models import DataRequest, Restriction
from app.privacy.subject import Subject
from app.recovery.models import Checkout, ContactAttempt, Order
from app.shopify.webhooks.models import WebhookDelivery
from app.sms.models import Message
from app.voice.models import Call, CallTurn


class Erase(StrEnum):
    DELETE = "delete"        # the row goes
    SCRUB = "scrub"          # the personal columns are cleared; the row stays for the merchant's figures
    HASH_ONLY = "hash_only"  # all but the keyed hash goes: the do-not-contact list keeps honouring an opt-out


@dataclass(frozen=True)
class Holding:
    """One table's personal data: which columns, how a customer's rows are found, how they are erased."""

    model: type[db.Model]
    personal: tuple[str, ...]
    erase: Erase
    found_by: str                                   # in words, for docs/privacy.md and the reader
    find: Callable[[Subject], ColumnElement[bool]]  # the customer's rows, within their shop
    # SCRUB / HASH_ONLY: what each cleared column becomes (default None).
    cleared: dict[str, Any] = field(default_factory=dict)
    # The time a row was last used, for retention (None: the table is not aged out by itself).
    aged_by: str | None = None

    @property
    def table(self) -> str:
        return self.model.__tablename__

    def cleared_values(self, keep: tuple[str, ...] = ()) -> dict[str, Any]:
        return {column: self.cleared.get(column) for column in self.personal if column not in keep}


def _any(*clauses: ColumnElement[bool] | None) -> ColumnElement[bool]:
    present = [c for c in clauses if c is not None]
    return or_(*present) if present else false()


def _customer(column, subject: Subject):
    return column.in_(subject.customer_hashes)


HOLDINGS: tuple[Holding, ...] = (
    Holding(
        Checkout,
        ("customer_hash", "email", "phone", "first_name", "last_name", "email_hash", "phone_hash",
         "recovery_url", "line_items"),
        Erase.SCRUB,
        "customer id, e-mail or phone hash, or an order of the customer",
        lambda s: (Checkout.shop_id == s.shop_id) & Checkout.id.in_(s.checkout_ids),
        cleared={"line_items": []},
        aged_by="updated_at",
    ),
    Holding(
        Order,
        ("customer_hash", "email_hash", "phone_hash"),
        Erase.SCRUB,
        "Shopify order id, customer id, e-mail or phone hash",
        lambda s: (Order.shop_id == s.shop_id) & Order.id.in_(s.order_row_ids),
        aged_by="created_at",
    ),
    Holding(
        ContactAttempt,
        ("phone", "phone_hash"),
        Erase.SCRUB,
        "the customer's checkouts, or the phone hash",
        lambda s: (ContactAttempt.shop_id == s.shop_id) & _any(
            ContactAttempt.checkout_id.in_(s.checkout_ids), ContactAttempt.phone_hash.in_(s.phone_hashes)),
    ),
    Holding(
        Call,
        ("phone", "phone_hash", "agent_state", "discount_code", "recording_sid"),
        Erase.SCRUB,
        "the customer's checkouts, or the phone hash (recording and call log deleted at Twilio)",
        lambda s: (Call.shop_id == s.shop_id) & Call.id.in_(s.call_ids),
        cleared={"agent_state": {}},
    ),
    Holding(
        CallTurn,
        ("text",),
        Erase.DELETE,
        "the customer's calls (the transcript)",
        lambda s: CallTurn.call_id.in_(s.call_ids),
    ),
    Holding(
        Message,
        ("phone", "phone_hash", "body", "agent_state"),
        Erase.DELETE,
        "the customer's checkouts or calls, or the phone hash (message logs deleted at Twilio)",
        lambda s: (Message.shop_id == s.shop_id) & _any(
            Message.checkout_id.in_(s.checkout_ids), Message.call_id.in_(s.call_ids),
            Message.phone_hash.in_(s.phone_hashes)),
        aged_by="created_at",
    ),
    Holding(
        ConsentEvent,
        ("phone_e164", "phone_hash", "email_hash"),
        Erase.DELETE,
        "phone or e-mail hash, the customer's checkout tokens or order ids",
        lambda s: (ConsentEvent.shop_id == s.shop_id) & _any(
            ConsentEvent.phone_hash.in_(s.phone_hashes), ConsentEvent.email_hash.in_(s.email_hashes),
            ConsentEvent.checkout_token.in_(s.checkout_tokens), ConsentEvent.order_id.in_(s.order_ids)),
        aged_by="recorded_at",
    ),
    Holding(
        Suppression,
        ("phone_e164", "phone_hash"),
        Erase.HASH_ONLY,
        "the phone hash (the shop's rows and the sender-wide ones that apply to it)",
        lambda s: applies_to(s.shop_id) & Suppression.phone_hash.in_(s.phone_hashes),
    ),
    Holding(
        WebhookDelivery,
        ("payload",),
        Erase.SCRUB,
        "unprocessed deliveries of the shop whose payload names the customer (processed ones keep none)",
        lambda s: WebhookDelivery.id.in_(s.delivery_ids),
        aged_by="received_at",
    ),
    Holding(
        DataRequest,
        ("customer_hash", "email_hash", "phone_hash", "export"),
        Erase.DELETE,
        "customer id, e-mail or phone hash",
        lambda s: (DataRequest.shop_id == s.shop_id) & _any(
            _customer(DataRequest.customer_hash, s), DataRequest.email_hash.in_(s.email_hashes),
            DataRequest.phone_hash.in_(s.phone_hashes)),
        aged_by="expires_at",
    ),
    Holding(
        Restriction,
        ("customer_hash", "email_hash", "phone_hash"),
        Erase.DELETE,
        "customer id, e-mail or phone hash (erased, nothing is left to restrict)",
        lambda s: (Restriction.shop_id == s.shop_id) & _any(
            _customer(Restriction.customer_hash, s), Restriction.email_hash.in_(s.email_hashes),
            Restriction.phone_hash.in_(s.phone_hashes)),
    ),
)

# Columns whose names look personal but are not, each with the reason (the registry test reads this).
NOT_PERSONAL: dict[str, str] = {
    "shops.name": "the store's name, the merchant's business data",
    "shop_tokens.access_token": "the merchant's Admin API token (a secret, encrypted; erased by shop/redact)",
    "shop_tokens.refresh_token": "the merchant's refresh token (a secret, encrypted; erased by shop/redact)",
    "shop_tokens.refresh_token_expires_at": "a time",
    "key_fingerprints.name": "the name of a key",
    "rotation_progress.name": "the name of a table",
    "twilio_deletions.sid": "Twilio's id of a resource being deleted; names no one",
    "webhook_deliveries.payload_bytes": "a size",
    "checkouts.token": "Shopify's id of the checkout (erased at Shopify by the same request)",
    "checkouts.cart_token": "Shopify's id of the cart",
    "checkouts.customer_locale": "a language tag, kept for the figures by language",
    "checkouts.country_code": "a country, kept for the figures by country",
    "checkouts.province_code": "a state or province: the calling rules that applied, kept for the figures",
    "consent_events.checkout_token": "Shopify's id of the checkout",
    "consent_events.wording": "the store's consent wording, the same for every shopper",
    "consent_events.phone_status": "whether the number parsed",
    "consent_events.phone_reason": "why a number did not parse (never the number)",
    "orders.checkout_token": "Shopify's id of the checkout",
    "orders.cart_token": "Shopify's id of the cart",
    "calls.sid": "Twilio's id of the call (the call log itself is deleted at Twilio)",
    "calls.recording_duration_seconds": "a duration",
    "messages.sid": "Twilio's id of the message (the log itself is deleted at Twilio)",
    "messages.error_code": "Twilio's error code",
}


def holding(model: type[db.Model]) -> Holding:
    return next(h for h in HOLDINGS if h.model is model)


def personal_columns() -> set[str]:
    """Every registered personal column, as "table.column"."""
    return {f"{h.table}.{column}" for h in HOLDINGS for column in h.personal}
