"""Jobs that turn stored deliveries into effects, and the sweeper that makes sure they run."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from app import jobs
from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shopify.webhooks.registry import HANDLERS, WebhookEvent
from app.transactions import begin_writing

log = logging.getLogger(__name__)

# Retries after a handler failure: 1, 2, 4, ... minutes, then the delivery is parked as dead.
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
# One sweep re-enqueues at most this many deliveries; the next sweep takes the rest.
SWEEP_BATCH = 500


def job_id(delivery_id: int) -> str:
    return f"webhook-{delivery_id}"


def enqueue_delivery(delivery_id: int) -> bool:
    return jobs.try_enqueue(process_delivery, delivery_id, job_id=job_id(delivery_id))


def process_delivery(delivery_id: int) -> str:
    """Run the topic's handler once for the delivery; returns the resulting status.

    A job: it starts a transaction of its own (anything uncommitted in the session is dropped)."""
    db.session.rollback()
    begin_writing()  # on SQLite, wait for the web process's insert rather than fail on it
    delivery = db.session.execute(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    ).scalar_one_or_none()
    if delivery is None:
        return "missing"
    if delivery.status not in (DeliveryStatus.RECEIVED, DeliveryStatus.FAILED,
                               DeliveryStatus.DEFERRED, DeliveryStatus.DEAD):
        db.session.rollback()
        return delivery.status
    handler = HANDLERS.get(delivery.topic)
    if handler is None:
        delivery.status = DeliveryStatus.DEFERRED
        db.session.commit()
        return delivery.status
    event = WebhookEvent(
        delivery_id=delivery.id,
        topic=delivery.topic,
        shop_domain=delivery.shop_domain,
        payload=json.loads(delivery.payload or "{}"),
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        triggered_at=delivery.triggered_at,
    )
    try:
        handler(event)
        delivery.status = DeliveryStatus.PROCESSED
        delivery.payload = None
        delivery.processed_at = utcnow()
        delivery.last_error = None
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - any handler failure is recorded and retried
        db.session.rollback()
        return _record_failure(delivery_id, exc)
    for action in event._after_commit:
        action()
    return DeliveryStatus.PROCESSED


def _record_failure(delivery_id: int, exc: Exception) -> str:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.attempts += 1
    delivery.last_error = type(exc).__name__[:255]
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = utcnow() + RETRY_BASE * (2 ** (delivery.attempts - 1))
    db.session.commit()
    # Only the class name: exception messages may quote personal data from the payload.
    log.warning("webhook delivery %s (%s) failed: %s", delivery_id, delivery.topic,
                type(exc).__name__)
    return delivery.status


def sweep() -> int:
    """Re-enqueue deliveries whose job was lost (Redis down or flushed) or whose retry is due."""
    now = utcnow()
    grace = timedelta(seconds=int(current_app.config.get("WEBHOOK_SWEEP_GRACE_SECONDS", 60)))
    handled_topics = list(HANDLERS)
    ids = db.session.execute(
        select(WebhookDelivery.id)
        .where(or_(
            (WebhookDelivery.status == DeliveryStatus.RECEIVED)
            & (WebhookDelivery.received_at <= now - grace),
            (WebhookDelivery.status == DeliveryStatus.FAILED)
            & (WebhookDelivery.next_attempt_at <= now),
            (WebhookDelivery.status == DeliveryStatus.DEFERRED)
            & WebhookDelivery.topic.in_(handled_topics),
        ))
        .order_by(WebhookDelivery.id)
        .limit(SWEEP_BATCH)
    ).scalars().all()
    db.session.rollback()
    queued = sum(1 for delivery_id in ids if enqueue_delivery(delivery_id))
    if ids:
        log.info("webhook sweep re-enqueued %d of %d deliveries", queued, len(ids))
    return queued
