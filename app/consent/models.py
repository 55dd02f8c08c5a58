"""The consent ledger (append-only) and the do-not-contact list."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import EncryptedText
from app.dbtypes import PII, UTCDateTime, utcnow
from app.extensions import db

# Hex SHA-256 of `app.crypto.lookup_hash`.
HASH_LENGTH = 64


class ConsentSource(StrEnum):
    CHECKOUT_EXTENSION = "checkout_extension"    # the checkout UI extension (Shopify Plus)
    CART_BLOCK = "cart_block"                    # the theme app extension on the cart page
    SHOPIFY_SMS_MARKETING = "shopify_sms_marketing"  # Shopify's native checkbox: SMS only


class Channels(StrEnum):
    """What one statement covers, stored as a comma-separated string."""

    CALL_AND_SMS = "call,sms"
    SMS = "sms"


class ConsentedAtSource(StrEnum):
    ATTRIBUTE = "attribute"          # `ringback_consent_at`, the time of the tick
    CHECKOUT = "checkout"            # the checkout's `updated_at` (native SMS consent has no tick time)
    RECEIVED = "received"            # missing or unusable: when the webhook was triggered or received


class SuppressionChannel(StrEnum):
    ALL = "all"
    CALL = "call"
    SMS = "sms"


class SuppressionReason(StrEnum):
    STOP_KEYWORD = "stop_keyword"
    VERBAL_OPT_OUT = "verbal_opt_out"
    MERCHANT = "merchant"
    REVOKED_CONSENT = "revoked_consent"
    CARRIER_UNSUBSCRIBED = "carrier_unsubscribed"


class ConsentEvent(db.Model):
    """One consent statement as received. Never edited: a later "no" is a new row that wins."""

    __tablename__ = "consent_events"
    __table_args__ = (
        # The same delivery processed twice (replay, retry) cannot record the same statement twice.
        UniqueConstraint("webhook_delivery_id", "source", "channels",
                         name="uq_consent_events_delivery_statement"),
        Index("ix_consent_events_shop_checkout", "shop_id", "checkout_token"),
        Index("ix_consent_events_shop_phone", "shop_id", "phone_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    checkout_token: Mapped[str | None] = mapped_column(String(255))
    checkout_id: Mapped[int | None] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    channels: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    # Why a statement could not count as consent (bad value, no wording, ...); None when well-formed.
    malformed_reason: Mapped[str | None] = mapped_column(String(255))
    wording: Mapped[str | None] = mapped_column(Text)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consented_at_source: Mapped[str] = mapped_column(String(16))
    phone_e164: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    # Keyed hashes are pseudonymous, still personal data.
    phone_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), info=PII)
    phone_status: Mapped[str] = mapped_column(String(16))
    phone_reason: Mapped[str | None] = mapped_column(String(255))
    email_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), index=True, info=PII)
    webhook_delivery_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def channel_list(self) -> list[str]:
        return self.channels.split(",")

    def __repr__(self) -> str:
        return f"<ConsentEvent {self.id} {self.source} {self.channels} granted={self.granted}>"


class Suppression(db.Model):
    """A number that must not be contacted on a channel (or on any, `all`), whatever consent says.

    A row without a shop is sender-wide: an SMS opt-out (STOP, or Twilio's 21610) blocks the number
    at the sender every shop texts from, so it applies to every shop (contract "Calls and texts").
    """

    __tablename__ = "suppressions"
    __table_args__ = (
        UniqueConstraint("shop_id", "phone_hash", "channel", name="uq_suppressions_shop_phone_channel"),
        # NULLs are distinct in a unique constraint: the sender-wide rows get a partial index of their own.
        Index("uq_suppressions_sender_phone_channel", "phone_hash", "channel", unique=True,
              postgresql_where=text("shop_id IS NULL"), sqlite_where=text("shop_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    phone_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True, info=PII)
    # None once the shopper's data is erased: the keyed hash alone keeps the opt-out honoured.
    phone_e164: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    channel: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Suppression {self.id} {self.channel} {self.reason}>"
