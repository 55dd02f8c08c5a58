"""Jobs that turn stored deliveries into effects, and the sweeper that makes sure they run."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
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
# The workers' inbox: a sorted set of just-stored delivery ids (score = id, so the oldest go first),
# emptied by drain jobs. The intake adds a batch with one command instead of a job per delivery.
INBOX = "webhook-inbox"
# Set while a drain job waits to start (it clears it when it starts), so the intake queues at most one
# waiting drain, and one more can start beside each running drain. Expires in case that job was lost.
DRAIN_WAITING = "webhook-drain-waiting"
DRAIN_WAITING_TTL_SECONDS = 60
# A drain takes this many ids at a time, and after this long hands over to a fresh job (RQ stops a
# job after 180 s; the ids it had taken would then wait for the sweeper).
DRAIN_CHUNK = 20
DRAIN_SECONDS = 30


def job_id(delivery_id: int) -> str:
    return f"webhook-{delivery_id}"


def enqueue_delivery(delivery_id: int) -> bool:
    return jobs.try_enqueue(process_delivery, delivery_id, job_id=job_id(delivery_id))


def enqueue_new_deliveries(delivery_ids: list[int]) -> bool:
    """Put just-stored deliveries in the inbox and make sure a drain job is on its way.

    False when Redis is down: they stay received, and the sweeper queues them once it is back."""
    try:
        with jobs.redis().pipeline(transaction=False) as pipe:
            pipe.zadd(jobs.qualified(INBOX), {str(delivery_id): delivery_id for delivery_id in delivery_ids})
            pipe.set(jobs.qualified(DRAIN_WAITING), "1", nx=True, ex=DRAIN_WAITING_TTL_SECONDS)
            _, drain_needed = pipe.execute()
        if drain_needed:
            jobs.enqueue(drain_inbox)
    except RedisError as exc:
        log.warning("queue unavailable, %d deliveries left for the sweeper: %s", len(delivery_ids),
                    type(exc).__name__)
        return False
    return True


def drain_inbox() -> int:
    """A job: process the inbox's deliveries, oldest first, each as its own job would, until the
    inbox is empty or this job's time is up. How many it processed.

    Should the job die half-way, the deliveries it had taken are still received (and no longer in the
    inbox): the sweeper queues them again."""
    redis = jobs.redis()
    redis.delete(jobs.qualified(DRAIN_WAITING))  # started: another drain may now be queued beside it
    deadline = time.monotonic() + DRAIN_SECONDS
    processed = 0
    while taken := redis.zpopmin(jobs.qualified(INBOX), DRAIN_CHUNK):
        for member, _score in taken:
            process_delivery(int(member))
        processed += len(taken)
        if time.monotonic() > deadline:
            _queue_drain()
            break
    return processed


def _queue_drain() -> None:
    if jobs.redis().set(jobs.qualified(DRAIN_WAITING), "1", nx=True, ex=DRAIN_WAITING_TTL_SECONDS):
        jobs.enqueue(drain_inbox)


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
    in_inbox = _in_inbox(ids)
    queued = sum(1 for delivery_id in ids
                 if delivery_id not in in_inbox and enqueue_delivery(delivery_id))
    if ids:
        log.info("webhook sweep re-enqueued %d of %d deliveries", queued, len(ids))
    return queued


def _in_inbox(delivery_ids: list[int]) -> set[int]:
    """Those of the deliveries that wait in the inbox; a drain job is queued for them unless it was
    lost, in which case one is queued now."""
    if not delivery_ids:
        return set()
    try:
        scores = jobs.redis().zmscore(jobs.qualified(INBOX), [str(i) for i in delivery_ids])
        waiting = {delivery_id for delivery_id, score in zip(delivery_ids, scores, strict=True)
                   if score is not None}
        if waiting:
            _queue_drain()
    except RedisError:
        return set()  # queueing them fails alike: the next sweep tries again
    return waiting
