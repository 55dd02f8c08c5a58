"""Erasure: a customer's personal data (`customers/redact`) or a whole shop's (`shop/redact`), gone
from the database, from the queue in Redis, and at Twilio (through the durable deletion outbox).

A customer's rows are found once (`app.privacy.subject`) and each table is treated as the registry
says: deleted, scrubbed (the row stays for the merchant's figures, its personal columns cleared),
or reduced to the keyed hash (the do-not-contact list keeps honouring an opt-out without the number).
A shop is erased in batches, each its own short transaction, so other shops' traffic never waits
on a long lock; its tokens go first.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import delete, exists, literal, or_, select, union_all, update
from sqlalchemy.orm import InstrumentedAttribute

from app import jobs
from app.consent.models import ConsentEvent, Suppression
from app.consent.phones import lookup_key
from app.crypto import lookup_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.privacy import twilio_erasure
from app.privacy.models import DataRequest, Restriction
from app.privacy.registry import HOLDINGS, Erase, Holding
from app.privacy.subject import Subject
from app.recovery import scheduler
from app.recovery.models import Checkout, ContactAttempt, Order, Recovery, RecoveryClick
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shops.models import Shop, ShopSettings, ShopToken
from app.sms.models import Message
from app.transactions import begin_writing
from app.voice.models import Call, CallTurn

log = logging.getLogger(__name__)

ERASED = "erased"
# Rows per statement when erasing a shop: small enough that no batch holds locks for long.
SHOP_BATCH = 5000
SHOP_JOB = "app.privacy.erasure.erase_shop"


@dataclass
class Erasure:
    """What one erasure did, in counts only (never values): for the log and the caller."""

    counts: dict[str, int] = field(default_factory=dict)
    dropped_jobs: list[str] = field(default_factory=list)

    def add(self, table: str, n: int) -> None:
        if n:
            self.counts[table] = self.counts.get(table, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# -- a customer ------------------------------------------------------------------------------------

def erase_customer(subject: Subject) -> Erasure:
    """Erase everything held about the subject in their shop; flushes, never commits.

    Idempotent: a second run finds the scrubbed rows by id and clears them again, finds nothing else.
    After commit, call `after_commit(erasure, subject)` to clear the queue and start the Twilio deletes."""
    erasure = Erasure()
    erasure.dropped_jobs = scheduler.cancel_checkouts(subject.checkout_ids, ERASED)
    _schedule_twilio_deletes(subject)
    for holding in HOLDINGS:
        erasure.add(holding.table, _erase(holding, subject))
    db.session.execute(
        update(Checkout).where(Checkout.id.in_(subject.checkout_ids), Checkout.erased_at.is_(None))
        .values(erased_at=utcnow()).execution_options(synchronize_session=False))
    db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(subject.delivery_ids))
        .values(status=DeliveryStatus.ERASED).execution_options(synchronize_session=False))
    db.session.expire_all()
    return erasure


def after_commit(erasure: Erasure, subject: Subject) -> None:
    """Once the erasure is committed: drop its jobs, purge job data naming the customer, delete at Twilio."""
    scheduler.drop_jobs(erasure.dropped_jobs)
    purged = purge_queue(subject.secrets())
    queued = twilio_erasure.enqueue_due()
    log.info("customer erased in shop %s: %s; %d queue entries purged, %d Twilio deletions queued",
             subject.shop_id, _summary(erasure.counts), purged, queued)


def _erase(holding: Holding, subject: Subject) -> int:
    condition = holding.find(subject)
    model = holding.model
    if holding.erase is Erase.DELETE:
        statement = delete(model).where(condition)
    elif holding.erase is Erase.HASH_ONLY:
        keep = tuple(c for c in holding.personal if c.endswith("_hash"))
        statement = update(model).where(condition).values(**holding.cleared_values(keep))
    else:
        statement = update(model).where(condition).values(**holding.cleared_values())
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


def _schedule_twilio_deletes(subject: Subject) -> None:
    calls = db.session.execute(
        select(Call.sid, Call.recording_sid).where(Call.id.in_(subject.call_ids))).all()
    messages = db.session.execute(
        select(Message.sid).where(Message.id.in_(subject.message_ids), Message.sid.is_not(None))).scalars()
    items = [("recording", rec) for _, rec in calls if rec]
    items += [("call", sid) for sid, _ in calls if sid]
    items += [("message", sid) for sid in messages]
    twilio_erasure.schedule_many(subject.shop_id, items)


# -- the queue ---------------------------------------------------------------------------------------

def purge_queue(secrets: set[str]) -> int:
    """Delete every entry of the app's queue (jobs, their results and tracebacks) whose data names
    one of `secrets` (an e-mail, a phone, their hashes). Job arguments are row ids, but a failed job's
    traceback may quote a value, and results are kept for a while."""
    if not secrets:
        return 0
    needles = [s.encode() for s in secrets]
    return _purge_where(lambda blobs: any(n in blob for blob in blobs for n in needles))


def purge_queue_of_shop(shop_id: int) -> int:
    """`purge_queue` for every customer of a shop at once, without listing them: each queue entry's
    e-mails and phones are hashed and looked up among the shop's rows (run before they go)."""
    def names_a_customer(blobs: list[bytes]) -> bool:
        hashes = {lookup_hash(c) for blob in blobs for c in _EMAILS.findall(blob.decode(errors="replace"))}
        hashes |= {lookup_hash(lookup_key(c)) for blob in blobs
                   for c in _PHONES.findall(blob.decode(errors="replace"))}
        return bool(hashes) and _shop_holds_any(shop_id, hashes)
    return _purge_where(names_a_customer)


