"""One person, one conversation: a shopper's checkouts (same phone or e-mail) are contacted as one,
about the newest, with caps, spacing and holdout counted per person; an order ends it for all."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.extensions import db
from app.recovery import channels, scheduler
from app.recovery import clock as recovery_clock
from app.recovery.jobs import run_attempt
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.recovery.policy import Reason
from app.shopify.webhooks.processing import process_delivery
from tests.recovery.conftest import (
    LA_PHONE,
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
from tests.recovery.numbers import MIAMI

pytestmark = pytest.mark.data


def _checkout(token: str) -> Checkout:
    db.session.expire_all()
    return db.session.execute(select(Checkout).where(Checkout.token == token)).scalar_one()


def _statuses() -> dict[str, list[str]]:
    db.session.expire_all()
    rows = db.session.execute(select(Checkout).order_by(Checkout.id)).scalars()
    return {c.token: [a.status for a in c.attempts] for c in rows}


def test_one_shopper_with_several_open_checkouts_is_contacted_about_the_newest_only(shop, clock, deliver,
                                                                                   run_due, sent):
    deliver(("checkouts/create", checkout_payload("older", updated_at=T0 - timedelta(minutes=20))),
            ("checkouts/create", checkout_payload("newer", updated_at=T0 - timedelta(minutes=5))))
    run_due(clock, hours=1)
    assert [attempt_id for attempt_id, *_ in sent] == [a.id for a in _checkout("newer").attempts]
    [older] = _checkout("older").attempts
    assert older.status == AttemptStatus.CANCELED and older.reason == Reason.SUPERSEDED


def test_checkouts_sharing_only_an_email_are_one_shopper(shop, clock, deliver, run_due, sent):
    deliver(("checkouts/create", checkout_payload("older", updated_at=T0 - timedelta(minutes=20))),
            ("checkouts/create", checkout_payload("newer", phone=LA_PHONE, province="CA",
                                                  updated_at=T0 - timedelta(minutes=5))))
    run_due(clock, hours=6)
    assert {phone for _, phone, _ in sent} == {LA_PHONE}
    assert AttemptStatus.DISPATCHED not in _statuses()["older"]


def test_distinct_shoppers_are_each_contacted(shop, clock, deliver, run_due, sent):
    deliver(*[("checkouts/create", checkout_payload(f"tok-{i}", **shopper(i))) for i in range(3)])
    run_due(clock, hours=1)
    assert len(sent) == 3


def test_an_older_checkout_whose_job_runs_first_is_superseded_not_contacted(shop, clock, deliver, sent):
    """Even when the newer checkout's webhook could not cancel the older plan (e.g. it was lost)."""
    deliver(("checkouts/create", checkout_payload("older", updated_at=T0 - timedelta(minutes=20))))
    [pending] = _checkout("older").attempts
    deliver(("checkouts/create", checkout_payload("newer", updated_at=T0 - timedelta(minutes=5))))
    db.session.execute(  # undo the intake's cancel: the job itself must see the newer checkout
        update(ContactAttempt).where(ContactAttempt.id == pending.id)
        .values(status=AttemptStatus.SCHEDULED, reason=None, finished_at=None))
    db.session.commit()
    clock.set(pending.scheduled_at)
    assert run_attempt(pending.id) == AttemptStatus.SKIPPED
    assert sent == [] and _checkout("older").attempts[0].reason == Reason.SUPERSEDED


def _answer_every_dispatched(outcome: str = "no-answer") -> None:
    for attempt in attempts():
        if attempt.status == AttemptStatus.DISPATCHED:
            scheduler.record_outcome(attempt.id, outcome)


