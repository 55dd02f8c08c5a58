"""The contact job: it re-checks the policy with fresh state at the moment it acts, hands allowed
attempts to the channel's sender exactly once, and does nothing after an order, opt-out or uninstall."""

import threading
import uuid
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers.timezone import time_zones_for_number
from sqlalchemy import select

from app.consent.queries import suppress
from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import channels, completion, facts, scheduler
from app.recovery import clock as recovery_clock
from app.recovery.jobs import run_attempt
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order
from app.shopify.webhooks.processing import process_delivery
from app.shops.models import Shop
from tests.conftest import backend
from tests.consent.statements import counting_statements
from tests.recovery.conftest import (
    NY_PHONE,
    T0,
    attempts,
    checkout_payload,
    configure,
    make_shop,
    order_payload,
    shopper,
    store_delivery,
)

pytestmark = pytest.mark.data

DUE = {"minutes": 30}


def _checkout() -> Checkout:
    db.session.expire_all()
    return db.session.execute(select(Checkout)).scalar_one()


def test_due_attempt_is_dispatched_once_to_the_channel_sender(shop, clock, deliver, run_due, sent):
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, **DUE)
    [attempt] = attempts()
    assert attempt.status == AttemptStatus.DISPATCHED and attempt.dispatched_at == clock.now()
    assert sent == [(attempt.id, NY_PHONE, clock.now())]
    run_due(clock, minutes=1)
    assert run_attempt(attempt.id) == AttemptStatus.DISPATCHED  # a second run is a no-op
    assert len(sent) == 1


# Statements a dispatch may send with a recording sender: the attempt's number, its lock, the checkout
# (+ shop) lock, its attempts, a stored order, the conversation, consent and suppression (5), the
# contacts, the restriction check, the dispatch, and the sender reading the committed attempt. (One
# consent+suppression query was tried: 10 statements, but no faster per job, and slow plans on tables
# without statistics.)
DISPATCH_STATEMENTS = 15


@pytest.mark.parametrize("sibling", [False, True], ids=["alone", "with-an-older-sibling"])
def test_the_contact_job_keeps_to_its_statement_budget(shop, clock, deliver, sent, sibling):
    if sibling:  # an older checkout of the same shopper: its attempt is superseded, not ours
        deliver(("checkouts/create", checkout_payload("tok-0", updated_at=T0 - timedelta(minutes=9))))
    deliver(("checkouts/create", checkout_payload()))
    attempt_id = attempts(_checkout_id("tok-1"))[0].id
    clock.advance(**DUE)
    db.session.expire_all()
    with counting_statements(db.engine) as statements:
        assert run_attempt(attempt_id) == AttemptStatus.DISPATCHED
    assert len(statements) <= DISPATCH_STATEMENTS, "\n".join(statements)


def _checkout_id(token: str) -> int:
    return db.session.execute(select(Checkout.id).where(Checkout.token == token)).scalar_one()


def test_job_that_runs_before_its_time_does_nothing(shop, clock, deliver, sent):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    assert run_attempt(attempt.id) == "early"
    assert attempts()[0].status == AttemptStatus.SCHEDULED and sent == []


def test_without_a_sender_the_attempt_awaits_a_channel_and_is_not_a_contact(shop, clock, deliver,
                                                                               run_due, monkeypatch):
    monkeypatch.setattr(channels, "CHANNELS", {})
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, **DUE)
    [attempt] = attempts()
    assert attempt.status == AttemptStatus.AWAITING_CHANNEL and attempt.dispatched_at is None
    checkout = _checkout()
    assert facts.facts_for(checkout, db.session.get(Shop, shop.id), clock.now()).attempts == ()
    run_due(clock, hours=3)
    assert len(attempts()) == 1  # no re-plan loop while nothing can deliver


def test_job_for_a_checkout_that_got_an_order_after_scheduling_does_nothing(shop, clock, deliver, sent):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    # The order's Redis cancellation is bypassed: the job re-checks the row and the order anyway.
    deliver(("orders/create", order_payload(created_at=T0 + timedelta(minutes=10))))
    clock.advance(**DUE)
    assert run_attempt(attempt.id) == AttemptStatus.CANCELED
    assert sent == []


@pytest.mark.promise("stop-at-once")
def test_job_after_an_opt_out_does_nothing(shop, clock, deliver, sent):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    suppress(shop.id, NY_PHONE, reason="stop_keyword", source="sms")
    db.session.commit()
    clock.advance(**DUE)
    assert run_attempt(attempt.id) == AttemptStatus.SKIPPED
    assert attempts()[0].reason and sent == []
    assert [a.status for a in attempts()] == [AttemptStatus.SKIPPED]  # and nothing re-planned


