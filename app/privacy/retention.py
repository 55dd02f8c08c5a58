"""Retention: personal data is kept at most the shop's `retention_days` (at most 24 months), then deleted.

`run`, a daily periodic job (`app.jobs.periodic`), ages out every shop in turn, each table by the
column the registry (`app.privacy.registry`, `Holding.aged_by`) names:

- checkouts last updated before the cutoff go, with everything hanging off them (attempts, calls
  and their transcripts, texts, link clicks, recoveries); orders created before it go too;
- texts off any checkout (inbound keyword texts) received before the cutoff go;
- webhook deliveries received before it go, whatever their status (a failed or dead one still
  holds its payload);
- data-request exports go once they expire;
- consent records go 24 months after their last use (their own recording, or the latest contact
  that relied on them), whatever the shop's retention: the ledger is the proof of consent.

Calls and texts are deleted at Twilio too, through the durable outbox of `app.privacy.twilio_erasure`,
scheduled in the transaction that deletes the rows here.

Suppressions (the do-not-contact list) are never aged out: an opt-out must keep being honoured for as
long as the app may contact anyone, and the row holds only the keyed hash once its shopper is erased.

Shops awaiting `shop/redact` are skipped: the shop's erasure (`app.privacy.erasure`) deletes them
whole. Deliveries of domains no shop row matches any more are aged out after the 24-month maximum.

Every step deletes in batches of `BATCH_SIZE`, each its own short transaction, so no lock is held
for long on rows other shops' traffic needs.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, delete, exists, select
from sqlalchemy.orm import InstrumentedAttribute

from app.consent.models import ConsentEvent
from app.extensions import db
from app.privacy import twilio_erasure
from app.privacy.models import DataRequest
from app.privacy.registry import holding
from app.recovery import clock
from app.recovery.models import Checkout, ContactAttempt, Order, Recovery, RecoveryClick
from app.shopify.webhooks.models import WebhookDelivery
from app.shops import settings as shop_settings
from app.shops.models import Shop, ShopSettings
from app.sms.models import Message
from app.transactions import begin_writing
from app.voice.models import Call, CallTurn

log = logging.getLogger(__name__)

# Rows per statement (and per transaction): short enough that no batch holds its locks for long.
BATCH_SIZE = 1000
# The consent ledger proves consent: kept 24 months after its last use, whatever the shop's setting.
CONSENT_KEPT = timedelta(days=shop_settings.MAX_RETENTION_DAYS)
# Deliveries of a domain without a shop row (never installed, or erased) have no settings to read.
ORPHAN_DELIVERIES_KEPT = timedelta(days=shop_settings.MAX_RETENTION_DAYS)
# Every table retention deletes from, children before parents, for the counts `run` returns.
TABLES = ("call_turns", "messages", "calls", "recovery_clicks", "recoveries", "contact_attempts",
          "checkouts", "orders", "webhook_deliveries", "data_requests", "consent_events")


class RetentionIncomplete(RuntimeError):
    """Some shops could not be aged out; the others were. The job is marked failed so it is seen."""


@dataclass(frozen=True)
class ShopAge:
    """What one shop's retention needs: who it is and, from its settings, how old is too old."""

    id: int
    domain: str
    retention: timedelta


@dataclass(frozen=True)
class Step:
    """One rule: which of a shop's rows are too old (their ids), and how a batch of them goes."""

    too_old: Callable[[ShopAge, datetime], Select]
    delete: Callable[[ShopAge, list[int]], Counter]


def run() -> dict[str, int]:
    """The daily job: age out every shop's personal data; returns the rows deleted per table."""
    now = clock.now()
    totals = Counter(dict.fromkeys(TABLES, 0))
    failed = 0
    for shop in _shops():
        try:
            counts = age_out(shop, now)
        except Exception as exc:  # noqa: BLE001 - one shop's failure must not keep the others' data
            db.session.rollback()
            failed += 1
            # The class name only: a database error quotes the statement's values.
            log.warning("retention failed for shop %s: %s", shop.id, type(exc).__name__)
            continue
        totals.update(counts)
    totals.update(_delete_in_batches(_orphan_deliveries(now), partial(_delete_deliveries, None)))
    if failed:
        raise RetentionIncomplete(f"retention failed for {failed} shops")
    return dict(totals)


