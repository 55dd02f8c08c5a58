"""Background jobs on RQ. The database is the source of truth; Redis only delivers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

EXTENSION_KEY = "ringback.redis"
# Fail fast when Redis is down: webhook requests must still answer within Shopify's 5 s.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
# A job still waiting or running under this id means "already on its way"; do not add another.
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = Redis.from_url(app.config["REDIS_URL"], **REDIS_TIMEOUTS)


def redis() -> Redis:
    return current_app.extensions[EXTENSION_KEY]


def queue() -> Queue:
    return Queue(current_app.config["RINGBACK_QUEUE"], connection=redis())


def qualified(job_id: str) -> str:
    """Job ids carry the queue name, so deployments (or test runs) sharing a Redis never collide."""
    return f"{current_app.config['RINGBACK_QUEUE']}_{job_id}".replace(":", "_")


def enqueue(func: Callable, *args, job_id: str | None = None, at: datetime | None = None,
            **kwargs) -> Job | None:
    """Queue `func(*args)`, once per `job_id`: returns None if that job is already live."""
    if job_id is not None and is_live(job_id):
        return None
    q = queue()
    options = {"job_id": qualified(job_id) if job_id else None,
               "failure_ttl": 7 * 24 * 3600, "result_ttl": 3600}
    if at is not None:
        return q.enqueue_at(at, func, *args, **options, **kwargs)
    return q.enqueue(func, *args, **options, **kwargs)


def try_enqueue(func: Callable, *args, **kwargs) -> bool:
    """`enqueue`, but a Redis outage is logged instead of raised (the sweepers catch up).

    True when a new job was queued; False when one was already live or Redis is down.
    """
    try:
        return enqueue(func, *args, **kwargs) is not None
    except RedisError as exc:
        log.warning("queue unavailable, left for the sweeper: %s", type(exc).__name__)
        return False


def is_live(job_id: str) -> bool:
    try:
        status = Job.fetch(qualified(job_id), connection=redis()).get_status(refresh=False)
    except NoSuchJobError:
        return False
    return status in _LIVE


def cancel(job_id: str) -> None:
    """Remove a queued or scheduled job if it exists (the job re-checks state anyway)."""
    try:
        job = Job.fetch(qualified(job_id), connection=redis())
    except NoSuchJobError:
        return
    if job.get_status(refresh=False) != JobStatus.STARTED:
        job.cancel()
        job.delete()
