"""Calls placed to shoppers and what was said in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedText
from app.dbtypes import PII, UTCDateTime, utcnow
from app.extensions import db


class CallStatus(StrEnum):
    """Ours before Twilio knows the call, then Twilio's CallStatus values."""

    PENDING = "pending"        # the row exists; no request to Twilio yet (or the last one surely failed)
    REQUESTING = "requesting"  # a request was sent; until Twilio answers, the call may or may not exist
    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"


FINAL_STATUSES = frozenset({CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.FAILED, CallStatus.NO_ANSWER,
                            CallStatus.CANCELED})
# Status callbacks may arrive out of order; a status never moves back down this ladder.
STATUS_RANK = {CallStatus.PENDING: 0, CallStatus.REQUESTING: 1, CallStatus.QUEUED: 2, CallStatus.RINGING: 3,
               CallStatus.IN_PROGRESS: 4, **dict.fromkeys(FINAL_STATUSES, 5)}


class Call(db.Model):
    """One outbound call: at most one per planned contact (the unique attempt id guarantees it)."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("contact_attempts.id", ondelete="CASCADE"),
                                            unique=True)
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.PENDING)
    # The number dialed (E.164); None once the shopper's data is erased (the row stays for the figures).
    phone: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, info=PII)
    language: Mapped[str] = mapped_column(String(8), default="en")
    answered_by: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))
    objection: Mapped[str | None] = mapped_column(String(32))
    # Why dialing gave up, or Twilio's error code for a failed request.
    error: Mapped[str | None] = mapped_column(String(64))
    dial_tries: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The conversation's working state (the agent's, JSON) and the single-use code given, if any.
    agent_state: Mapped[dict] = mapped_column(JSON, default=dict, info=PII)
    discount_code: Mapped[str | None] = mapped_column(EncryptedText, info=PII)
    recording_sid: Mapped[str | None] = mapped_column(String(64), info=PII)
    recording_duration_seconds: Mapped[int | None] = mapped_column(Integer)
    # True once the outcome has been reported to the recovery engine (exactly once).
    reported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    turns: Mapped[list[CallTurn]] = relationship(back_populates="call", order_by="CallTurn.seq",
                                                 cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.status}>"


class CallTurn(db.Model):
    """One thing said in a call, by the agent or the shopper, in spoken order."""

    __tablename__ = "call_turns"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(8))  # agent | shopper
    text: Mapped[str] = mapped_column(EncryptedText, info=PII)
    intent: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[Call] = relationship(back_populates="turns")