def age_out(shop: ShopAge, now: datetime) -> Counter:
    """Apply every rule to one shop, batch by batch; returns the rows deleted per table."""
    counts = Counter()
    for step in STEPS:
        counts.update(_delete_in_batches(step.too_old(shop, now), partial(step.delete, shop)))
    if any(counts.values()):
        log.info("retention for shop %s deleted %s", shop.id, _summary(counts))
    return counts


def retention_of(values: Mapping[str, Any] | None) -> timedelta:
    """How long the shop keeps personal data: its `retention_days`, never past the 24-month maximum."""
    days = shop_settings.resolve(values)["retention_days"]
    return timedelta(days=min(days, shop_settings.MAX_RETENTION_DAYS))


# -- the shops ---------------------------------------------------------------------------------------

def _shops() -> list[ShopAge]:
    rows = db.session.execute(
        select(Shop.id, Shop.domain, ShopSettings.values)
        .outerjoin(ShopSettings, ShopSettings.shop_id == Shop.id)
        .where(Shop.redact_requested_at.is_(None))
        .order_by(Shop.id)
    ).all()
    db.session.rollback()
    return [ShopAge(shop_id, domain, retention_of(values)) for shop_id, domain, values in rows]


# -- which rows are too old --------------------------------------------------------------------------

def _aged(model) -> InstrumentedAttribute:
    """The model's age column, as the registry names it (one place knows how each table ages)."""
    return getattr(model, holding(model).aged_by)


def _old_checkouts(shop: ShopAge, now: datetime) -> Select:
    return select(Checkout.id).where(Checkout.shop_id == shop.id, _aged(Checkout) < now - shop.retention)


def _old_orders(shop: ShopAge, now: datetime) -> Select:
    return select(Order.id).where(Order.shop_id == shop.id, _aged(Order) < now - shop.retention)


def _old_loose_messages(shop: ShopAge, now: datetime) -> Select:
    return select(Message.id).where(Message.shop_id == shop.id, Message.checkout_id.is_(None),
                                    _aged(Message) < now - shop.retention)


def _old_deliveries(shop: ShopAge, now: datetime) -> Select:
    return select(WebhookDelivery.id).where(WebhookDelivery.shop_domain == shop.domain,
                                            _aged(WebhookDelivery) < now - shop.retention)


def _expired_data_requests(shop: ShopAge, now: datetime) -> Select:
    return select(DataRequest.id).where(DataRequest.shop_id == shop.id, _aged(DataRequest) < now)


def _unused_consent(shop: ShopAge, now: datetime) -> Select:
    """Consent whose last use (its recording, or the latest contact to the same phone in the shop,
    which relied on it) is older than 24 months: "no use since the cutoff", in one query per batch."""
    cutoff = now - CONSENT_KEPT
    used_since = exists().where(ContactAttempt.shop_id == ConsentEvent.shop_id,
                                ContactAttempt.phone_hash == ConsentEvent.phone_hash,
                                ContactAttempt.dispatched_at >= cutoff)
    return select(ConsentEvent.id).where(ConsentEvent.shop_id == shop.id, _aged(ConsentEvent) < cutoff,
                                         ~used_since)


def _orphan_deliveries(now: datetime) -> Select:
    has_shop = exists().where(Shop.domain == WebhookDelivery.shop_domain)
    return select(WebhookDelivery.id).where(_aged(WebhookDelivery) < now - ORPHAN_DELIVERIES_KEPT,
                                            ~has_shop)


# -- how a batch goes --------------------------------------------------------------------------------