def test_the_conversation_carries_on_across_the_shoppers_checkouts(shop, clock, deliver, run_due, sent):
    configure(shop, max_attempts=2, min_attempt_spacing_minutes=120, sms_fallback_delay_minutes=60)
    deliver(("checkouts/create", checkout_payload("first", updated_at=T0 - timedelta(minutes=40))))
    [call] = _checkout("first").attempts
    assert call.status == AttemptStatus.DISPATCHED
    _answer_every_dispatched()  # the text that follows is planned for the first checkout
    clock.advance(minutes=30)
    # The shopper starts again in a new checkout: the count and the fallback carry over to it.
    deliver(("checkouts/create", checkout_payload("second", updated_at=clock.now())))
    for _ in range(6):
        run_due(clock, hours=4)
        _answer_every_dispatched()
    assert len(sent) == 2  # max_attempts counts the person: one more contact, not two more
    assert [a.status for a in _checkout("first").attempts] == [AttemptStatus.COMPLETED,
                                                               AttemptStatus.CANCELED]
    [second] = [a for a in _checkout("second").attempts if a.dispatched_at is not None]
    assert second.channel == "sms"  # the text that follows an unanswered call, now about this cart


def test_a_shoppers_checkouts_share_one_holdout_decision(shop, clock, deliver):
    configure(shop, holdout_percent=50)
    for i in range(12):
        deliver(("checkouts/create", checkout_payload(f"a-{i}", **shopper(i),
                                                      updated_at=T0 - timedelta(minutes=20))),
                ("checkouts/create", checkout_payload(f"b-{i}", **shopper(i),
                                                      updated_at=T0 - timedelta(minutes=10))))
    pairs = [(_checkout(f"a-{i}").holdout, _checkout(f"b-{i}").holdout) for i in range(12)]
    assert all(a == b for a, b in pairs) and {a for a, _ in pairs} == {True, False}


def test_a_miami_number_with_two_open_checkouts_gets_at_most_three_contacts_a_day(shop, clock, deliver,
                                                                                  run_due, sent):
    configure(shop, max_attempts=5, min_attempt_spacing_minutes=10, sms_fallback_delay_minutes=5)
    # The review's case: two carts, one Miami number; two e-mails, so only the number links them.
    deliver(("checkouts/create", checkout_payload("a", phone=MIAMI, province="FL", email="a@example.com",
                                                  updated_at=T0 - timedelta(minutes=40))),
            ("checkouts/create", checkout_payload("b", phone=MIAMI, province="FL", email="b@example.com",
                                                  updated_at=T0 - timedelta(minutes=35))))
    for _ in range(60):
        run_due(clock, hours=1)
        _answer_every_dispatched()
    times = sorted(at for _, phone, at in sent if phone == MIAMI)
    assert len(times) == 5  # contacts on two days: the cap, not something else, holds them back
    assert all(later - earlier >= timedelta(hours=24) for earlier, later in zip(times, times[3:]))


def test_an_order_ends_outreach_on_the_shoppers_other_checkouts(shop, clock, deliver, run_due, sent):
    deliver(("checkouts/create", checkout_payload("cart-a", updated_at=T0 - timedelta(minutes=20))),
            # The shopper buys from another cart, which carries no consent of its own.
            ("checkouts/create", checkout_payload("cart-b", consent=None,
                                                  updated_at=T0 - timedelta(minutes=10))))
    [pending] = _checkout("cart-a").attempts
    deliver(("orders/create", order_payload(checkout_token="cart-b", created_at=T0)))
    [attempt] = _checkout("cart-a").attempts
    assert attempt.id == pending.id and attempt.status == AttemptStatus.CANCELED
    run_due(clock, minutes=30)
    assert sent == []


def test_an_order_linked_to_the_shopper_by_phone_alone_ends_outreach_too(shop, clock, deliver, run_due,
                                                                          sent):
    deliver(("checkouts/create", checkout_payload("cart-a", email="a@example.com")),
            ("checkouts/create", checkout_payload("cart-b", consent=None, email="b@example.com",
                                                  updated_at=T0 - timedelta(minutes=1))))
    # The order names neither e-mail nor phone: its checkout's phone links the two carts.
    deliver(("orders/create", order_payload(checkout_token="cart-b", email=None, created_at=T0)))
    run_due(clock, minutes=30)
    assert sent == [] and _checkout("cart-a").attempts[0].status == AttemptStatus.CANCELED


