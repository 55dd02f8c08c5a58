"""Attribution: an order is a recovery when a contact or a tracked click preceded it within the
merchant's window; holdout conversions are kept; lift comes out right on a known synthetic set."""

from datetime import timedelta
from decimal import Decimal

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.recovery import lift as lift_stats
from app.recovery.attribution import summary
from app.recovery.links import link_token, redirect_target, tracked_url
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Recovery, RecoveryClick
from tests.recovery.conftest import SHOP_DOMAIN, T0, checkout_payload, configure, order_payload

pytestmark = pytest.mark.data

DAY = timedelta(days=1)


def _checkout(shop, token: str, *, holdout: bool = False, status: str | None = AttemptStatus.DISPATCHED,
              channel: str = "call", at=T0) -> Checkout:
    """A checkout with one attempt in `status` at `at` (dispatched, or withheld for holdout)."""
    started = T0 - timedelta(hours=1)
    checkout = Checkout(shop_id=shop.id, token=token, holdout=holdout, line_items=[],
                        shopify_created_at=started, shopify_updated_at=started,
                        recovery_url=f"https://{SHOP_DOMAIN}/1/checkouts/{token}/recover?key=k")
    if status is not None:
        checkout.attempts.append(ContactAttempt(
            shop_id=shop.id, seq=1, channel=channel, scheduled_at=at, status=status,
            dispatched_at=at if status == AttemptStatus.DISPATCHED else None,
            finished_at=at if status == AttemptStatus.WITHHELD else None))
    db.session.add(checkout)
    db.session.commit()
    return checkout


def _recoveries() -> list[Recovery]:
    db.session.expire_all()
    return list(db.session.execute(select(Recovery).order_by(Recovery.id)).scalars())


def test_order_after_a_call_within_the_window_is_a_recovery_with_channel_and_revenue(shop, clock, deliver):
    checkout = _checkout(shop, "tok-1")
    deliver(("orders/create", order_payload(checkout_token="tok-1", total="149.90", currency="CAD",
                                            created_at=T0 + 6 * DAY)))
    [recovery] = _recoveries()
    assert (recovery.checkout_id, recovery.channel, recovery.holdout) == (checkout.id, "call", False)
    assert recovery.revenue == Decimal("149.90") and recovery.currency == "CAD"
    assert recovery.attempt_id == checkout.attempts[0].id and recovery.touched_at == T0
    assert recovery.match_kind == "checkout_token"


def test_order_after_the_attribution_window_is_not_a_recovery(shop, clock, deliver):
    _checkout(shop, "tok-1")
    deliver(("orders/create", order_payload(checkout_token="tok-1", created_at=T0 + 7 * DAY + timedelta(
        minutes=1))))
    assert _recoveries() == []


def test_the_merchants_window_is_honoured(shop, clock, deliver):
    configure(shop, attribution_window_days=2)
    _checkout(shop, "tok-1")
    deliver(("orders/create", order_payload(checkout_token="tok-1", created_at=T0 + 3 * DAY)))
    assert _recoveries() == []


def test_attempts_that_reached_no_one_earn_nothing(shop, clock, deliver):
    _checkout(shop, "tok-1", status=AttemptStatus.AWAITING_CHANNEL)
    _checkout(shop, "tok-2", status=AttemptStatus.SKIPPED)
    deliver(("orders/create", order_payload(checkout_token="tok-1")),
            ("orders/create", order_payload(checkout_token="tok-2")))
    assert _recoveries() == []


def test_bought_elsewhere_after_a_text_is_a_recovery_of_that_checkout(shop, clock, deliver):
    checkout = _checkout(shop, "tok-1", channel="sms")
    checkout.email_hash = _hash("shopper@example.com")
    db.session.commit()
    deliver(("orders/create", order_payload(checkout_token="another", created_at=T0 + DAY)))
    [recovery] = _recoveries()
    assert recovery.channel == "sms" and recovery.match_kind == "customer"


def _hash(value):
    from app.crypto import lookup_hash

    return lookup_hash(value)


def test_holdout_conversion_is_kept_and_flagged(shop, clock, deliver):
    _checkout(shop, "tok-h", holdout=True, status=AttemptStatus.WITHHELD)
    deliver(("orders/create", order_payload(checkout_token="tok-h", created_at=T0 + DAY)))
    [recovery] = _recoveries()
    assert recovery.holdout and recovery.channel is None