_EMAILS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONES = re.compile(r"\+[1-9][0-9]{6,14}")


def _shop_holds_any(shop_id: int, hashes: set[str]) -> bool:
    found = union_all(
        select(Checkout.id).where(Checkout.shop_id == shop_id, or_(
            Checkout.phone_hash.in_(hashes), Checkout.email_hash.in_(hashes))),
        select(Message.id).where(Message.shop_id == shop_id, Message.phone_hash.in_(hashes)),
        select(Call.id).where(Call.shop_id == shop_id, Call.phone_hash.in_(hashes)),
        select(ConsentEvent.id).where(ConsentEvent.shop_id == shop_id, or_(
            ConsentEvent.phone_hash.in_(hashes), ConsentEvent.email_hash.in_(hashes))),
    ).subquery()
    return db.session.execute(select(found.c.id).limit(1)).first() is not None


def _purge_where(names: Callable[[list[bytes]], bool]) -> int:
    purged = 0
    try:
        connection = jobs.redis()
        for key in connection.scan_iter(match=f"*{jobs.queue().name}*", count=500):
            if names(_blobs(connection, key)):
                _purge_key(connection, key)
                purged += 1
    except RedisError as exc:
        log.warning("queue purge incomplete, Redis unavailable: %s", type(exc).__name__)
    return purged


def _blobs(connection, key: bytes) -> list[bytes]:
    kind = connection.type(key)
    if kind == b"hash":
        values = connection.hvals(key)
    elif kind == b"string":
        values = [connection.get(key) or b""]
    elif kind == b"stream":
        values = [v for _, entry in connection.xrange(key) for v in entry.values()]
    elif kind in (b"list",):
        values = connection.lrange(key, 0, -1)
    else:
        return []  # sets and sorted sets hold job ids only
    return [blob for value in values for blob in _readable(value)]


def _readable(value: bytes) -> Iterable[bytes]:
    """The value as stored, and decompressed when RQ compressed it (job data and tracebacks)."""
    yield value
    try:
        yield zlib.decompress(value)
    except (zlib.error, TypeError):
        pass


def _purge_key(connection, key: bytes) -> None:
    name = key.decode(errors="replace")
    prefix = "rq:job:"
    if name.startswith(prefix):
        try:
            # Through RQ, so the job also leaves its queue and registries.
            Job.fetch(name[len(prefix):], connection=connection).delete()
            return
        except Exception as exc:  # noqa: BLE001 - a job RQ cannot read: delete its key directly
            log.debug("queue entry unreadable by RQ (%s): deleting its key", type(exc).__name__)
    connection.delete(key)


# -- a shop ------------------------------------------------------------------------------------------

def request_shop_erasure(shop: Shop) -> list[str]:
    """shop/redact arrived: tokens go now, outreach stops, the batched erasure is marked to run.
    Flushes, never commits; returns the contact jobs to drop after commit."""
    if shop.token is not None:
        db.session.delete(shop.token)
        shop.token = None
    db.session.execute(delete(ShopToken).where(ShopToken.shop_id == shop.id))
    if shop.redact_requested_at is None:
        shop.redact_requested_at = utcnow()
    return scheduler.cancel_shop(shop.id, ERASED)


def after_shop_request(shop_id: int, dropped: list[str]) -> None:
    scheduler.drop_jobs(dropped)
    enqueue_shop_erasure(shop_id)
    log.info("shop %s: shop/redact accepted, tokens dropped, erasure queued", shop_id)


def enqueue_shop_erasure(shop_id: int) -> bool:
    return jobs.try_enqueue(SHOP_JOB, shop_id, job_id=f"shop-erase-{shop_id}", job_timeout=3600)