@pytest.mark.promise("stop-at-once")
def test_opt_out_cancels_pending_attempts_to_that_number(shop, clock, deliver, sent):
    deliver(("checkouts/create", checkout_payload()))
    dropped = scheduler.cancel_phone(shop.id, NY_PHONE, "opt_out")
    db.session.commit()
    scheduler.drop_jobs(dropped)
    assert [a.status for a in attempts()] == [AttemptStatus.CANCELED]


def test_job_after_an_uninstall_webhook_does_nothing(shop, clock, deliver, sent):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    deliver(("app/uninstalled", {"id": 1, "domain": shop.domain}))
    assert attempts()[0].status == AttemptStatus.CANCELED and attempts()[0].reason == "uninstalled"
    clock.advance(**DUE)
    assert run_attempt(attempt.id) == AttemptStatus.CANCELED and sent == []


def test_job_for_a_shop_uninstalled_without_the_signal_still_does_nothing(shop, clock, deliver, sent):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    db.session.get(Shop, shop.id).uninstalled_at = utcnow()
    db.session.commit()
    clock.advance(**DUE)
    assert run_attempt(attempt.id) == AttemptStatus.SKIPPED and sent == []


@pytest.mark.promise("opt-in-only")
def test_consent_withdrawn_after_scheduling_stops_the_contact(shop, clock, deliver, run_due, sent):
    deliver(("checkouts/create", checkout_payload()))
    deliver(("checkouts/update", checkout_payload(updated_at=T0 - timedelta(minutes=4), consent="no")))
    run_due(clock, **DUE)
    assert sent == [] and all(a.status != AttemptStatus.DISPATCHED for a in attempts())


def test_outside_the_window_the_job_skips_and_replans_into_the_next_window(shop, clock, deliver, run_due,
                                                                            sent):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    # 23:30 in New York when the job finally runs (a long Redis outage, say).
    clock.set(T0 + timedelta(hours=12, minutes=30))
    assert run_attempt(attempt.id) == AttemptStatus.SKIPPED
    first, second = attempts()
    assert first.reason and second.status == AttemptStatus.SCHEDULED and second.seq == 2
    assert second.scheduled_at >= clock.now() + timedelta(minutes=5)
    assert sent == []


def test_holdout_checkout_is_withheld_and_never_sent(shop, clock, deliver, run_due, sent):
    configure(shop, holdout_percent=50)
    tokens = [f"tok-{i}" for i in range(16)]
    deliver(*[("checkouts/create", checkout_payload(t, **shopper(i))) for i, t in enumerate(tokens)])
    run_due(clock, **DUE)
    by_checkout = {a.checkout_id: a for a in attempts()}
    holdouts = db.session.execute(select(Checkout.id).where(Checkout.holdout.is_(True))).scalars().all()
    assert 0 < len(holdouts) < len(tokens)
    assert {by_checkout[c].status for c in holdouts} == {AttemptStatus.WITHHELD}
    assert not {attempt_id for attempt_id, *_ in sent} & {by_checkout[c].id for c in holdouts}


def test_a_failing_sender_is_recorded_not_retried(shop, clock, deliver, run_due, monkeypatch):
    def broken(attempt):
        raise RuntimeError("carrier down for +12125550123")

    monkeypatch.setitem(channels.CHANNELS, channels.CALL, broken)
    monkeypatch.setitem(channels.CHANNELS, channels.SMS, broken)
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, **DUE)
    first = attempts()[0]
    assert first.status == AttemptStatus.COMPLETED and first.outcome == "dispatch_failed"


def test_unanswered_call_gets_the_sms_fallback(shop, clock, deliver, run_due, sent):
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, **DUE)
    [call] = attempts()
    assert scheduler.record_outcome(call.id, "no-answer")
    call, sms = attempts()
    assert call.status == AttemptStatus.COMPLETED and sms.channel == "sms"
    assert sms.scheduled_at == clock.now() + timedelta(minutes=10)
    run_due(clock, minutes=10)
    assert attempts()[1].status == AttemptStatus.DISPATCHED and len(sent) == 2


def test_outcome_for_an_attempt_that_was_not_dispatched_is_ignored(shop, clock, deliver):
    deliver(("checkouts/create", checkout_payload()))
    [attempt] = attempts()
    assert not scheduler.record_outcome(attempt.id, "completed")
    assert attempts()[0].status == AttemptStatus.SCHEDULED


