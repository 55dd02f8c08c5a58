"""GET /api/messages and POST /api/sms/preview, as the merchant."""

from __future__ import annotations

import json
import time

import pytest

from app.consent.suppression import phone_hash
from app.extensions import db
from app.recovery.models import Checkout
from app.sms.models import Message
from app.sms.templates import MAX_TEMPLATE_LENGTH
from tests.voice.conftest import APP_URL, NY_PHONE, make_shop

pytestmark = pytest.mark.data
TEXT = "Alpha Goods: your cart https://x.test/r/a Reply STOP to opt out."
ITEM_KEYS = {"id", "checkout_token", "direction", "kind", "body", "status", "error_code", "segments",
             "flagged", "created_at"}


@pytest.fixture
def auth(id_token):
    def headers(shop: str = "alpha.myshopify.com") -> dict[str, str]:
        return {"Authorization": f"Bearer {id_token(shop)}"}

    return headers


def add_checkout(shop, token: str = "tok-1") -> Checkout:
    checkout = Checkout(shop_id=shop.id, token=token, line_items=[])
    db.session.add(checkout)
    db.session.commit()
    return checkout


def add_message(shop, checkout=None, *, body=TEXT, direction="outbound", kind="recovery",
                status="delivered", error_code=None) -> Message:
    message = Message(shop_id=shop.id, checkout_id=checkout.id if checkout else None, direction=direction,
                      kind=kind, phone=NY_PHONE, phone_hash=phone_hash(NY_PHONE), body=body, status=status,
                      error_code=error_code)
    db.session.add(message)
    db.session.commit()
    return message


@pytest.fixture
def alpha(app):
    return make_shop()


# -- GET /api/messages -----------------------------------------------------------------------------

def test_messages_carry_the_contract_fields_and_never_the_phone(client, auth, alpha):
    checkout = add_checkout(alpha)
    sent = add_message(alpha, checkout)
    item = client.get("/api/messages", headers=auth()).get_json()["items"][0]
    assert set(item) == ITEM_KEYS
    assert item["id"] == sent.id and item["checkout_token"] == "tok-1" and item["direction"] == "outbound"
    assert item["body"] == sent.body and item["status"] == "delivered" and item["error_code"] is None
    assert item["kind"] == "recovery" and item["segments"] == 1 and item["flagged"] is False
    assert item["created_at"]
    assert NY_PHONE not in json.dumps(item) and "2125550123" not in json.dumps(item)


def test_messages_listed_for_the_tokens_shop_only(client, auth, alpha):
    beta = make_shop("beta.myshopify.com")
    add_message(alpha, add_checkout(alpha))
    add_message(beta, add_checkout(beta, "tok-beta"), body="Beta Bikes: hello")
    items = client.get("/api/messages", headers=auth()).get_json()["items"]
    assert [item["checkout_token"] for item in items] == ["tok-1"]
    beta_items = client.get("/api/messages", headers=auth("beta.myshopify.com")).get_json()["items"]
    assert [item["body"] for item in beta_items] == ["Beta Bikes: hello"]
    other = client.get("/api/messages?checkout_token=tok-beta", headers=auth()).get_json()["items"]
    assert other == []


def test_all_messages_newest_first_and_a_thread_oldest_first(client, auth, alpha):
    checkout, other = add_checkout(alpha), add_checkout(alpha, "tok-2")
    first = add_message(alpha, checkout, body="Alpha Goods: your cart")
    add_message(alpha, other, body="Alpha Goods: another cart")
    reply = add_message(alpha, checkout, body="Is it still in stock?", direction="inbound", kind="reply",
                        status="received")
    everything = client.get("/api/messages", headers=auth()).get_json()["items"]
    assert [item["id"] for item in everything] == sorted((item["id"] for item in everything), reverse=True)
    thread = client.get("/api/messages?checkout_token=tok-1", headers=auth()).get_json()["items"]
    assert [item["id"] for item in thread] == [first.id, reply.id]
    assert [item["direction"] for item in thread] == ["outbound", "inbound"]