def test_a_call_about_one_cart_earns_the_order_placed_from_another(shop, clock, deliver, run_due, sent):
    from app.recovery.models import Recovery

    deliver(("checkouts/create", checkout_payload("called", updated_at=T0 - timedelta(minutes=40))))
    run_due(clock, minutes=30)
    [call] = _checkout("called").attempts
    deliver(("checkouts/create", checkout_payload("bought", consent=None, updated_at=clock.now())),
            ("orders/create", order_payload(checkout_token="bought", created_at=clock.now())))
    recovery = db.session.execute(select(Recovery)).scalar_one()
    assert (recovery.checkout_id, recovery.attempt_id) == (call.checkout_id, call.id)


# -- property: several checkouts per shopper, interleaved orders, two workers at once ---------------

STRICT = {MIAMI: "FL"}
SHOPPER_PHONES = {MIAMI: ("US", "FL"), NY_PHONE: ("US", "NY")}
EMAILS = ["one@example.com", "two@example.com"]
DAY = timedelta(hours=24)


@st.composite
def shopper_scenarios(draw):
    """2-3 checkouts sharing (mostly) one number and maybe an e-mail, created over a day and a half,
    maybe an order from one of them, outcomes for whatever is dispatched."""
    phone = draw(st.sampled_from(sorted(SHOPPER_PHONES)))
    checkouts = [{
        "token": f"c{i}",
        "email": draw(st.sampled_from(EMAILS)),
        "phone": draw(st.sampled_from([phone, phone, LA_PHONE])),
        "consent": draw(st.sampled_from(["yes", "yes", None])),
        "minute": draw(st.integers(0, 36 * 60)),
    } for i in range(draw(st.integers(2, 3)))]
    order = draw(st.none() | st.tuples(st.integers(0, len(checkouts) - 1), st.integers(0, 48 * 60)))
    return {
        "checkouts": checkouts,
        "order": order,
        "settings": {"max_attempts": draw(st.integers(3, 5)),
                     "min_attempt_spacing_minutes": draw(st.sampled_from([10, 30, 120])),
                     "sms_fallback_delay_minutes": draw(st.sampled_from([1, 10])),
                     "first_contact_delay_minutes": draw(st.sampled_from([5, 30])),
                     "contact_window_start": "08:00", "contact_window_end": "21:00"},
        "outcomes": draw(st.lists(st.sampled_from(["no-answer", "busy", "voicemail", "completed"]),
                                  min_size=8, max_size=8)),
    }