def test_missing_attempt_is_a_no_op(app):
    assert run_attempt(987654) == "missing"


# -- property: whatever the webhook sequence, no dispatched contact ever breaks a rule -------------

PROPERTY_PHONES = {  # phone → (country, province) of the shipping address
    NY_PHONE: ("US", "NY"), "+13105550123": ("US", "CA"), "+13055550123": ("US", "FL"),
    "+19075550123": ("US", "AK"), "+18005550123": ("US", "NY"), "+33142685300": ("FR", None),
}
# The merchant's default window (09:00-20:00) is inside every legal one, so it is the oracle's bound.
WINDOW = (time(9), time(20))


# Skewed so that most examples do reach a dispatch (the interesting case for the property).
_often = st.sampled_from([True, True, True, False])
_often_not = st.sampled_from([False, False, True])


@st.composite
def scenarios(draw):
    """Checkout versions with random consent, duplicates, an order and an opt-out, in random order,
    with the clock moving between deliveries."""
    versions, moment = [], T0 + timedelta(hours=draw(st.integers(0, 23)))
    for _ in range(draw(st.integers(1, 3))):
        moment += timedelta(minutes=draw(st.integers(1, 90)))
        versions.append((moment, draw(st.sampled_from(["yes", "yes", "yes", "no", None]))))
    steps = [("deliver", i) for i in range(len(versions))]
    steps += [("deliver", draw(st.integers(0, len(versions) - 1))) for _ in range(draw(st.integers(0, 2)))]
    if draw(_often_not):
        steps.append(("order", None))
    if draw(_often_not):
        steps.append(("optout", draw(_often_not)))  # with or without cancelling pending attempts
    steps = draw(st.permutations(steps))
    ticks = draw(st.lists(st.integers(0, 240), min_size=len(steps), max_size=len(steps)))
    return {
        "phone": draw(st.sampled_from(sorted(PROPERTY_PHONES))),
        "settings": {"holdout_percent": draw(st.sampled_from([0, 0, 50])),
                     "calls_enabled": draw(_often), "sms_enabled": draw(_often)},
        "start": versions[0][0] - timedelta(minutes=1),
        "versions": versions,
        "steps": list(zip(steps, ticks, strict=True)),
        "outcomes": draw(st.lists(st.sampled_from(["no-answer", "completed", "busy"]), min_size=6,
                                  max_size=6)),
        # How late each job runs (a worker backlog or a Redis outage): the job must re-check.
        "lateness": draw(st.lists(st.sampled_from([0, 0, 0, 45, 300, 720]), min_size=6, max_size=6)),
    }


