"""GET /api/checkouts, /api/checkouts/<token>, /api/overview and /api/revenue, as the merchant."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.consent.queries import consent_for_checkout, suppress
from app.consent.suppression import phone_hash
from app.dashboard.api import (
    CHECKOUT_DETAIL_SCHEMA,
    CHECKOUT_SCHEMA,
    MIN_SAMPLE,
    Status,
    encode_cursor,
    lift_reading,
)
from app.extensions import db
from app.recovery import lift as lift_stats
from app.recovery import scheduler
from app.recovery.facts import holdout_secret
from app.recovery.holdout import is_holdout
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order, Recovery
from app.sms.models import Message
from app.voice.models import Call
from tests.consent.statements import counting_statements
from tests.recovery import conftest as recovery
from tests.recovery.conftest import (
    SHOP_DOMAIN,
    T0,
    checkout_payload,
    configure,
    make_shop,
    order_payload,
    shopper,
)

pytestmark = pytest.mark.data
# The recovery fixtures: their conftest is not above this directory.
clock, deliver, run_due, sent = recovery.clock, recovery.deliver, recovery.run_due, recovery.sent

DAY = "2026-06-09"  # T0's day in New York (11:00 there)
NEW_YORK = "America/New_York"
BETA = "beta.myshopify.com"
HOLDOUT_PERCENT = 50


@pytest.fixture
def auth(id_token):
    def headers(shop: str = "alpha.myshopify.com") -> dict[str, str]:
        return {"Authorization": f"Bearer {id_token(shop)}"}

    return headers


def _get(client, auth, path: str, shop: str = "alpha.myshopify.com"):
    response = client.get(path, headers=auth(shop))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _attempt(token: str) -> ContactAttempt:
    """The checkout's latest attempt."""
    db.session.expire_all()
    return db.session.execute(
        select(ContactAttempt).join(Checkout, Checkout.id == ContactAttempt.checkout_id)
        .where(Checkout.token == token).order_by(ContactAttempt.seq.desc())
    ).scalars().first()


def _checkout(token: str) -> Checkout:
    db.session.expire_all()
    return db.session.execute(select(Checkout).where(Checkout.token == token)).scalar_one()


def _by_token(body) -> dict[str, dict]:
    return {item["token"]: item for item in body["items"]}


@pytest.fixture
def seeded(app, clock, deliver, run_due, sent):
    """One day of a New York shop, through the real webhooks, jobs and outcomes:

    a: called, link sent, ordered (recovered)     b: called, no answer, text fallback planned
    c: no consent                                  d: holdout, ordered anyway (a holdout conversion)
    e: texts only, the text delivered, next planned f: called, declined
    g: holdout, no order                           old: two days earlier, no consent
    """
    shop = make_shop()
    shop.iana_timezone, shop.currency = NEW_YORK, "USD"
    db.session.commit()
    deliver(("checkouts/create", checkout_payload("tok-a", **shopper(1))),
            ("checkouts/create", checkout_payload("tok-b", **shopper(2))),
            ("checkouts/create", checkout_payload("tok-c", consent=None, **shopper(3))),
            ("checkouts/create", checkout_payload("tok-e", consent=None, buyer_accepts_sms_marketing=True,
                                                  sms_marketing_phone=shopper(5)["phone"], **shopper(5))),
            ("checkouts/create", checkout_payload("tok-f", **shopper(6))),
            ("checkouts/create", checkout_payload("tok-old", updated_at=T0 - timedelta(days=2), consent=None,
                                                  **shopper(9))))
    held_ordered, held = _held_out("tok-d"), _held_out("tok-g")
    configure(shop, holdout_percent=HOLDOUT_PERCENT)
    deliver(("checkouts/create", checkout_payload(held_ordered, **shopper(4))),
            ("checkouts/create", checkout_payload(held, **shopper(7))))
    configure(shop, holdout_percent=0)
    run_due(clock, minutes=31)
    for token, outcome in (("tok-a", "link_sent"), ("tok-b", "no_answer"), ("tok-f", "declined")):
        assert scheduler.record_outcome(_attempt(token).id, outcome)
    text = _attempt("tok-e")
    db.session.add(Message(shop_id=shop.id, checkout_id=text.checkout_id, attempt_id=text.id, kind="recovery",
                           phone=shopper(5)["phone"], phone_hash=phone_hash(shopper(5)["phone"]),
                           body="Alpha Goods: your cart", status="delivered"))
    called = _attempt("tok-f")
    db.session.add(Call(shop_id=shop.id, checkout_id=called.checkout_id, attempt_id=called.id,
                        status="completed", outcome="declined", phone=shopper(6)["phone"],
                        phone_hash=phone_hash(shopper(6)["phone"])))
    db.session.commit()
    assert scheduler.record_outcome(text.id, "sent")
    # 22:00 in New York, already the next day in UTC.
    deliver(("orders/create", order_payload(checkout_token="tok-a", email=shopper(1)["email"],
                                            created_at=T0 + timedelta(hours=11))),
            ("orders/create", order_payload(checkout_token=held_ordered, email=shopper(4)["email"],
                                            total="80.00", created_at=T0 + timedelta(hours=3))))
    return SimpleNamespace(shop=shop, d=held_ordered, g=held)


