"""Texts sent to and received from shoppers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import EncryptedText
from app.dbtypes import PII, UTCDateTime, utcnow
from app.extensions import db


class MessageStatus(StrEnum):
    """Ours before Twilio has the message, then Twilio's MessageStatus values."""

    PENDING = "pending"        # written, not yet handed to Twilio
    REQUESTING = "requesting"  # a request was sent; it may or may not have been accepted
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"      # inbound


class Message(db.Model):
    """One text; the row is written before the send, so a retried job never sends twice."""

    __tablename__ = "messages"
    # "Reached" by text = delivered: the overview looks these up per attempt.
    __table_args__ = (Index("ix_messages_delivered", "shop_id", "attempt_id",
                            postgresql_where=text("status = 'delivered'"),
                            sqlite_where=text("status = 'delivered'")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"),
                                                    index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id", ondelete="SET NULL"),
                                                    index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    direction: Mapped[str] = mapped_column(String(8), default="outbound")  # outbound | inbound
    # What the text is for: recovery, link, discount (promised on a call), reply, keyword.
    kind: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(EncryptedText, info=PII)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True, info=PII)
    body: Mapped[str] = mapped_column(EncryptedText, info=PII)
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING)
    error_code: Mapped[str | None] = mapped_column(String(16))
    send_tries: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Not to be sent before this (policy clock): an answer held for the shopper's contact window.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The agent's state after an SMS reply it wrote, handed back with the shopper's next text.
    agent_state: Mapped[dict | None] = mapped_column(JSON, info=PII)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
