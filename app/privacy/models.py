"""What the compliance work keeps: data-request exports, the Twilio erasure outbox, key-rotation progress."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import EncryptedText
from app.dbtypes import PII, UTCDateTime, utcnow
from app.extensions import db


class DataRequestStatus(StrEnum):
    READY = "ready"        # compiled; the export can be downloaded until it expires
    ERASED = "erased"      # the customer was erased since: the export went with the rest


class DataRequest(db.Model):
    """A `customers/data_request` compiled for the store owner: everything held about one customer."""

    __tablename__ = "data_requests"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    # Shopify's `data_request.id`: one export per request, however often the webhook is delivered.
    shopify_request_id: Mapped[str | None] = mapped_column(String(64))
    customer_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    # Found again by the same keys as the rest of the customer's data (so erasure takes the export too).
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    # The export, as JSON text: encrypted at rest, dropped when it expires.
    export: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=DataRequestStatus.READY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<DataRequest {self.id} {self.status}>"


class DeletionStatus(StrEnum):
    PENDING = "pending"    # not yet confirmed by Twilio; retried with backoff
    DONE = "done"          # Twilio answered 204 (deleted) or 404 (already gone)
    STUCK = "stuck"        # still retried, but it has failed often enough that an operator should look


class TwilioDeletion(db.Model):
    """One resource to delete at Twilio (a recording, a message log, a call log), until Twilio confirms.

    Holds only Twilio's ids: the shop may be gone (shop/redact) by the time Twilio answers."""

    __tablename__ = "twilio_deletions"
    __table_args__ = (UniqueConstraint("resource", "sid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no foreign key: outlives its shop
    resource: Mapped[str] = mapped_column(String(16))  # recording | message | call
    sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DeletionStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)  # Twilio's last HTTP status
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<TwilioDeletion {self.id} {self.resource} {self.status}>"


class RotationProgress(db.Model):
    """How far `flask rotate-keys` got through one table: the last id re-encrypted (resumable)."""

    __tablename__ = "rotation_progress"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Restriction(db.Model):
    """The merchant restricted processing for a customer (GDPR art. 18): no contact and no processing
    of their checkouts and orders, their data kept as it is until lifted or erased."""

    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    customer_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Restriction {self.id} lifted={self.lifted_at is not None}>"
