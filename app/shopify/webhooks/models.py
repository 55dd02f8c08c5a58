"""The webhook delivery log: de-duplication, durable storage until processed, and replay."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import CompressedEncryptedText
from app.dbtypes import PII, UTCDateTime, utcnow
from app.extensions import db


class DeliveryStatus(StrEnum):
    RECEIVED = "received"      # stored; a job is (or will be) queued
    PROCESSED = "processed"    # handled; payload dropped
    FAILED = "failed"          # handler raised; the sweeper retries with backoff
    DEAD = "dead"              # failed too often; payload kept for `flask webhooks replay`
    DEFERRED = "deferred"      # no handler yet for this topic; payload kept until one exists
    IGNORED = "ignored"        # a topic the app does not subscribe to; nothing kept
    ERASED = "erased"          # its customer (or shop) was erased before it ran: payload dropped, never run


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Shopify's per-delivery id: the idempotency key (unique, so duplicates cannot insert).
    webhook_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_id: Mapped[str | None] = mapped_column(String(255), index=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    shop_domain: Mapped[str] = mapped_column(String(255), index=True)
    api_version: Mapped[str | None] = mapped_column(String(16))
    triggered_at: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Shoppers' names, emails and phones live in here: encrypted (compressed first), and dropped once
    # processed.
    payload: Mapped[str | None] = mapped_column(CompressedEncryptedText, info=PII)
    payload_bytes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.RECEIVED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.topic} {self.status}>"
