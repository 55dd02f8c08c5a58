"""Checkouts, orders, planned contacts, link clicks and attributed recoveries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedJSON, EncryptedText
from app.dbtypes import PII, UTCDateTime, utcnow
from app.extensions import db
from app.money import Amount

# Exact, with the third decimal of KWD, BHD, JOD… (ISO 4217 minor units; see app.money).
MONEY = Amount()


class Checkout(db.Model):
    """An abandoned (or since completed) checkout, as its latest webhook described it."""

    __tablename__ = "checkouts"
    __table_args__ = (
        UniqueConstraint("shop_id", "token"),
        # The admin's date ranges: checkouts started in them (app/dashboard, bench/dashboard.py).
        Index("ix_checkouts_shop_started", "shop_id", "shopify_created_at"),
        # The admin's "erased" filter: few rows among many.
        Index("ix_checkouts_shop_erased", "shop_id", "id", postgresql_where=text("erased_at IS NOT NULL"),
              sqlite_where=text("erased_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(255))
    cart_token: Mapped[str | None] = mapped_column(String(255), index=True)
    shopify_id: Mapped[int | None] = mapped_column(BigInteger)
    # Shopify's customer id as a keyed hash (`app.crypto.customer_hash`): how compliance requests find it.
    customer_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    # Contact data: encrypted at rest; the keyed hashes find "the same customer" without it.
    email: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    phone: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    first_name: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    last_name: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    # The abandoned_checkout_url opens the shopper's cart with their details: personal data too.
    recovery_url: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    # What this shopper put in their cart: personal too, tied to them (encrypted like the rest).
    line_items: Mapped[list] = mapped_column(EncryptedJSON, default=list, info=PII)
    currency: Mapped[str | None] = mapped_column(String(3))
    presentment_currency: Mapped[str | None] = mapped_column(String(3))
    # As the shopper saw them: Shopify's checkout amounts are in `presentment_currency`.
    subtotal_price: Mapped[Decimal | None] = mapped_column(MONEY)
    total_price: Mapped[Decimal | None] = mapped_column(MONEY)
    # The total in `currency` (the shop's), which `min_cart_value` is meant in; None when the webhook
    # gave it only in another currency (see app.money.cart_value_in_shop_currency).
    shop_total_price: Mapped[Decimal | None] = mapped_column(MONEY)
    customer_locale: Mapped[str | None] = mapped_column(String(32))
    country_code: Mapped[str | None] = mapped_column(String(2))
    province_code: Mapped[str | None] = mapped_column(String(16))
    shopify_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shopify_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Decided once, when the checkout is first eligible; None until then.
    holdout: Mapped[bool | None] = mapped_column(Boolean)
    # A time the shopper asked to be called back (set by the voice conversation).
    requested_callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by `customers/redact`: the personal columns are cleared and later webhooks cannot refill them.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attempts: Mapped[list[ContactAttempt]] = relationship(
        back_populates="checkout", order_by="ContactAttempt.seq", cascade="all, delete-orphan"
    )

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def __repr__(self) -> str:
        return f"<Checkout {self.id} shop={self.shop_id}>"


class Order(db.Model):
    """An order as `orders/create` described it, kept so that it can complete a checkout that
    arrives later, and so that a recovery can be attributed to it."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    shopify_id: Mapped[int] = mapped_column(BigInteger)
    checkout_token: Mapped[str | None] = mapped_column(String(255), index=True)
    cart_token: Mapped[str | None] = mapped_column(String(255), index=True)
    customer_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    # In `currency`, the shop's (an order's shop money), so revenue adds up in one currency per shop.
    total_price: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The checkout this order completed and how it was found (see MatchKind).
    checkout_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkouts.id", ondelete="SET NULL"), index=True
    )
    match_kind: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchKind(StrEnum):
    CHECKOUT_TOKEN = "checkout_token"
    CART_TOKEN = "cart_token"
    CUSTOMER = "customer"  # same email or phone within 48 h: "bought elsewhere"


class AttemptStatus(StrEnum):
    SCHEDULED = "scheduled"                # planned; a job is (or the sweeper will be) queued
    DISPATCHED = "dispatched"              # handed to a channel sender: the shopper was contacted
    AWAITING_CHANNEL = "awaiting_channel"  # allowed, but no sender exists for the channel: NOT a contact
    WITHHELD = "withheld"                  # a holdout checkout reached its contact time: not contacted
    SKIPPED = "skipped"                    # the policy said no when the job ran (see reason)
    CANCELED = "canceled"                  # order, opt-out or uninstall before it ran
    COMPLETED = "completed"                # the channel reported how it ended (see outcome)


# Attempts that reached the shopper, for caps, spacing and attribution.
CONTACTED = (AttemptStatus.DISPATCHED, AttemptStatus.COMPLETED)


class ContactAttempt(db.Model):
    """One planned contact. The row is the source of truth; the RQ job only delivers it."""

    __tablename__ = "contact_attempts"
    # The unique (checkout, seq) pair is what makes a duplicate plan impossible.
    __table_args__ = (
        UniqueConstraint("checkout_id", "seq"),
        # At most one pending attempt per checkout, whatever races the application code loses.
        Index("uq_contact_attempts_one_pending", "checkout_id", unique=True,
              postgresql_where=text("status = 'scheduled'"), sqlite_where=text("status = 'scheduled'")),
        Index("ix_contact_attempts_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(8))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.SCHEDULED)
    outcome: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    # The number the policy approved at dispatch: the sender dials exactly this one.
    phone: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    checkout: Mapped[Checkout] = relationship(back_populates="attempts")

    @property
    def job_id(self) -> str:
        return job_id(self.checkout_id, self.seq)

    def __repr__(self) -> str:
        return f"<ContactAttempt {self.checkout_id}/{self.seq} {self.channel} {self.status}>"


def job_id(checkout_id: int, seq: int) -> str:
    """The deterministic RQ job id of an attempt: one job per (checkout, attempt)."""
    return f"contact-{checkout_id}-{seq}"


class RecoveryClick(db.Model):
    """A click on a tracked recovery link."""

    __tablename__ = "recovery_clicks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id", ondelete="SET NULL"),
                                                    index=True)
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recovery(db.Model):
    """An order attributed to outreach (or, for holdout checkouts, to nothing: `holdout`)."""

    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id", ondelete="SET NULL"),
                                                    index=True)
    # call, sms or link (a click without a contact first); None for holdout conversions.
    channel: Mapped[str | None] = mapped_column(String(8))
    match_kind: Mapped[str] = mapped_column(String(16))
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