class Oracle:
    """What the test itself knows has happened, independent of the engine's bookkeeping."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.delivered: list[tuple] = []
        self.ordered = self.opted_out = False
        self.violations: list[str] = []
        self.dispatched: list[int] = []

    def check(self, attempt) -> None:
        """Called by the sender at the moment of dispatch: record every rule the contact breaks."""
        now, phone = recovery_clock.now(), self.scenario["phone"]
        statements = [v for v in self.delivered if v[1] is not None]
        if not statements or max(statements)[1] != "yes" or attempt.phone != phone:
            self.violations.append("no consent")
        if self.opted_out:
            self.violations.append("after opt-out")
        if self.ordered:
            self.violations.append("after order")
        if db.session.get(Checkout, attempt.checkout_id).holdout:
            self.violations.append("holdout")
        if attempt.channel == "call" and not self.scenario["settings"]["calls_enabled"]:
            self.violations.append("calls disabled")
        zones = time_zones_for_number(phonenumbers.parse(phone))
        if any(not WINDOW[0] <= now.astimezone(ZoneInfo(z)).time() < WINDOW[1] for z in zones
               if z != "Etc/Unknown") or "Etc/Unknown" in zones:
            self.violations.append(f"outside window at {now.isoformat()}")
        self.dispatched.append(attempt.id)
        if self.dispatched.count(attempt.id) > 1 or len(self.dispatched) > 3:
            self.violations.append("over cap or twice")


@pytest.mark.promise("opt-in-only")
@pytest.mark.promise("stop-at-once")
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
def test_no_dispatched_contact_without_consent_after_optout_or_order_to_holdout_or_outside_window(
        app, client, signed_webhook, clock, monkeypatch, scenario):
    oracle = Oracle(scenario)
    monkeypatch.setitem(channels.CHANNELS, channels.CALL, oracle.check)
    monkeypatch.setitem(channels.CHANNELS, channels.SMS, oracle.check)
    shop = make_shop(f"p{uuid.uuid4().hex[:12]}.myshopify.com", **scenario["settings"])
    token, phone = f"prop-{uuid.uuid4().hex[:8]}", scenario["phone"]
    country, province = PROPERTY_PHONES[phone]
    clock.set(scenario["start"])
    outcomes = iter(scenario["outcomes"] * 10)
    lateness = iter(scenario["lateness"] * 10)

    def deliver(topic, payload):
        delivery_id = store_delivery(client, signed_webhook, topic, payload, shop=shop.domain)
        assert process_delivery(delivery_id) == "processed"

    for (kind, arg), tick in scenario["steps"]:
        if kind == "deliver":
            updated_at, consent = scenario["versions"][arg]
            deliver("checkouts/update" if arg else "checkouts/create", checkout_payload(
                token, updated_at=updated_at, phone=phone, consent=consent, country=country,
                province=province, email=f"{token}@example.com"))
            oracle.delivered.append((updated_at, consent))
        elif kind == "order":
            deliver("orders/create", order_payload(checkout_token=token, email=None, created_at=clock.now()))
            oracle.ordered = True
        else:
            suppress(shop.id, phone, reason="stop_keyword", source="sms")
            dropped = scheduler.cancel_phone(shop.id, phone, "opt_out") if arg else []
            db.session.commit()
            scheduler.drop_jobs(dropped)
            oracle.opted_out = True
        _run_due(clock, shop.id, tick, outcomes, lateness)
    for _ in range(4):  # then let the plan play out for the rest of the week
        _run_due(clock, shop.id, 24 * 60, outcomes, lateness)
    assert oracle.violations == []


def _run_due(clock, shop_id: int, minutes: int, outcomes, lateness) -> None:
    """Advance the clock in steps, running each attempt that falls due as the worker would."""
    end = clock.now() + timedelta(minutes=minutes)
    while True:
        db.session.expire_all()
        due = db.session.execute(
            select(ContactAttempt).where(ContactAttempt.shop_id == shop_id,
                                         ContactAttempt.status == AttemptStatus.SCHEDULED,
                                         ContactAttempt.scheduled_at <= end)
            .order_by(ContactAttempt.scheduled_at)).scalars().first()
        if due is None:
            break
        clock.set(max(clock.now(), due.scheduled_at + timedelta(minutes=next(lateness))))
        if run_attempt(due.id) == AttemptStatus.DISPATCHED:
            scheduler.record_outcome(due.id, next(outcomes))
    clock.set(max(clock.now(), end))


# -- an order and its checkout processed at the same instant by two workers ------------------------

@pytest.mark.skipif(backend() == "sqlite", reason="SQLite runs one writer at a time: the two "
                                                  "deliveries cannot miss each other there")
def test_an_order_and_its_checkout_processed_at_the_same_instant_never_lead_to_a_contact(
        app, shop, clock, client, signed_webhook, monkeypatch, sent):
    checkout_id = store_delivery(client, signed_webhook, "checkouts/create", checkout_payload())
    order_id = store_delivery(client, signed_webhook, "orders/create", order_payload(created_at=T0))
    # Each worker looks for the other's row, finds nothing (it is not committed yet), and only then
    # goes on: the interleaving the review saw, made certain.
    barrier = threading.Barrier(2, timeout=10)
    racing = {"on": True}
    for name in ("order_for_checkout", "checkouts_for_order"):
        real = getattr(completion, name)

        def after_the_other_looked(*args, _real=real):
            found = _real(*args)
            if racing["on"]:
                barrier.wait()
            return found

        monkeypatch.setattr(completion, name, after_the_other_looked)
    results = {}

    def worker(delivery_id: int) -> None:
        with app.app_context():
            results[delivery_id] = process_delivery(delivery_id)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(d,)) for d in (checkout_id, order_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    racing["on"] = False
    assert results == {checkout_id: "processed", order_id: "processed"}
    db.session.expire_all()
    checkout = _checkout()
    [attempt] = attempts()
    assert checkout.completed_at is None and attempt.status == AttemptStatus.SCHEDULED  # both missed
    clock.set(attempt.scheduled_at)
    assert run_attempt(attempt.id) == AttemptStatus.CANCELED
    assert sent == []
    order = db.session.execute(select(Order)).scalar_one()
    assert _checkout().completed_at == T0 and order.checkout_id == checkout.id
