"""GET /api/checkouts, /api/checkouts/<token>, /api/overview and /api/revenue, as the merchant."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from app.consent.queries import consent_for_checkout, suppress
from app.consent.suppression import phone_hash
from app.dashboard import api as dashboard_api
from app.dashboard.api import (
    CHECKOUT_DETAIL_SCHEMA,
    CHECKOUT_SCHEMA,
    MIN_SAMPLE,
    Status,
    encode_cursor,
    lift_reading,
    parse_range,
    revenue_points,
    token_prefix,
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


# -- revenue days in SQL (PostgreSQL) and here (SQLite): the same days, to the cent -----------------


def _recovered(shop, *orders: tuple[datetime, Decimal | None, str | None], holdout: bool = False) -> None:
    """One recovery per (ordered_at, revenue, currency), each with its checkout and order."""
    for at, revenue, currency in orders:
        checkout = _add_checkout(shop, f"tok-{at:%Y%m%d%H%M%S%f}-{revenue}-{currency}-{holdout}")
        order = Order(shop_id=shop.id, shopify_id=checkout.id, ordered_at=at, total_price=revenue,
                      currency=currency, checkout_id=checkout.id)
        db.session.add(order)
        db.session.flush()
        db.session.add(Recovery(shop_id=shop.id, checkout_id=checkout.id, order_id=order.id,
                                holdout=holdout, channel=None if holdout else "call",
                                match_kind="checkout_token", touched_at=at, ordered_at=at, revenue=revenue,
                                currency=currency))
    db.session.commit()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _days(client, auth, first: str, last: str) -> list[tuple[str, int, str]]:
    body = _get(client, auth, f"/api/revenue?from={first}&to={last}")
    return [(p["date"], p["orders"], p["revenue"]) for p in body["points"]]


def test_revenue_days_follow_the_shop_zone_across_a_dst_change(client, auth, app):
    shop = make_shop()
    shop.iana_timezone, shop.currency = NEW_YORK, "USD"
    usd = (Decimal("10.01"), "USD")
    # New York springs forward on 8 March 2026 (midnight is 05:00 UTC before, 04:00 after) and falls
    # back on 1 November (04:00 UTC before, 05:00 after): each order one second or minute from midnight.
    _recovered(shop, *((_utc(at), *usd) for at in (
        "2026-03-07T04:59:59",   # 6 March, 23:59:59 EST: before the range
        "2026-03-08T04:59:59",   # 7 March, 23:59:59 EST
        "2026-03-08T05:00:00",   # 8 March, 00:00 EST
        "2026-03-09T03:59:59",   # 8 March, 23:59:59 EDT (05:00 UTC would already be 9 March, 01:00)
        "2026-03-09T04:00:00",   # 9 March, 00:00 EDT
        "2026-11-01T03:59:00",   # 31 October, 23:59 EDT
        "2026-11-02T04:30:00",   # 1 November, 23:30 EST (00:30 on 2 November at the summer offset)
        "2026-11-02T05:00:00",   # 2 November, 00:00 EST
    )))
    assert _days(client, auth, "2026-03-07", "2026-03-09") == [
        ("2026-03-07", 1, "10.01"), ("2026-03-08", 2, "20.02"), ("2026-03-09", 1, "10.01")]
    assert _days(client, auth, "2026-10-31", "2026-11-02") == [
        ("2026-10-31", 1, "10.01"), ("2026-11-01", 1, "10.01"), ("2026-11-02", 1, "10.01")]


def test_revenue_days_follow_a_zone_whose_clocks_change_at_midnight(client, auth, app):
    shop = make_shop()
    shop.iana_timezone, shop.currency = "America/Santiago", "CLP"
    # Santiago falls back at midnight on 5 April 2026 (23:00-24:00 on the 4th happens twice) and springs
    # forward at midnight on 6 September (the 6th starts at 01:00).
    _recovered(shop, *((_utc(at), Decimal("1500"), "CLP") for at in (
        "2026-04-05T02:30:00",   # 4 April, 23:30 -03
        "2026-04-05T03:30:00",   # 4 April, 23:30 again, -04
        "2026-04-05T04:00:00",   # 5 April, 00:00 -04
        "2026-09-06T03:59:59",   # 5 September, 23:59:59 -04
        "2026-09-06T04:00:00",   # 6 September, 01:00 -03
        "2026-09-07T02:59:59",   # 6 September, 23:59:59 -03
    )))
    assert _days(client, auth, "2026-04-04", "2026-04-05") == [
        ("2026-04-04", 2, "3000"), ("2026-04-05", 1, "1500")]
    assert _days(client, auth, "2026-09-05", "2026-09-07") == [
        ("2026-09-05", 1, "1500"), ("2026-09-06", 2, "3000"), ("2026-09-07", 0, "0")]


def test_revenue_leaves_out_another_currency_only_when_both_are_known(client, auth, app):
    shop = make_shop()
    shop.iana_timezone, shop.currency = NEW_YORK, "USD"
    at = _utc("2026-06-09T15:00:00")
    _recovered(shop, (at, Decimal("10.10"), "USD"), (at, Decimal("0.205"), None), (at, None, "USD"),
               (at, Decimal("7.00"), "EUR"))
    _recovered(shop, (at, Decimal("99.00"), "USD"), holdout=True)
    # The EUR order is left out; one without a currency counts; one without an amount counts as 0.
    assert _days(client, auth, DAY, DAY) == [(DAY, 3, "10.305")]
    days = parse_range({"from": DAY, "to": DAY}, shop)
    assert revenue_points(shop.id, days, None) == [{"date": DAY, "orders": 4, "revenue": "17.305"}]


def test_revenue_in_sql_is_the_python_bucketing_to_the_cent(app, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite buckets in Python: there is nothing to compare")
    shop = make_shop()
    start = _utc("2026-03-01T00:00:00")
    # Every 7 h 13 min 7 s for ten months: every hour of the day and every DST change on the way, in
    # amounts with a third decimal, without an amount, and in other currencies.
    amounts = [(Decimal("19.99"), "USD"), (Decimal("0.005"), None), (None, "USD"), (Decimal("5.10"), "EUR"),
               (Decimal("1234.567"), "USD")]
    _recovered(shop, *((start + timedelta(seconds=26_000 * n + 7 * n), *amounts[n % len(amounts)])
                       for n in range(1000)))
    for zone in (NEW_YORK, "America/Santiago", "Pacific/Chatham", "Australia/Lord_Howe", "Asia/Kathmandu",
                 "Europe/London", None):
        shop.iana_timezone = zone
        days = parse_range({"from": "2026-02-28", "to": "2026-12-31"}, shop)
        for currency in ("USD", None):
            in_sql = revenue_points(shop.id, days, currency)
            with monkeypatch.context() as patched:
                patched.setattr(dashboard_api, "_daily_in_sql", dashboard_api._daily_in_python)
                assert revenue_points(shop.id, days, currency) == in_sql, (zone, currency)
            assert sum(p["orders"] for p in in_sql) == (1000 if currency is None else 800)


# -- token prefixes: an index range for every character ---------------------------------------------

_TOKENS = ("abc1", "abz", "abz9", "abzz", "abZ", "abZ1", "ab[", "ab{", "ab-", "ab-x", "ab_", "ab%", "ab%x",
           "aba", "ab", "ab9", "ab:", "ab\u00e9", "ab\u00e9\u0301", "ab\U0001f600", "Z2Nw", "ZZ", "zz", "z",
           "-x", "\u00e91", "~", "9z", "a b")


@pytest.mark.parametrize("by_code_point", [True, False], ids=["code-point-order", "any-collation"])
def test_every_token_prefix_finds_exactly_the_tokens_starting_with_it(client, auth, app, monkeypatch,
                                                                       by_code_point):
    monkeypatch.setattr(dashboard_api, "_sorts_by_code_point", lambda: by_code_point)
    shop = make_shop()
    for token in _TOKENS:
        _add_checkout(shop, token)
    prefixes = {token[:n] for token in _TOKENS for n in range(1, len(token) + 1)} | {"abzzz", "ab{x", "ZZZ"}
    for prefix in sorted(prefixes):
        body = _get(client, auth, f"/api/checkouts?per_page=200&q={quote(prefix)}")
        found = [item["token"] for item in body["items"]]
        assert found == [token for token in reversed(_TOKENS) if token.startswith(prefix)], prefix


def _index_conditions(plan: dict) -> list[str]:
    return [plan.get("Index Cond", "")] + [c for p in plan.get("Plans", []) for c in _index_conditions(p)]


@pytest.mark.parametrize("prefix", ["abz", "abZ", "ab-", "ab%", "ab_", "ab:", "z", "Z", "-", "\u00e9",
                                    "ab\U0001f600", "fc16"])
def test_a_token_prefix_ending_in_z_is_an_index_range(app, prefix):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan checked is PostgreSQL's")
    shop = make_shop()
    # Enough checkouts, analysed, that the planner weighs the indexes by what they find.
    db.session.add_all(Checkout(shop_id=shop.id, token=f"{n:032x}", line_items=[]) for n in range(2000))
    db.session.commit()
    db.session.execute(text("ANALYZE checkouts"))
    query = select(Checkout.id).where(Checkout.shop_id == shop.id, *token_prefix(prefix)).compile(db.engine)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    [[[plan]]] = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(query),
                                                         query.params).all()
    conditions = " ".join(_index_conditions(plan["Plan"])).replace("(token)::text", "token")
    assert "token >= " in conditions and "token < " in conditions, conditions
    db.session.rollback()


def test_the_database_is_found_to_sort_tokens_by_code_point_under_c_collations_only(app):
    by_code_point = True  # SQLite compares bytes
    if db.engine.dialect.name == "postgresql":  # libc C, POSIX or C.UTF-8 (as on this machine), not ICU
        collate, provider = db.session.execute(text(
            "SELECT datcollate, to_jsonb(pg_database) ->> 'datlocprovider' FROM pg_database "
            "WHERE datname = current_database()")).one()
        by_code_point = collate in {"C", "C.UTF-8", "C.utf8", "POSIX"} and provider in {None, "c"}
    assert dashboard_api._sorts_by_code_point() is by_code_point


@pytest.mark.parametrize("collation", ["und-x-icu", "en-US-x-icu", "de-x-icu", "C.utf8", "ucs_basic"])
def test_the_letters_and_digits_range_holds_under_linguistic_collations(app, monkeypatch, collation):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("collations are PostgreSQL's")
    if db.session.execute(text("SELECT count(*) FROM pg_collation WHERE collname = :c"), {"c": collation}
                          ).scalar_one() == 0:
        pytest.skip(f"no {collation} collation in this PostgreSQL")
    monkeypatch.setattr(dashboard_api, "_sorts_by_code_point", lambda: False)
    tokens = [*_TOKENS, "ABZ", "Abz", "abz-", "ab z", "ab0", "aB", "a", "b"]
    for prefix in sorted({token[:n] for token in tokens for n in range(1, len(token) + 1)}):
        # The range's bounds as token_prefix gives them, each token compared under `collation`.
        bounds = [(c.operator.__name__, c.right.value) for c in token_prefix(prefix)[1:]]
        inside = {token for token in tokens if all(db.session.execute(
            text(f'SELECT CAST(:t AS text) COLLATE "{collation}" {"<" if op == "lt" else ">="} :b'),
            {"t": token, "b": bound}).scalar_one() for op, bound in bounds)}
        assert {token for token in tokens if token.startswith(prefix)} <= inside, (prefix, bounds)


def test_a_token_prefix_with_a_nul_matches_nothing_and_is_no_database_error(client, auth, app):
    shop = make_shop()
    _add_checkout(shop, "ab")
    for query in ("q=%00", "q=ab%00", "q=%00ab"):
        assert _get(client, auth, f"/api/checkouts?{query}")["items"] == []