def test_a_checkout_token_holding_nul_has_no_thread_rather_than_failing(client, auth, alpha):
    add_message(alpha, add_checkout(alpha))
    response = client.get("/api/messages?checkout_token=tok-1%00", headers=auth())
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_direction_filters(client, auth, alpha):
    checkout = add_checkout(alpha)
    add_message(alpha, checkout)
    add_message(alpha, checkout, body="STOP", direction="inbound", kind="keyword", status="received")
    inbound = client.get("/api/messages?direction=inbound", headers=auth()).get_json()["items"]
    assert [item["body"] for item in inbound] == ["STOP"]
    outbound = client.get("/api/messages?direction=outbound", headers=auth()).get_json()["items"]
    assert [item["direction"] for item in outbound] == ["outbound"]


def test_a_message_without_a_checkout_has_a_null_token(client, auth, alpha):
    add_message(alpha, None, body="HELP", direction="inbound", kind="keyword", status="received")
    item = client.get("/api/messages", headers=auth()).get_json()["items"][0]
    assert item["checkout_token"] is None and item["body"] == "HELP"


@pytest.mark.parametrize("code,flagged", [("30003", True), ("30005", True), ("30008", True), ("21610", True),
                                          ("21211", True), ("21614", True), ("30002", False),
                                          ("30009", False), ("suppressed", False), (None, False)])
def test_errors_the_merchant_should_see_are_flagged(client, auth, alpha, code, flagged):
    add_message(alpha, add_checkout(alpha), status="undelivered" if code else "delivered", error_code=code)
    item = client.get("/api/messages", headers=auth()).get_json()["items"][0]
    assert item["flagged"] is flagged and item["error_code"] == code


def test_segments_are_counted_per_message(client, auth, alpha):
    add_message(alpha, add_checkout(alpha), body="a" * 161)
    assert client.get("/api/messages", headers=auth()).get_json()["items"][0]["segments"] == 2


def test_paging_with_next_page(client, auth, alpha):
    checkout = add_checkout(alpha)
    ids = [add_message(alpha, checkout, body=f"text {n}").id for n in range(5)]
    first = client.get("/api/messages?per_page=2", headers=auth()).get_json()
    assert (first["page"], first["per_page"], first["next_page"]) == (1, 2, 2)
    assert [item["id"] for item in first["items"]] == ids[:-3:-1]
    last = client.get("/api/messages?per_page=2&page=3", headers=auth()).get_json()
    assert [item["id"] for item in last["items"]] == [ids[0]] and last["next_page"] is None
    thread = client.get("/api/messages?checkout_token=tok-1&per_page=2&page=2", headers=auth()).get_json()
    assert [item["id"] for item in thread["items"]] == ids[2:4] and thread["next_page"] == 3


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=-1", "page=" + "9" * 30,
                                   "direction=sideways", "direction="])
def test_bad_query_is_a_422_like_the_other_lists(client, auth, alpha, query):
    response = client.get(f"/api/messages?{query}", headers=auth())
    assert response.status_code == 422 and response.get_json()["errors"]


@pytest.mark.parametrize("method,path", [("get", "/api/messages"), ("post", "/api/sms/preview")])
def test_no_auth_is_a_401(client, alpha, id_token, method, path):
    expired = id_token(exp=int(time.time()) - 60)
    for headers in ({}, {"Authorization": f"Bearer {expired}"}):
        response = getattr(client, method)(path, headers=headers, json={"language": "en"})
        assert response.status_code == 401
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


# -- POST /api/sms/preview -------------------------------------------------------------------------

def _preview(client, auth, payload, **kwargs):
    return client.post("/api/sms/preview", json=payload, headers=auth(), **kwargs)


