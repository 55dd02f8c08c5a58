"""The overview's funnel stored per checkout (app/dashboard/funnel.py, migration 0010's triggers)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, update

from app.consent.models import ConsentEvent
from app.dashboard import funnel
from app.dashboard.models import FLAGS, CheckoutFunnel, FunnelChange, FunnelDay, flags_in
from app.extensions import db
from app.jobs.periodic import PERIODIC, resolve
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order, Recovery
from app.sms.models import Message
from tests.dashboard import test_api as api
from tests.dashboard.test_api import DAY, _add_checkout, _attempt, _checkout, _get
from tests.recovery import conftest as recovery
from tests.recovery.conftest import T0, make_shop

pytestmark = pytest.mark.data
clock, deliver, run_due, sent = recovery.clock, recovery.deliver, recovery.run_due, recovery.sent
auth, seeded = api.auth, api.seeded  # the dashboard API's seeded day
OVERVIEW = f"/api/overview?from={DAY}&to={DAY}"
SOURCES = ("checkouts", "contact_attempts", "recoveries", "messages", "consent_events")


def _listed() -> set[int]:
    db.session.commit()
    return set(db.session.execute(select(FunnelChange.checkout_id)).scalars())


def _stored() -> dict[int, tuple]:
    rows = db.session.execute(select(CheckoutFunnel)).scalars()
    return {row.checkout_id: tuple(int(name in flags_in(row.flags)) for name in FLAGS) for row in rows}


def _refreshed() -> None:
    db.session.commit()
    funnel.refresh()
    assert _listed() == set()


def test_the_overview_is_the_same_computed_live_and_stored(client, auth, seeded):
    live = _get(client, auth, OVERVIEW)
    assert _listed(), "every checkout starts listed"
    _refreshed()
    assert _get(client, auth, OVERVIEW) == live
    assert live["funnel"] == {"abandoned": 7, "consented": 6, "contacted": 4, "reached": 3, "recovered": 1}


def test_refresh_stores_what_flags_of_computes(app, seeded):
    _refreshed()
    computed = {row.checkout_id: tuple(getattr(row, name) for name in FLAGS)
                for row in db.session.execute(funnel.flags_of())}
    assert _stored() == computed and len(computed) == db.session.scalar(select(func.count(Checkout.id)))
    started = dict(db.session.execute(select(CheckoutFunnel.checkout_id, CheckoutFunnel.started_at)).all())
    checkouts = db.session.scalars(select(Checkout))
    assert started == {c.id: c.shopify_created_at or c.created_at for c in checkouts}


def test_a_change_counts_at_once_before_the_refresh_runs(client, auth, app, seeded):
    _refreshed()
    text = _attempt("tok-b")  # called, no answer (not reached): its text fallback goes, and is delivered
    assert text.channel == "sms" and text.status == AttemptStatus.SCHEDULED
    db.session.add(Message(shop_id=seeded.shop.id, checkout_id=text.checkout_id, attempt_id=text.id,
                           kind="recovery", phone="+12125550100", phone_hash="h", body="x",
                           status="delivered"))
    db.session.execute(update(ContactAttempt).where(ContactAttempt.id == text.id)
                       .values(status=AttemptStatus.DISPATCHED, outcome="sent"))
    db.session.commit()
    assert _listed() == {text.checkout_id}
    body = _get(client, auth, OVERVIEW)
    assert body["funnel"]["reached"] == 4 and body["channels"][1]["reached"] == 2
    _refreshed()
    assert _get(client, auth, OVERVIEW) == body


def _one_checkout(app):
    shop = make_shop()
    checkout = _add_checkout(shop, "tok-one", shopify_created_at=T0)
    attempt = ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                             scheduled_at=T0, status=AttemptStatus.SCHEDULED)
    db.session.add(attempt)
    db.session.commit()
    _refreshed()
    return shop, checkout, attempt


@pytest.mark.parametrize("write", [
    "attempt_added", "attempt_dispatched", "attempt_outcome", "attempt_deleted", "text_delivered",
    "recovery_added", "consent_statement", "checkout_started_earlier"])
def test_each_write_that_decides_a_funnel_lists_its_checkout(app, write):
    shop, checkout, attempt = _one_checkout(app)
    if write == "attempt_added":
        db.session.add(ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=2, channel="sms",
                                      scheduled_at=T0, status=AttemptStatus.WITHHELD))
    elif write == "attempt_dispatched":
        attempt.status = AttemptStatus.DISPATCHED
    elif write == "attempt_outcome":
        attempt.outcome = "voicemail"
    elif write == "attempt_deleted":
        db.session.delete(attempt)
    elif write == "text_delivered":
        db.session.add(Message(shop_id=shop.id, checkout_id=None, attempt_id=attempt.id, kind="recovery",
                               phone="+12125550100", phone_hash="h", body="x", status="delivered"))
    elif write == "recovery_added":
        _recovered(shop, checkout)
    elif write == "consent_statement":
        db.session.add(ConsentEvent(shop_id=shop.id, checkout_token=checkout.token, topic="checkouts/create",
                                    source="checkout", channels="call,sms", granted=True, consented_at=T0,
                                    consented_at_source="attribute", phone_hash="h", phone_status="valid"))
    elif write == "checkout_started_earlier":
        checkout.shopify_created_at = T0 - timedelta(days=1)
    db.session.commit()
    assert _listed() == {checkout.id}
    _refreshed()
    assert _stored()[checkout.id] == _computed(checkout.id)


def _recovered(shop, checkout, shopify_id: int = 1) -> None:
    order = Order(shop_id=shop.id, shopify_id=shopify_id, checkout_token=checkout.token,
                  checkout_id=checkout.id, total_price="10.00", currency="USD", ordered_at=T0)
    db.session.add(order)
    db.session.flush()
    db.session.add(Recovery(shop_id=shop.id, checkout_id=checkout.id, order_id=order.id, holdout=False,
                            channel="call", match_kind="checkout_token", touched_at=T0, ordered_at=T0,
                            revenue="10.00", currency="USD"))


def _computed(checkout_id: int) -> tuple:
    row = db.session.execute(funnel.flags_of(Checkout.id == checkout_id)).one()
    return tuple(getattr(row, name) for name in FLAGS)


def test_a_write_that_decides_nothing_lists_nothing(app):
    shop, checkout, attempt = _one_checkout(app)
    checkout.first_name, checkout.total_price = "Ada", "12.00"
    attempt.reason = "a note"
    db.session.commit()
    assert _listed() == set()


def test_a_bulk_statement_lists_every_checkout_it_touches(app):
    shop = make_shop()
    checkouts = [_add_checkout(shop, f"tok-{n}", shopify_created_at=T0) for n in range(30)]
    db.session.add_all([ContactAttempt(checkout_id=c.id, shop_id=shop.id, seq=1, channel="call",
                                       scheduled_at=T0, status=AttemptStatus.SCHEDULED) for c in checkouts])
    db.session.commit()
    _refreshed()
    first = [c.id for c in checkouts[:20]]
    db.session.execute(update(ContactAttempt).where(ContactAttempt.checkout_id.in_(first))
                       .values(status=AttemptStatus.CANCELED))
    db.session.commit()
    assert _listed() == set(first)


def test_a_deleted_checkout_takes_its_funnel_with_it(app):
    shop, checkout, attempt = _one_checkout(app)
    db.session.delete(_checkout(checkout.token))
    db.session.commit()
    assert _stored() == {}
    funnel.refresh()
    assert _listed() == set(), "a listed checkout that is gone is dropped from the list"


def test_refresh_works_in_batches_and_reports_how_many(app):
    shop = make_shop()
    for n in range(7):
        _add_checkout(shop, f"tok-{n}", shopify_created_at=T0)
    db.session.commit()
    assert funnel.refresh(batch=3) == 7
    assert _listed() == set() and len(_stored()) == 7


def test_the_funnel_triggers_exist_at_head(app):
    """A later SQLite batch migration that rebuilds a source table would drop its triggers silently."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            rows = connection.execute(sa.text(
                "SELECT event_object_table, event_manipulation FROM information_schema.triggers "
                "WHERE trigger_name LIKE 'ringback_funnel_%'")).all()
        else:
            rows = [(table, name.rsplit("_", 1)[1].upper()) for name, table in connection.execute(sa.text(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ringback_funnel_%'")).all()]
    expected = {(table, event) for table in (*SOURCES, "checkout_funnels")
                for event in ("INSERT", "UPDATE", "DELETE")}
    expected.discard(("checkouts", "DELETE"))  # the foreign key takes the stored funnel
    assert set(rows) == expected


def _defined(shop_id: int, start, end) -> dict[str, int]:
    """The overview's counts from the definition alone: `flags_of` of every checkout started in the
    range, nothing stored."""
    totals = dict.fromkeys(("abandoned", *FLAGS, *funnel.COMBINED), 0)
    for row in db.session.execute(funnel.flags_of(Checkout.shop_id == shop_id, funnel.started_at() >= start,
                                                  funnel.started_at() < end)):
        has = frozenset(name for name in FLAGS if getattr(row, name))
        for name in ("abandoned", *has, *[f for f, holds in funnel.COMBINED.items() if holds(has)]):
            totals[name] += 1
    return totals


def _day_counts() -> dict[tuple, int]:
    rows = db.session.execute(select(FunnelDay.shop_id, FunnelDay.day, FunnelDay.flags, FunnelDay.checkouts))
    return {(shop, day, flags): n for shop, day, flags, n in rows}


def _grouped() -> dict[tuple, int]:
    grouped: dict[tuple, int] = {}
    for row in db.session.scalars(select(CheckoutFunnel)):
        key = (row.shop_id, row.started_at.date(), row.flags)
        grouped[key] = grouped.get(key, 0) + 1
    return grouped


def _spread(shop, days: int = 6) -> list[Checkout]:
    """Checkouts every 5 hours over `days` days, a third of them contacted, some recovered."""
    checkouts = []
    for n in range(days * 24 // 5):
        checkout = _add_checkout(shop, f"tok-{n}", shopify_created_at=T0 + timedelta(hours=5 * n))
        checkouts.append(checkout)
        if n % 3 == 0:
            db.session.add(ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                                          scheduled_at=T0, status=AttemptStatus.COMPLETED,
                                          outcome="link_sent" if n % 2 else "voicemail"))
        if n % 6 == 0:
            _recovered(shop, checkout, shopify_id=n + 1)
    db.session.commit()
    return checkouts


def test_day_counts_are_the_stored_funnels_counted(app):
    shop = make_shop()
    checkouts = _spread(shop)
    _refreshed()
    assert _day_counts() == _grouped() and sum(_day_counts().values()) == len(checkouts)
    db.session.execute(update(ContactAttempt).where(ContactAttempt.checkout_id == checkouts[0].id)
                       .values(outcome="declined"))
    db.session.delete(_checkout(checkouts[1].token))
    db.session.commit()
    _refreshed()
    assert _day_counts() == _grouped(), "a refresh and a deletion move the counts with the rows"
    assert all(n > 0 for n in _day_counts().values()), "a count that reaches 0 is dropped"


@pytest.mark.parametrize("hours", [(0, 24), (3, 27), (0, 144), (5, 139), (20, 100), (-30, 200), (7, 8)])
def test_the_counts_of_any_range_are_what_the_definition_says(app, hours):
    shop = make_shop()
    checkouts = _spread(shop)
    start, end = T0 + timedelta(hours=hours[0]), T0 + timedelta(hours=hours[1])
    assert funnel.counts(shop.id, start, end) == _defined(shop.id, start, end), "all listed: computed live"
    _refreshed()
    assert funnel.counts(shop.id, start, end) == _defined(shop.id, start, end), "all stored"
    # Some change after the refresh: listed again, their stored rows (and day counts) out of date.
    for checkout in checkouts[::4]:
        checkout.shopify_created_at += timedelta(hours=13)
    canceled = [c.id for c in checkouts[::5]]
    db.session.execute(update(ContactAttempt).where(ContactAttempt.checkout_id.in_(canceled))
                       .values(status=AttemptStatus.CANCELED))
    db.session.commit()
    assert _listed()
    assert funnel.counts(shop.id, start, end) == _defined(shop.id, start, end), "stored and listed"


def test_concurrent_refreshes_take_different_checkouts(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    shop = make_shop()
    for n in range(40):
        _add_checkout(shop, f"tok-{n}", shopify_created_at=T0)
    db.session.commit()
    done: list[int] = []

    def run():
        with app.app_context():
            done.append(funnel.refresh(batch=5))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(done) == 40 and _listed() == set() and len(_stored()) == 40


def test_the_funnel_is_refreshed_by_a_periodic_job():
    entry = next(entry for entry in PERIODIC if entry.name == "funnel-refresh")
    assert resolve(entry) is funnel.refresh and entry.every_seconds <= 15