def _held_out(prefix: str) -> str:
    """A token starting with `prefix` that the shop's holdout draw puts in the holdout group."""
    return next(token for token in (f"{prefix}{n or ''}" for n in range(100))
                if is_holdout(holdout_secret(), SHOP_DOMAIN, token, HOLDOUT_PERCENT))


# -- GET /api/checkouts ------------------------------------------------------------------------------

def test_checkouts_carry_the_contract_fields(client, auth, seeded):
    items = _by_token(_get(client, auth, "/api/checkouts"))
    assert all(set(CHECKOUT_SCHEMA["required"]) <= set(item) for item in items.values())
    a = items["tok-a"]
    assert a["id"] == _checkout("tok-a").id and a["status"] == "recovered" and a["recovered"] is True
    assert a["total_price"] == "120.00" and a["currency"] == "USD"
    assert a["consent"] == ["call", "sms"] and a["holdout"] is False
    assert a["next_contact_at"] is None and a["last_outcome"] == "link_sent"
    assert a["created_at"] == (T0 - timedelta(minutes=15)).isoformat()
    assert a["updated_at"] == (T0 - timedelta(minutes=5)).isoformat()
    b = items["tok-b"]
    planned = _attempt("tok-b")
    assert (b["next_contact_at"], b["next_contact_channel"]) == (planned.scheduled_at.isoformat(), "sms")
    assert datetime.fromisoformat(b["next_contact_at"]).utcoffset() == timedelta(0)
    assert b["last_outcome"] == "no_answer" and b["recovered"] is False
    assert items["tok-e"]["consent"] == ["sms"] and items["tok-c"]["consent"] == []
    assert items[seeded.g]["holdout"] is True and items[seeded.g]["next_contact_at"] is None


def test_each_checkout_gets_the_status_that_describes_it(client, auth, seeded):
    db.session.add(Checkout(shop_id=seeded.shop.id, token="tok-erased", line_items=[], erased_at=T0))
    db.session.commit()
    items = _by_token(_get(client, auth, "/api/checkouts"))
    assert {token: (item["status"], item["reason"]) for token, item in items.items()} == {
        "tok-a": ("recovered", None), "tok-b": ("scheduled", None), "tok-c": ("not_contacted", "no_consent"),
        seeded.d: ("completed", None), "tok-e": ("scheduled", None), "tok-f": ("contacted", None),
        seeded.g: ("not_contacted", "holdout"), "tok-old": ("not_contacted", "no_consent"),
        "tok-erased": ("erased", None)}
    # The filter agrees with the status shown, for every status of the vocabulary.
    for status in Status:
        listed = _get(client, auth, f"/api/checkouts?status={status}")["items"]
        assert {item["token"] for item in listed} == {
            token for token, item in items.items() if item["status"] == status}


def test_filters_by_channel_and_token_prefix(client, auth, seeded):
    def tokens(query):
        return [item["token"] for item in _get(client, auth, f"/api/checkouts?{query}")["items"]]

    assert set(tokens("channel=call")) == {"tok-a", "tok-b", "tok-f"}
    assert set(tokens("channel=sms")) == {"tok-b", "tok-e"}  # b: the planned fallback text
    assert tokens("q=tok-a") == ["tok-a"] and tokens("q=tok-") == tokens("")
    assert tokens("status=scheduled&channel=call") == ["tok-b"]
    for token in ("abc1", "abc2", "abd1", "ABC3", "ab", "ab9f", "ab9", "aba", "ab:", "abz"):
        db.session.add(Checkout(shop_id=seeded.shop.id, token=token, line_items=[]))
    db.session.commit()
    # Case-sensitive and exact on both databases, alphanumeric prefixes matched through the index range.
    assert tokens("q=abc") == ["abc2", "abc1"] and tokens("q=ABC") == ["ABC3"]
    assert tokens("q=ab9") == ["ab9", "ab9f"] and tokens("q=abz") == ["abz"] and tokens("q=ab:") == ["ab:"]
    assert tokens("q=ab") == ["abz", "ab:", "aba", "ab9", "ab9f", "ab", "abd1", "abc2", "abc1"]
    assert tokens("q=abzz") == []