class ShopperOracle:
    """What the test knows has happened; checks each dispatch, from any worker, as it is made."""

    def __init__(self, scenario, start):
        self.scenario, self.start = scenario, start
        self.delivered: dict[str, dict] = {}
        self.order_at = None
        self.made: list[tuple] = []  # (at, phone, token, attempt id)
        self.violations: list[str] = []
        self.lock = threading.Lock()

    def check(self, attempt) -> None:
        now = recovery_clock.now()
        token = db.session.get(Checkout, attempt.checkout_id).token
        with self.lock:
            this = self.delivered[token]
            if this["consent"] != "yes":
                self.violations.append(f"{token}: no consent")
            if any(m[3] == attempt.id for m in self.made):
                self.violations.append(f"{token}: attempt dispatched twice")
            if attempt.phone in STRICT:
                recent = [m for m in self.made if m[1] == attempt.phone and m[0] > now - DAY]
                if len(recent) >= 3:
                    self.violations.append(f"{token}: fourth contact to a strict-state number in 24 h")
            if self._settled(token):
                self.violations.append(f"{token}: contacted after the shopper's order")
            for other, seen in self.delivered.items():
                if other != token and seen["consent"] == "yes" and seen["at"] > this["at"] and (
                        seen["email"] == this["email"] or seen["phone"] == this["phone"]) and \
                        not self._settled(other):
                    self.violations.append(f"{token}: contacted while the newer {other} exists")
            self.made.append((now, attempt.phone, token, attempt.id))

    def _settled(self, token: str) -> bool:
        """Whether the order (delivered already) ends outreach for this checkout."""
        if self.order_at is None:
            return False
        index, _ = self.scenario["order"]
        own = self.scenario["checkouts"][index]
        this = self.delivered[token]
        started = this["at"] - timedelta(minutes=10)
        return token == own["token"] or (this["email"] == own["email"] and started <= self.order_at)


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=shopper_scenarios())
def test_no_shopper_is_contacted_twice_over_across_checkouts_orders_and_two_workers(
        app, client, signed_webhook, clock, monkeypatch, scenario):
    db.session.rollback()  # each example starts from a fresh transaction
    start = T0 - timedelta(hours=4)  # 07:00 in New York
    oracle = ShopperOracle(scenario, start)
    monkeypatch.setitem(channels.CHANNELS, channels.CALL, oracle.check)
    monkeypatch.setitem(channels.CHANNELS, channels.SMS, oracle.check)
    shop = make_shop(f"s{uuid.uuid4().hex[:12]}.myshopify.com", **scenario["settings"])
    clock.set(start)
    outcomes = iter(scenario["outcomes"] * 20)
    events = [(c["minute"], "checkout", c) for c in scenario["checkouts"]]
    if scenario["order"] is not None:
        events.append((scenario["order"][1], "order", scenario["checkouts"][scenario["order"][0]]))

    def deliver(topic, payload):
        delivery_id = store_delivery(client, signed_webhook, topic, payload, shop=shop.domain)
        assert process_delivery(delivery_id) == "processed"

    for minute, kind, checkout in sorted(events, key=lambda e: (e[0], e[1])):
        _run_due_with_two_workers(app, clock, shop.id, start + timedelta(minutes=minute), outcomes)
        at = clock.now()
        if kind == "checkout":
            country, province = SHOPPER_PHONES.get(checkout["phone"], ("US", "CA"))
            deliver("checkouts/create", checkout_payload(
                checkout["token"], updated_at=at, phone=checkout["phone"], email=checkout["email"],
                consent=checkout["consent"], country=country, province=province))
            with oracle.lock:
                oracle.delivered[checkout["token"]] = {**checkout, "at": at}
        else:
            deliver("orders/create", order_payload(checkout_token=checkout["token"],
                                                   email=checkout["email"], created_at=at))
            with oracle.lock:
                oracle.order_at = at
    _run_due_with_two_workers(app, clock, shop.id, clock.now() + 3 * DAY, outcomes)
    assert oracle.violations == []


def _run_due_with_two_workers(app, clock, shop_id: int, end, outcomes) -> None:
    """Move the clock to each moment something falls due and run everything due then, two at once."""
    lock = threading.Lock()

    def work(attempt_id: int) -> None:
        with app.app_context():
            if run_attempt(attempt_id) == AttemptStatus.DISPATCHED:
                with lock:
                    outcome = next(outcomes)
                # The outcome arrives later, in a transaction of its own (a callback, in production):
                # on SQLite one that had read before the other worker's commit could not write.
                db.session.rollback()
                scheduler.record_outcome(attempt_id, outcome)
            db.session.remove()

    while True:
        db.session.rollback()
        due = db.session.execute(
            select(ContactAttempt.scheduled_at).where(ContactAttempt.shop_id == shop_id,
                                                      ContactAttempt.status == AttemptStatus.SCHEDULED,
                                                      ContactAttempt.scheduled_at <= end)
            .order_by(ContactAttempt.scheduled_at).limit(1)).scalar_one_or_none()
        if due is None:
            break
        clock.set(max(clock.now(), due))
        ids = db.session.execute(
            select(ContactAttempt.id).where(ContactAttempt.shop_id == shop_id,
                                            ContactAttempt.status == AttemptStatus.SCHEDULED,
                                            ContactAttempt.scheduled_at <= clock.now())).scalars().all()
        db.session.rollback()
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(work, ids))
    db.session.rollback()  # hold no snapshot while webhooks are stored by other connections
    clock.set(max(clock.now(), end))