def test_click_on_a_tracked_link_counts_even_without_a_contact(shop, clock, client, deliver):
    checkout = _checkout(shop, "tok-1", status=None)
    clock.set(T0 + timedelta(hours=3))
    response = client.get(tracked_url(checkout.id).removeprefix("https://ringback.test"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"https://{SHOP_DOMAIN}/1/checkouts/tok-1/recover?key=k"
    deliver(("orders/create", order_payload(checkout_token="tok-1", created_at=T0 + DAY)))
    [recovery] = _recoveries()
    assert recovery.channel == "link" and recovery.touched_at == T0 + timedelta(hours=3)


def test_click_on_a_link_sent_by_text_is_attributed_to_the_text(shop, clock, client, deliver):
    checkout = _checkout(shop, "tok-1", channel="sms")
    attempt_id = checkout.attempts[0].id
    clock.set(T0 + timedelta(hours=1))
    assert client.get(f"/r/{link_token(checkout.id, attempt_id)}").status_code == 302
    deliver(("orders/create", order_payload(checkout_token="tok-1", created_at=T0 + DAY)))
    [recovery] = _recoveries()
    assert recovery.channel == "sms" and recovery.attempt_id == attempt_id


def test_forged_or_tampered_link_is_404_and_records_nothing(shop, clock, client, app):
    checkout = _checkout(shop, "tok-1")
    good = link_token(checkout.id)
    forger = URLSafeTimedSerializer("not-the-secret", salt="ringback.recovery-link")
    forged = forger.dumps([checkout.id, None])
    for token in (good[:-2] + "xx", forged, "junk", link_token(checkout.id + 999)):
        assert client.get(f"/r/{token}").status_code == 404
    assert db.session.execute(select(RecoveryClick)).first() is None


def test_expired_link_is_404(shop, clock, client, monkeypatch):
    from app.recovery import links

    checkout = _checkout(shop, "tok-1")
    token = link_token(checkout.id)
    monkeypatch.setattr(links, "LINK_MAX_AGE", timedelta(seconds=-1))
    assert client.get(f"/r/{token}").status_code == 404


@pytest.mark.parametrize("url,expected", [
    ("https://alpha.myshopify.com/1/checkouts/t/recover?key=k", "https://alpha.myshopify.com/1/checkouts/t/recover?key=k"),
    ("https://checkout.shopify.com/1/checkouts/t", "https://checkout.shopify.com/1/checkouts/t"),
    ("https://shop.example.com/1/checkouts/t/recover?key=k", "https://alpha.myshopify.com/1/checkouts/t/recover?key=k"),
    ("https://evil.com@alpha.myshopify.com/x", None),
    ("http://alpha.myshopify.com/1/checkouts/t", None),
    ("javascript:alert(1)", None),
    ("//evil.com/x", None),
    ("https://alpha.myshopify.com:8443/x", None),
    ("", None),
])
def test_redirect_target_is_never_an_open_redirect(url, expected):
    assert redirect_target(url, SHOP_DOMAIN) == expected


def test_link_to_a_checkout_with_an_unsafe_url_is_404(shop, clock, client):
    checkout = _checkout(shop, "tok-1")
    checkout.recovery_url = "http://evil.example/phish"
    db.session.commit()
    assert client.get(f"/r/{link_token(checkout.id)}").status_code == 404


def test_lift_on_a_synthetic_data_set_with_a_known_answer(shop, clock, deliver):
    """210 contacted checkouts, 50 recovered in the window (10 more ordered too late); 100 holdout
    checkouts, 10 converted: lift = 50/210 - 10/100 = 0.138095..."""
    for i in range(210):
        _checkout(shop, f"c-{i}", channel="call" if i % 2 else "sms")
    for i in range(100):
        _checkout(shop, f"h-{i}", holdout=True, status=AttemptStatus.WITHHELD)
    orders = [order_payload(checkout_token=f"c-{i}", total="100.00", created_at=T0 + 2 * DAY)
              for i in range(50)]
    orders += [order_payload(checkout_token=f"c-{i}", created_at=T0 + 9 * DAY) for i in range(50, 60)]
    orders += [order_payload(checkout_token=f"h-{i}", total="80.00", created_at=T0 + DAY) for i in range(10)]
    deliver(*[("orders/create", payload) for payload in orders])

    result = summary(shop.id)
    assert result["contacted"] == {"checkouts": 210, "recovered": 50}
    assert result["holdout"] == {"checkouts": 100, "recovered": 10}
    assert result["revenue"] == {"USD": "5000.00"}
    assert result["by_channel"] == {"call": 25, "sms": 25}
    expected = lift_stats.lift(50, 210, 10, 100)
    assert result["lift"] == {
        "rate_contacted": expected.rate_contacted, "rate_holdout": expected.rate_holdout,
        "lift": expected.lift, "ci_low": expected.ci_low, "ci_high": expected.ci_high,
        "confidence": 0.95, "significant": expected.significant}
    assert result["lift"]["lift"] == pytest.approx(50 / 210 - 10 / 100)
    assert result["lift"]["rate_contacted"] == pytest.approx(50 / 210)
    assert result["lift"]["ci_low"] < result["lift"]["lift"] < result["lift"]["ci_high"]
    assert len(_recoveries()) == 60


def test_summary_can_be_limited_to_recent_contacts(shop, clock):
    _checkout(shop, "old", at=T0 - 40 * DAY)
    _checkout(shop, "new", at=T0 - DAY)
    assert summary(shop.id, since=T0 - 30 * DAY)["contacted"]["checkouts"] == 1
    assert summary(shop.id)["contacted"]["checkouts"] == 2


def test_intake_path_end_to_end_dispatch_then_order_is_a_recovery(shop, clock, deliver, run_due, sent):
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=30)
    assert len(sent) == 1
    deliver(("orders/create", order_payload(created_at=clock.now() + timedelta(hours=2))))
    [recovery] = _recoveries()
    assert recovery.channel == "call" and recovery.revenue == Decimal("120.00")


def test_three_decimal_currencies_stay_exact_in_recovered_revenue(shop, clock, deliver):
    for token in ("kw-1", "kw-2", "jp-1"):
        _checkout(shop, token)
    deliver(("orders/create", order_payload(checkout_token="kw-1", total="12.345", currency="KWD")),
            ("orders/create", order_payload(checkout_token="kw-2", total="0.001", currency="KWD")),
            ("orders/create", order_payload(checkout_token="jp-1", total="1500", currency="JPY")))
    assert summary(shop.id)["revenue"] == {"KWD": "12.346", "JPY": "1500"}