def test_keyset_pagination_walks_every_checkout_once(client, auth, app):
    shop = make_shop()
    ids = [_add_checkout(shop, f"tok-{n}").id for n in range(8)]
    seen, pages, cursor = [], [], "1"
    while cursor is not None:
        body = _get(client, auth, f"/api/checkouts?per_page=3&page={cursor}")
        assert body["page"] == (1 if cursor == "1" else cursor) and body["per_page"] == 3
        pages.append([item["id"] for item in body["items"]])
        seen += pages[-1]
        cursor = body["next_page"]
        if len(pages) == 1:
            assert isinstance(cursor, str)
            _add_checkout(shop, "tok-late")  # a new row does not shift the pages already cut
    assert [len(page) for page in pages] == [3, 3, 2]
    assert seen == sorted(ids, reverse=True) and len(set(seen)) == len(seen)
    assert _get(client, auth, "/api/checkouts?per_page=3")["items"][0]["token"] == "tok-late"


def _add_checkout(shop, token: str, **columns) -> Checkout:
    checkout = Checkout(shop_id=shop.id, token=token, line_items=[], **columns)
    db.session.add(checkout)
    db.session.commit()
    return checkout


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("query", [
    "page=0", "page=2", "page=x", "page=" + "9" * 30, "page=" + _b64("after:0"), "page=" + _b64("after:-3"),
    "page=" + _b64("after:99999999999"), "page=" + _b64("before:5"), "page=" + _b64("after:5") + "==",
    "page=%FF", "page=", "per_page=0", "per_page=x", "status=lost", "status=", "channel=fax",
    "q=" + "x" * 256,
])
def test_a_malformed_cursor_or_filter_is_a_422(client, auth, app, query):
    make_shop()
    response = client.get(f"/api/checkouts?{query}", headers=auth())
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_query" and response.get_json()["errors"]


def test_a_cursor_of_a_row_that_is_gone_still_pages_on(client, auth, app):
    shop = make_shop()
    first = _add_checkout(shop, "tok-1")
    body = _get(client, auth, f"/api/checkouts?page={encode_cursor(first.id + 100)}")
    assert [item["token"] for item in body["items"]] == ["tok-1"] and body["next_page"] is None