def _delete_checkouts(shop: ShopAge, ids: list[int]) -> Counter:
    """The checkouts and everything hanging off them, children first (so each table is counted, and
    nothing waits on the schema's cascades); their calls and texts are scheduled for deletion at
    Twilio first. References from rows that stay (an order, another checkout's text or recovery
    pointing at an attempt or call here) are cleared by the schema's ON DELETE SET NULL, which SQLite
    enforces too (`app._configure_sqlite` turns foreign keys on)."""
    calls = select(Call.id).where(Call.checkout_id.in_(ids))
    _schedule_calls(shop.id, Call.checkout_id.in_(ids))
    _schedule_messages(shop.id, Message.checkout_id.in_(ids))
    return Counter({
        "call_turns": _delete(CallTurn, CallTurn.call_id.in_(calls)),
        "messages": _delete(Message, Message.checkout_id.in_(ids)),
        "calls": _delete(Call, Call.checkout_id.in_(ids)),
        "recovery_clicks": _delete(RecoveryClick, RecoveryClick.checkout_id.in_(ids)),
        "recoveries": _delete(Recovery, Recovery.checkout_id.in_(ids)),
        "contact_attempts": _delete(ContactAttempt, ContactAttempt.checkout_id.in_(ids)),
        "checkouts": _delete(Checkout, Checkout.id.in_(ids)),
    })


def _delete_orders(shop: ShopAge, ids: list[int]) -> Counter:
    return Counter({"recoveries": _delete(Recovery, Recovery.order_id.in_(ids)),
                    "orders": _delete(Order, Order.id.in_(ids))})


def _delete_loose_messages(shop: ShopAge, ids: list[int]) -> Counter:
    _schedule_messages(shop.id, Message.id.in_(ids))
    return Counter({"messages": _delete(Message, Message.id.in_(ids))})


def _delete_deliveries(shop: ShopAge | None, ids: list[int]) -> Counter:
    return Counter({"webhook_deliveries": _delete(WebhookDelivery, WebhookDelivery.id.in_(ids))})


def _delete_data_requests(shop: ShopAge, ids: list[int]) -> Counter:
    return Counter({"data_requests": _delete(DataRequest, DataRequest.id.in_(ids))})


def _delete_consent(shop: ShopAge, ids: list[int]) -> Counter:
    return Counter({"consent_events": _delete(ConsentEvent, ConsentEvent.id.in_(ids))})


STEPS: tuple[Step, ...] = (
    Step(_old_checkouts, _delete_checkouts),
    Step(_old_orders, _delete_orders),
    Step(_old_loose_messages, _delete_loose_messages),
    Step(_old_deliveries, _delete_deliveries),
    Step(_expired_data_requests, _delete_data_requests),
    Step(_unused_consent, _delete_consent),
)
# The models aged by a column of their own (the registry's `aged_by`); the rest go with their checkout.
AGED_MODELS = frozenset({Checkout, Order, Message, WebhookDelivery, DataRequest, ConsentEvent})


# -- batches -----------------------------------------------------------------------------------------

def _delete_in_batches(too_old: Select, delete_batch: Callable[[list[int]], Counter]) -> Counter:
    """Select up to BATCH_SIZE ids, delete them, commit; again until none is left. Each batch is
    one transaction begun as a writer (SQLite), its rows locked against a concurrent update
    (PostgreSQL; rows busy elsewhere are left for tomorrow's run)."""
    counts = Counter()
    while True:
        db.session.rollback()
        begin_writing()
        ids = db.session.execute(
            too_old.order_by(*too_old.selected_columns).limit(BATCH_SIZE)
            .with_for_update(skip_locked=True)
        ).scalars().all()
        if not ids:
            db.session.rollback()
            return counts
        batch = delete_batch(ids)
        db.session.commit()
        counts.update(batch)
        if batch["calls"] or batch["messages"]:
            twilio_erasure.enqueue_due()
        if len(ids) < BATCH_SIZE:
            return counts


def _delete(model, condition) -> int:
    result = db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


def _schedule_calls(shop_id: int, condition) -> None:
    rows = db.session.execute(select(Call.sid, Call.recording_sid).where(condition)).all()
    twilio_erasure.schedule_many(shop_id, _call_resources(rows))


def _schedule_messages(shop_id: int, condition) -> None:
    sids = db.session.execute(select(Message.sid).where(condition, Message.sid.is_not(None))).scalars()
    twilio_erasure.schedule_many(shop_id, [("message", sid) for sid in sids])


def _call_resources(rows: Iterable[tuple[str | None, str | None]]) -> list[tuple[str, str]]:
    """A call's recording and its log, as Twilio names them (a call never placed has neither)."""
    items = [("recording", recording) for _, recording in rows if recording]
    return items + [("call", sid) for sid, _ in rows if sid]


def _summary(counts: Counter) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(counts.items()) if n)
