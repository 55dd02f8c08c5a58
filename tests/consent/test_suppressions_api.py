"""GET /api/suppressions: the do-not-contact list that binds the token's shop, numbers masked."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.consent.api import masked_phone
from app.consent.models import Suppression
from app.consent.suppression import SENDER_WIDE, suppress
from app.crypto import lookup_hash
from tests.consent.payloads import FR_PHONE, UK_PHONE, US_PHONE, US_PHONE_2

pytestmark = pytest.mark.data

T0 = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
ITEM_KEYS = {"id", "phone", "reason", "source", "channel", "scope", "created_at"}


def add(db, shop_id, phone, *, minute=0, channel="all", reason="stop_keyword", source="sms:inbound"):
    row = suppress(shop_id, phone, channel=channel, reason=reason, source=source)
    row.created_at = T0 + timedelta(minutes=minute)
    db.session.flush()
    return row


def items(client, auth, shop="alpha.myshopify.com", query=""):
    response = client.get(f"/api/suppressions{query}", headers=auth(shop))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


# -- what an item shows ---------------------------------------------------------------------------

def test_suppressions_list_masks_the_number(client, db, alpha, auth):
    add(db, alpha.id, US_PHONE, minute=1, channel="call", reason="verbal_opt_out", source="voice")
    add(db, alpha.id, UK_PHONE, minute=2)
    response = client.get("/api/suppressions", headers=auth())
    body = response.get_json()
    uk, us = body["items"]
    assert set(us) == ITEM_KEYS
    # The country calling code, a fixed run of bullets, the last four: nothing else, not even the length.
    assert us["phone"] == "+1•••••••0123" and uk["phone"] == "+44•••••••3456"
    assert (us["reason"], us["source"], us["channel"], us["scope"]) == (
        "verbal_opt_out", "voice", "call", "shop")
    assert us["created_at"] == "2026-11-20T16:01:00+00:00"
    text = response.get_data(as_text=True)
    for secret in (US_PHONE, US_PHONE[2:], "2015550", UK_PHONE, "7911123", lookup_hash(US_PHONE),
                   lookup_hash(UK_PHONE), "phone_hash"):
        assert secret not in text
    assert (body["page"], body["per_page"], body["next_page"]) == (1, 50, None)


@pytest.mark.parametrize(("stored", "shown"), [
    ("+12015550123", "+1•••••••0123"),
    ("+447911123456", "+44•••••••3456"),
    ("+33612345678", "+33•••••••5678"),
    ("+4930901820", "+49•••••••1820"),
    ("+8613912345678", "+86•••••••5678"),
    # Kept as typed when it never parsed: no country code is claimed.
    ("0201 555 0123", "•••••••0123"),
    ("123", "•••••••"),
    ("", None),
    (None, None),
    ("   ", None),
])
def test_masked_phone_shows_the_country_code_and_last_four_only(stored, shown):
    assert masked_phone(stored) == shown


def test_suppressions_masked_null_when_only_a_hash_is_kept(client, db, alpha, auth):
    row = add(db, alpha.id, FR_PHONE)
    # After erasure only the hash is kept (the column is NOT NULL today, so it is emptied).
    db.session.execute(update(Suppression).where(Suppression.id == row.id).values(phone_e164=""))
    db.session.expire_all()
    [item] = items(client, auth)
    assert item["phone"] is None and item["id"] == row.id and item["reason"] == "stop_keyword"


# -- whose rows -----------------------------------------------------------------------------------

def test_suppressions_include_sender_wide_opt_outs(client, db, alpha, beta, auth):
    own = add(db, alpha.id, US_PHONE, minute=1, reason="merchant", source="admin")
    everyone = add(db, SENDER_WIDE, US_PHONE_2, minute=2, reason="carrier_unsubscribed", source="twilio")
    alpha_items = items(client, auth, "alpha.myshopify.com")
    assert [(i["id"], i["scope"]) for i in alpha_items] == [(everyone.id, "sender"), (own.id, "shop")]
    assert alpha_items[0]["phone"] == "+1•••••••0199"
    beta_items = items(client, auth, "beta.myshopify.com")
    assert [(i["id"], i["scope"]) for i in beta_items] == [(everyone.id, "sender")]


def test_suppressions_never_show_another_shops_rows(client, db, alpha, beta, auth):
    add(db, beta.id, US_PHONE, minute=1, channel="sms")
    add(db, beta.id, UK_PHONE, minute=2)
    assert items(client, auth, "alpha.myshopify.com") == []
    # Even the same number on both lists shows once per shop, each shop its own row.
    mine = add(db, alpha.id, US_PHONE, minute=3, channel="sms")
    assert [i["id"] for i in items(client, auth, "alpha.myshopify.com")] == [mine.id]
    assert len(items(client, auth, "beta.myshopify.com")) == 2


# -- paging ---------------------------------------------------------------------------------------

def test_suppressions_paging(client, db, alpha, beta, auth):
    phones = [f"+1201555{1000 + i:04d}" for i in range(5)]
    expected = []
    for minute, phone in enumerate(phones):
        shop_id = SENDER_WIDE if minute % 2 else alpha.id
        expected.append(add(db, shop_id, phone, minute=minute).id)
    add(db, beta.id, "+12015559999", minute=10)  # newest of all, but not alpha's
    seen, page, pages = [], 1, 0
    while page is not None:
        body = client.get(f"/api/suppressions?per_page=2&page={page}", headers=auth()).get_json()
        assert body["per_page"] == 2 and len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        page, pages = body["next_page"], pages + 1
    assert seen == list(reversed(expected)) and pages == 3
    past_the_end = client.get("/api/suppressions?page=9", headers=auth()).get_json()
    assert past_the_end["items"] == [] and past_the_end["next_page"] is None
    assert client.get("/api/suppressions?per_page=5000", headers=auth()).get_json()["per_page"] == 200


def test_suppressions_same_time_is_ordered_by_id(client, db, alpha, auth):
    first = add(db, alpha.id, US_PHONE)
    second = add(db, alpha.id, UK_PHONE)
    assert [i["id"] for i in items(client, auth)] == [second.id, first.id]


@pytest.mark.parametrize(("query", "errors"), [
    ("?page=0", {"page": "must be a whole number of 1 or more"}),
    ("?page=x", {"page": "must be a whole number of 1 or more"}),
    ("?page=100001", {"page": "must be at most 100000"}),
    ("?per_page=0", {"per_page": "must be a whole number of 1 or more"}),
    ("?per_page=abc&page=-1", {"per_page": "must be a whole number of 1 or more",
                               "page": "must be a whole number of 1 or more"}),
])
def test_suppressions_bad_query_is_422_like_every_list(client, alpha, auth, query, errors):
    # The brief said 400; every list endpoint (app/api/paging.py) answers a bad query with 422.
    response = client.get(f"/api/suppressions{query}", headers=auth())
    assert response.status_code == 422
    assert response.get_json() == {"error": "invalid_query", "errors": errors}


# -- authentication and the document --------------------------------------------------------------

def test_suppressions_without_a_token_is_401(client, alpha):
    response = client.get("/api/suppressions")
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


@pytest.mark.parametrize("claims", [{"secret": "forged-secret-0123456789abcdef0123"},
                                    {"exp": int(time.time()) - 60}])
def test_suppressions_with_a_bad_token_is_401(client, db, alpha, id_token, claims):
    add(db, alpha.id, US_PHONE)
    response = client.get("/api/suppressions",
                          headers={"Authorization": f"Bearer {id_token('alpha.myshopify.com', **claims)}"})
    assert response.status_code == 401 and "items" not in (response.get_json() or {})


def test_suppressions_are_documented_in_openapi(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/suppressions"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"page", "per_page"}
    assert set(operation["responses"]) == {"200", "401", "422"}
    item = operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["items"]
    assert set(item["items"]["required"]) == ITEM_KEYS
    assert "phone_hash" not in item["items"]["properties"]
