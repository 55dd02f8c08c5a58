"""GET /api/recovery/summary: the shop's own numbers only, behind the session token."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from tests.recovery.conftest import T0, make_shop

pytestmark = pytest.mark.data


def _auth(id_token, shop="alpha.myshopify.com"):
    return {"Authorization": f"Bearer {id_token(shop)}"}


def _contacted(shop, token, at=T0):
    checkout = Checkout(shop_id=shop.id, token=token, line_items=[], holdout=False)
    checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="call", scheduled_at=at,
                                            status=AttemptStatus.DISPATCHED, dispatched_at=at))
    db.session.add(checkout)
    db.session.commit()


def test_summary_returns_counts_revenue_and_lift(client, shop, clock, id_token):
    _contacted(shop, "a")
    body = client.get("/api/recovery/summary", headers=_auth(id_token)).json
    assert body["contacted"] == {"checkouts": 1, "recovered": 0}
    assert body["holdout"] == {"checkouts": 0, "recovered": 0}
    assert body["revenue"] == {} and body["by_channel"] == {} and body["days"] is None
    assert isinstance(body["lift"], dict)


def test_summary_is_scoped_to_the_tokens_shop(client, shop, clock, id_token):
    _contacted(make_shop("beta.myshopify.com"), "b")
    body = client.get("/api/recovery/summary", headers=_auth(id_token)).json
    assert body["contacted"]["checkouts"] == 0


def test_days_limits_the_period(client, shop, clock, id_token):
    _contacted(shop, "old", at=T0 - timedelta(days=40))
    _contacted(shop, "new", at=T0 - timedelta(days=2))
    body = client.get("/api/recovery/summary?days=30", headers=_auth(id_token)).json
    assert body["contacted"]["checkouts"] == 1 and body["days"] == 30


@pytest.mark.parametrize("days", ["0", "-3", "abc", "731", ""])
def test_bad_days_is_400(client, shop, id_token, days):
    assert client.get(f"/api/recovery/summary?days={days}", headers=_auth(id_token)).status_code == 400


def test_summary_needs_a_valid_session_token(client, shop):
    response = client.get("/api/recovery/summary", headers={"Authorization": "Bearer junk"})
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_summary_is_in_the_openapi_document(client):
    assert "get" in client.get("/api/openapi.json").json["paths"]["/api/recovery/summary"]