def erase_shop(shop_id: int, *, batch: int | None = None) -> dict[str, int]:
    """The job: delete everything of the shop, child tables first, `batch` rows per transaction;
    the shop row goes last. Resumable: a crashed run is re-queued by the sweeper and carries on."""
    batch = batch or SHOP_BATCH
    shop = _writing(lambda: db.session.get(Shop, shop_id))
    if shop is None or shop.redact_requested_at is None:
        db.session.rollback()
        return {}
    domain = shop.domain
    db.session.execute(delete(ShopToken).where(ShopToken.shop_id == shop_id))
    db.session.commit()
    purged = purge_queue_of_shop(shop_id)
    db.session.rollback()
    counts: dict[str, int] = {"queue entries": purged} if purged else {}
    _scrub_sender_wide_numbers(shop_id)
    for name, model, where, before in _shop_tables(shop_id, domain):
        counts[name] = _delete_in_batches(model, where, batch, before)
    _writing(lambda: None)
    db.session.execute(delete(Shop).where(Shop.id == shop_id))
    db.session.commit()
    counts["shops"] = 1
    twilio_erasure.enqueue_due()
    log.info("shop %s erased: %s", shop_id, _summary(counts))
    return counts


def sweep() -> int:
    """Re-queue the erasure of every shop whose shop/redact has not finished (a lost or crashed job)."""
    ids = db.session.execute(select(Shop.id).where(Shop.redact_requested_at.is_not(None))).scalars().all()
    db.session.rollback()
    return sum(1 for shop_id in ids if enqueue_shop_erasure(shop_id))


def _shop_tables(shop_id: int, domain: str):
    """(name, model, condition, before-delete hook) in the order foreign keys need: children first."""
    calls_of_shop = select(Call.id).where(Call.shop_id == shop_id)
    checkouts_of_shop = select(Checkout.id).where(Checkout.shop_id == shop_id)
    return (
        ("call_turns", CallTurn, CallTurn.call_id.in_(calls_of_shop), None),
        ("messages", Message, Message.shop_id == shop_id, _schedule_messages(shop_id)),
        ("calls", Call, Call.shop_id == shop_id, _schedule_calls(shop_id)),
        ("recovery_clicks", RecoveryClick, RecoveryClick.checkout_id.in_(checkouts_of_shop), None),
        ("recoveries", Recovery, Recovery.shop_id == shop_id, None),
        ("contact_attempts", ContactAttempt, ContactAttempt.shop_id == shop_id, None),
        ("orders", Order, Order.shop_id == shop_id, None),
        ("checkouts", Checkout, Checkout.shop_id == shop_id, None),
        ("consent_events", ConsentEvent, ConsentEvent.shop_id == shop_id, None),
        ("suppressions", Suppression, Suppression.shop_id == shop_id, None),
        ("data_requests", DataRequest, DataRequest.shop_id == shop_id, None),
        ("restrictions", Restriction, Restriction.shop_id == shop_id, None),
        ("shop_settings", ShopSettings, ShopSettings.shop_id == shop_id, None),
        ("webhook_deliveries", WebhookDelivery,
         (WebhookDelivery.shop_domain == domain) & (WebhookDelivery.topic != "shop/redact"), None),
    )


def _schedule_messages(shop_id: int) -> Callable:
    def schedule(batch) -> None:
        twilio_erasure.schedule_selected(
            select(literal(shop_id), literal("message"), Message.sid).where(Message.id.in_(batch)))
    return schedule


def _schedule_calls(shop_id: int) -> Callable:
    def schedule(batch) -> None:
        twilio_erasure.schedule_selected(union_all(
            select(literal(shop_id), literal("recording"), Call.recording_sid).where(Call.id.in_(batch)),
            select(literal(shop_id), literal("call"), Call.sid).where(Call.id.in_(batch))))
    return schedule


def _scrub_sender_wide_numbers(shop_id: int) -> None:
    """A sender-wide opt-out the shop's shoppers sent keeps only its hash: the number goes with the shop.

    EXISTS per table, so each opt-out is one index probe, however many rows the shop has."""
    _writing(lambda: None)
    hashed = Suppression.phone_hash
    db.session.execute(
        update(Suppression).where(Suppression.shop_id.is_(None), Suppression.phone_e164.is_not(None), or_(
            exists().where(Message.shop_id == shop_id, Message.phone_hash == hashed),
            exists().where(Call.shop_id == shop_id, Call.phone_hash == hashed),
            exists().where(Checkout.shop_id == shop_id, Checkout.phone_hash == hashed)))
        .values(phone_e164=None).execution_options(synchronize_session=False))
    db.session.commit()


def _delete_in_batches(model, where, batch: int, before: Callable | None) -> int:
    """Delete `where`'s rows `batch` at a time, each batch one transaction: the ids never leave the
    database (the batch is a subquery, ordered so every statement of the batch sees the same rows)."""
    key: InstrumentedAttribute = model.id if hasattr(model, "id") else model.shop_id
    total = 0
    while True:
        _writing(lambda: None)
        chunk = select(key).where(where).order_by(key).limit(batch)
        if before is not None:
            before(chunk)
        deleted = db.session.execute(
            delete(model).where(key.in_(chunk)).execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        total += max(deleted or 0, 0)
        if not deleted:
            return total


def _writing(read):
    """Start a transaction that may write (on SQLite, wait for the write lock first), then `read()`."""
    db.session.rollback()
    begin_writing()
    return read()


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(counts.items())) or "nothing held"