@pytest.mark.parametrize("path", ["/api/checkouts", "/api/checkouts/tok-1", "/api/overview", "/api/revenue"])
def test_the_dashboard_needs_a_session_token(client, app, id_token, path):
    make_shop()
    expired = id_token(exp=int(time.time()) - 60)
    for headers in ({}, {"Authorization": f"Bearer {expired}"}, {"Authorization": "Bearer junk"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_another_shops_checkout_is_a_404_and_not_listed(client, auth, app):
    alpha, beta = make_shop(), make_shop(BETA)
    _add_checkout(alpha, "tok-alpha")
    _add_checkout(beta, "tok-beta")
    assert client.get("/api/checkouts/tok-beta", headers=auth()).status_code == 404
    for path in ("/api/checkouts/unknown", "/api/checkouts/" + "x" * 300):
        assert client.get(path, headers=auth()).status_code == 404
    assert [i["token"] for i in _get(client, auth, "/api/checkouts")["items"]] == ["tok-alpha"]
    assert [i["token"] for i in _get(client, auth, "/api/checkouts?q=tok-beta")["items"]] == []
    assert _get(client, auth, "/api/checkouts/tok-beta", BETA)["token"] == "tok-beta"


def test_one_checkout_has_its_attempts_calls_and_texts(client, auth, seeded):
    b = _get(client, auth, "/api/checkouts/tok-b")
    assert set(CHECKOUT_DETAIL_SCHEMA["required"]) <= set(b)
    assert [(a["seq"], a["channel"], a["status"], a["outcome"]) for a in b["attempts"]] == [
        (1, "call", "completed", "no_answer"), (2, "sms", "scheduled", None)]
    assert b["attempts"][0]["dispatched_at"] == (T0 + timedelta(minutes=31)).isoformat()
    assert b["attempts"][1]["scheduled_at"] == b["next_contact_at"]
    assert b["calls"] == [] and b["messages"] == 0
    f = _get(client, auth, "/api/checkouts/tok-f")
    [call] = f["calls"]
    assert call["outcome"] == "declined" and call["status"] == "completed" and isinstance(call["id"], int)
    assert _get(client, auth, "/api/checkouts/tok-e")["messages"] == 1
    g = _get(client, auth, f"/api/checkouts/{seeded.g}")
    assert [(a["status"], a["reason"]) for a in g["attempts"]] == [("withheld", "holdout")]


def test_the_list_costs_the_same_queries_for_2_or_50_checkouts(client, auth, app, clock, deliver):
    make_shop()
    deliver(*[("checkouts/create", checkout_payload(f"tok-{n}", **shopper(n))) for n in range(50)])

    def statements(per_page: int) -> int:
        with counting_statements(db.engine) as sql:
            assert len(_get(client, auth, f"/api/checkouts?per_page={per_page}")["items"]) == per_page
        return len(sql)

    assert statements(2) == statements(50) <= 5  # shop, page, attempts, consent + suppressions


def test_consent_in_the_list_is_what_the_ledger_says(client, auth, app, clock, deliver):
    shop = make_shop()
    same_phone = {"phone": "+12125550100", "email": "one@example.com"}
    deliver(("checkouts/create", checkout_payload("yes", **shopper(1))),
            ("checkouts/create", checkout_payload("no", consent="no", **shopper(2))),
            ("checkouts/create", checkout_payload("sms-only", consent=None, buyer_accepts_sms_marketing=True,
                                                  sms_marketing_phone=shopper(3)["phone"], **shopper(3))),
            ("checkouts/create", checkout_payload("later-no-by-phone", **same_phone)),
            ("checkouts/create", checkout_payload("the-no", consent="no", updated_at=T0, phone="+12125550100",
                                                  email="else@example.com")),
            ("checkouts/create", checkout_payload("later-no-by-email", **shopper(4))),
            ("checkouts/create", checkout_payload("no-by-email", consent="no", updated_at=T0, phone=None,
                                                  email=shopper(4)["email"])),
            ("checkouts/create", checkout_payload("texts-suppressed", **shopper(5))),
            ("checkouts/create", checkout_payload("all-suppressed", **shopper(6))))
    suppress(shop.id, shopper(5)["phone"], channel="sms", reason="merchant", source="test")
    suppress(None, shopper(6)["phone"], channel="all", reason="stop_keyword", source="test")
    db.session.commit()
    items = _by_token(_get(client, auth, "/api/checkouts?per_page=200"))
    for token, item in items.items():
        state = consent_for_checkout(shop.id, token)
        assert item["consent"] == [ch for ch in ("call", "sms") if getattr(state, ch)], token
    assert items["yes"]["consent"] == ["call", "sms"] and items["texts-suppressed"]["consent"] == ["call"]
    assert items["later-no-by-phone"]["consent"] == items["later-no-by-email"]["consent"] == []


# -- GET /api/overview -------------------------------------------------------------------------------

def test_overview_funnel_channels_and_lift_on_a_seeded_day(client, auth, seeded):
    body = _get(client, auth, f"/api/overview?from={DAY}&to={DAY}")
    assert body["range"] == {"from": DAY, "to": DAY, "timezone": NEW_YORK} and body["currency"] == "USD"
    # tok-old started two days earlier: not in the range.
    assert body["funnel"] == {"abandoned": 7, "consented": 6, "contacted": 4, "reached": 3, "recovered": 1}
    assert body["recovered"] == {"orders": 1, "revenue": "120.00"}  # the holdout conversion is not ours
    assert body["channels"] == [
        {"channel": "call", "contacted": 3, "reached": 2, "recovered": 1, "rate": 0.3333},
        {"channel": "sms", "contacted": 1, "reached": 1, "recovered": 0, "rate": 0.0}]
    lift = body["lift"]
    assert lift["contacted"] == {"checkouts": 4, "recovered": 1, "rate": 0.25}
    assert lift["holdout"] == {"checkouts": 2, "recovered": 1, "rate": 0.5}
    assert lift["enough_data"] is False and lift["min_sample"] == MIN_SAMPLE
    assert lift["points"] is lift["ci_low"] is lift["ci_high"] is None
    assert lift["reading"] == ("Not enough data yet: 28 more checkouts in each group before the difference "
                               "means anything.")


def test_consented_is_the_shoppers_last_word_at_the_checkout(client, auth, app, clock, deliver):
    shop = make_shop()
    later = {"updated_at": T0, "consent_at": T0}
    deliver(("checkouts/create", checkout_payload("yes-then-no", **shopper(1))),
            ("checkouts/update", checkout_payload("yes-then-no", consent="no", **later, **shopper(1))),
            ("checkouts/create", checkout_payload("no-then-yes", consent="no", **shopper(2))),
            ("checkouts/update", checkout_payload("no-then-yes", **later, **shopper(2))),
            ("checkouts/create", checkout_payload("yes-then-opted-out", **shopper(3))),
            ("checkouts/create", checkout_payload("never-asked", consent=None, **shopper(4))))
    suppress(shop.id, shopper(3)["phone"], channel="all", reason="verbal_opt_out", source="test")
    db.session.commit()
    body = _get(client, auth, f"/api/overview?from={DAY}&to={DAY}")
    # An opt-out since then does not take a checkout out of the funnel; the list says what stands now.
    assert body["funnel"]["abandoned"] == 4 and body["funnel"]["consented"] == 2
    items = _by_token(_get(client, auth, "/api/checkouts"))
    assert items["no-then-yes"]["consent"] == ["call", "sms"] and items["yes-then-opted-out"]["consent"] == []
    assert items["yes-then-no"]["consent"] == []


def test_overview_defaults_to_the_last_30_days_in_the_shops_time_zone(client, auth, seeded, clock):
    clock.set(datetime(2026, 6, 10, 3, 0, tzinfo=UTC))  # still June 9 in New York
    body = _get(client, auth, "/api/overview")
    assert body["range"] == {"from": "2026-05-11", "to": DAY, "timezone": NEW_YORK}
    assert body["funnel"]["abandoned"] == 8
    only_to = _get(client, auth, f"/api/overview?to={DAY}")["range"]
    assert only_to["from"] == "2026-05-11"
    assert _get(client, auth, "/api/overview?from=2026-06-01")["range"]["to"] == DAY


def test_the_lift_reading_once_both_groups_are_large_enough(client, auth, app):
    shop = make_shop()
    _arm(shop, "c", checkouts=200, recovered=60, holdout=False)
    _arm(shop, "h", checkouts=200, recovered=20, holdout=True)
    lift = _get(client, auth, "/api/overview?from=2026-06-09&to=2026-06-09")["lift"]
    expected = lift_stats.lift(60, 200, 20, 200)
    assert lift["enough_data"] is True
    assert lift["contacted"] == {"checkouts": 200, "recovered": 60, "rate": 0.3}
    assert lift["holdout"] == {"checkouts": 200, "recovered": 20, "rate": 0.1}
    assert lift["points"] == 20.0
    assert lift["ci_low"] == round(expected.ci_low * 100, 2)
    assert lift["ci_high"] == round(expected.ci_high * 100, 2)
    assert lift["reading"] == (f"Ringback recovered 20.0 percentage points more checkouts than doing nothing "
                               f"(95 % CI {expected.ci_low * 100:.1f}\u2013{expected.ci_high * 100:.1f}).")


def _arm(shop, prefix: str, *, checkouts: int, recovered: int, holdout: bool) -> None:
    """Checkouts of one lift arm on T0's day (contacted by call, or withheld), `recovered` of them ordered."""
    at = T0 + timedelta(minutes=30)
    for n in range(checkouts):
        checkout = Checkout(shop_id=shop.id, token=f"{prefix}-{n}", line_items=[], holdout=holdout,
                            shopify_created_at=T0, shopify_updated_at=T0)
        status = AttemptStatus.WITHHELD if holdout else AttemptStatus.COMPLETED
        checkout.attempts.append(ContactAttempt(
            shop_id=shop.id, seq=1, channel="call", scheduled_at=at, status=status,
            outcome=None if holdout else "declined", dispatched_at=None if holdout else at, finished_at=at))
        db.session.add(checkout)
        if n < recovered:
            db.session.flush()
            order = Order(shop_id=shop.id, shopify_id=(2 if holdout else 1) * 10**6 + n,
                          ordered_at=at + timedelta(hours=1), total_price=Decimal("50.00"), currency="USD",
                          checkout_id=checkout.id)
            db.session.add(order)
            db.session.flush()
            db.session.add(Recovery(shop_id=shop.id, checkout_id=checkout.id, order_id=order.id,
                                    channel=None if holdout else "call", match_kind="checkout_token",
                                    holdout=holdout, touched_at=at, ordered_at=order.ordered_at,
                                    revenue=order.total_price, currency="USD"))
    db.session.commit()


@pytest.mark.parametrize("counts,reading", [
    ((0, 0, 0, 0), "Not enough data yet: 30 more checkouts in each group before the difference means "
                   "anything."),
    ((29, 3, 200, 9), "Not enough data yet: 1 more checkout in the contacted group before the difference "
                      "means anything."),
    ((500, 50, 12, 1), "Not enough data yet: 18 more checkouts in the holdout group before the difference "
                       "means anything."),
    ((100, 12, 100, 10), "Contacted checkouts recovered 2.0 percentage points more than the holdout, but "
                         "that is no clear difference yet (95 % CI \u22127.0\u201311.0)."),
    ((100, 5, 100, 20), "Ringback recovered 15.0 percentage points fewer checkouts than doing nothing "
                        "(95 % CI \u221224.3\u2013\u22125.9)."),
])
def test_the_lift_reading_says_what_the_numbers_mean(counts, reading):
    contacted, contacted_recovered, holdout, holdout_recovered = counts
    body = lift_reading(contacted, contacted_recovered, holdout, holdout_recovered)
    assert body["reading"] == reading
    assert body["enough_data"] is (min(contacted, holdout) >= MIN_SAMPLE)


def test_without_a_holdout_the_reading_says_so(client, auth, app):
    make_shop()  # holdout_percent 0
    assert _get(client, auth, "/api/overview")["lift"]["reading"].startswith("No holdout group")


@pytest.mark.parametrize("query", [
    "from=2026-6-1", "from=junk", "from=20260601", "to=2026-02-30", "from=2026-06-10&to=2026-06-09",
    "from=2024-06-09&to=2026-06-09", "from=2026-06-09T00:00", "to=",
])
@pytest.mark.parametrize("path", ["/api/overview", "/api/revenue"])
def test_a_bad_date_range_is_a_422(client, auth, app, clock, path, query):
    make_shop()
    response = client.get(f"{path}?{query}", headers=auth())
    assert response.status_code == 422 and response.get_json()["errors"]


def test_a_range_of_730_days_is_allowed(client, auth, app, clock):
    make_shop()
    body = _get(client, auth, "/api/revenue?from=2024-06-10&to=2026-06-09")
    assert len(body["points"]) == 730


# -- GET /api/revenue --------------------------------------------------------------------------------

def test_revenue_has_a_point_for_every_day_zeros_included(client, auth, seeded):
    body = _get(client, auth, "/api/revenue?from=2026-06-07&to=2026-06-11")
    assert body["currency"] == "USD" and body["timezone"] == NEW_YORK
    assert body["points"] == [
        {"date": "2026-06-07", "orders": 0, "revenue": "0.00"},
        {"date": "2026-06-08", "orders": 0, "revenue": "0.00"},
        {"date": DAY, "orders": 1, "revenue": "120.00"},  # 22:00 in New York; the holdout order is not ours
        {"date": "2026-06-10", "orders": 0, "revenue": "0.00"},
        {"date": "2026-06-11", "orders": 0, "revenue": "0.00"}]
    overview = _get(client, auth, "/api/overview?from=2026-06-07&to=2026-06-11")
    assert overview["recovered"] == {"orders": 1, "revenue": "120.00"}


def test_revenue_days_are_the_shops_days(client, auth, seeded):
    seeded.shop.iana_timezone = None  # unknown: UTC, where that order was placed on June 10
    db.session.commit()
    body = _get(client, auth, "/api/revenue?from=2026-06-09&to=2026-06-10")
    assert body["timezone"] == "UTC"
    assert [(p["date"], p["orders"]) for p in body["points"]] == [(DAY, 0), ("2026-06-10", 1)]


def test_revenue_is_the_tokens_shops_only(client, auth, seeded):
    make_shop(BETA)
    body = _get(client, auth, "/api/revenue?from=2026-06-09&to=2026-06-10", BETA)
    assert all(p["orders"] == 0 for p in body["points"])


def test_the_dashboard_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/checkouts", "/api/checkouts/{token}", "/api/overview", "/api/revenue"):
        assert "200" in paths[path]["get"]["responses"] and "401" in paths[path]["get"]["responses"]
    names = {p["name"] for p in paths["/api/checkouts"]["get"]["parameters"]}
    assert {"page", "per_page", "status", "channel", "q"} <= names
    assert "404" in paths["/api/checkouts/{token}"]["get"]["responses"]
    assert {p["name"] for p in paths["/api/overview"]["get"]["parameters"]} == {"from", "to"}