def test_preview_renders_the_default_with_the_shops_name_and_a_full_length_link(client, auth, alpha):
    response = _preview(client, auth, {"language": "en"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"body", "encoding", "segments", "units", "limit", "within_limit"}
    assert body["body"].startswith("Alpha Goods: Hi Emma, you left ")
    assert body["body"].endswith(" Reply STOP to opt out.")
    link = body["body"].split(" Reply STOP")[0].rsplit(" ", 1)[1]
    assert link.startswith(APP_URL + "/r/") and len(link) > len(APP_URL) + 60
    assert body["encoding"] == "GSM-7" and body["limit"] == 2 and body["within_limit"] is True
    assert body["units"] == len(body["body"])


def test_preview_gsm_vs_ucs2(client, auth, alpha):
    gsm = _preview(client, auth, {"language": "en", "template": "Hi {first_name}! Back to it: {link}"})
    ucs2 = _preview(client, auth, {"language": "en", "template": "Hi {first_name} 👋 Back to it: {link}"})
    assert gsm.get_json()["encoding"] == "GSM-7" and gsm.get_json()["segments"] == 1
    assert ucs2.get_json()["encoding"] == "UCS-2"
    assert ucs2.get_json()["units"] == len(ucs2.get_json()["body"]) + 1  # the emoji is two units
    assert ucs2.get_json()["segments"] == 3  # about 150 units, 67 a part


def test_preview_uses_the_shops_template_name_and_limit(client, auth, alpha):
    client.put("/api/settings", headers=auth(), json={
        "store_display_name": "Alpha", "sms_max_segments": 1,
        "sms_templates": {"de": "{store}: {cart} wartet: {link}"}})
    body = _preview(client, auth, {"language": "de"}).get_json()
    assert body["body"].startswith("Alpha: 4 Artikel wartet: ")  # one segment: the cart as a count
    assert body["body"].endswith("Antworten Sie STOP zum Abmelden.")
    assert body["limit"] == 1 and body["segments"] == 1 and body["within_limit"] is True


def test_preview_says_when_even_the_shortest_text_is_over_the_limit(client, auth, alpha):
    client.put("/api/settings", headers=auth(), json={"sms_max_segments": 1})
    long = "Thanks for shopping with us, we kept everything just as you left it. " * 2 + "{link}"
    body = _preview(client, auth, {"language": "en", "template": long}).get_json()
    assert body["within_limit"] is False and body["segments"] == 2 and body["limit"] == 1
    assert APP_URL + "/r/" in body["body"] and body["body"].endswith("Reply STOP to opt out.")


@pytest.mark.parametrize("payload,field", [
    ({"language": "en", "template": "no link here"}, "template"),
    ({"language": "en", "template": "{coupon} {link}"}, "template"),
    ({"language": "en", "template": "x" * (MAX_TEMPLATE_LENGTH + 1) + "{link}"}, "template"),
    ({"language": "en", "template": 7}, "template"),
    ({"language": "it"}, "language"),
    ({"language": ["en"]}, "language"),
])
def test_preview_invalid_template_422(client, auth, alpha, payload, field):
    response = _preview(client, auth, payload)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {field}


def test_preview_oversized_413(client, auth, alpha):
    response = _preview(client, auth, {"language": "en", "template": "x" * (17 * 1024)})
    assert response.status_code == 413


@pytest.mark.parametrize("data,content_type", [
    ("{not json", "application/json"), ("language=en", "application/x-www-form-urlencoded"),
    ("[1, 2]", "application/json"), ("", "application/json"),
])
def test_preview_malformed_json_400(client, auth, alpha, data, content_type):
    response = client.post("/api/sms/preview", data=data, content_type=content_type, headers=auth())
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_messages_and_preview_appear_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/messages"] and "post" in paths["/api/sms/preview"]
    names = {p["name"] for p in paths["/api/messages"]["get"]["parameters"]}
    assert {"page", "per_page", "checkout_token", "direction"} <= names
