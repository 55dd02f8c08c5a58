"""GET /api/calls, /api/calls/<id> and the recording, as the merchant (contract "Records")."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from app.api.paging import encode_cursor
from app.extensions import db
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
from app.voice.models import Call
from tests.voice.conftest import NY_PHONE, checkout_payload, make_shop, the_call

pytestmark = pytest.mark.data


@pytest.fixture
def a_call(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    served.set_persona(NY_PHONE, "interested")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    served.wait_for_call_end(the_call().sid)
    run_jobs()
    served.wait_idle()
    return the_call()


def _get(client, id_token, path, shop="alpha.myshopify.com"):
    return client.get(path, headers={"Authorization": f"Bearer {id_token(shop)}"})


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_calls_list_carries_the_contract_fields(client, id_token, a_call):
    body = _get(client, id_token, "/api/calls").get_json()
    assert body["page"] == 1 and body["next_page"] is None
    item = body["items"][0]
    assert item["id"] == a_call.id and item["checkout_token"] == "tok-1"
    assert item["status"] == "completed" and item["answered_by"] == "human"
    assert item["outcome"] == "link_sent" and item["language"] == "en"
    assert isinstance(item["duration_seconds"], int) and item["created_at"]
    assert {"objection"} <= set(item)


def test_one_call_has_its_transcript_in_spoken_order_and_the_recording(client, id_token, a_call):
    body = _get(client, id_token, f"/api/calls/{a_call.id}").get_json()
    transcript = body["transcript"]
    assert transcript[0]["role"] == "agent" and "Alpha Goods" in transcript[0]["text"]
    assert [t["role"] for t in transcript].count("shopper") >= 2
    assert all(t["at"] for t in transcript)
    assert body["recording"]["url"] == f"/api/calls/{a_call.id}/recording"
    assert body["recording"]["duration_seconds"] > 0


def test_the_recording_streams_through_the_app_never_from_twilio(client, id_token, a_call):
    response = _get(client, id_token, f"/api/calls/{a_call.id}/recording")
    assert response.status_code == 200 and response.data[:4] == b"RIFF"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_calls_are_scoped_to_the_tokens_shop(client, id_token, a_call):
    make_shop("beta.myshopify.com")
    assert _get(client, id_token, "/api/calls", "beta.myshopify.com").get_json()["items"] == []
    for path in (f"/api/calls/{a_call.id}", f"/api/calls/{a_call.id}/recording"):
        assert _get(client, id_token, path, "beta.myshopify.com").status_code == 404


def test_calls_need_a_session_token(client, a_call):
    for path in ("/api/calls", f"/api/calls/{a_call.id}", f"/api/calls/{a_call.id}/recording"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=-1", "page=" + "9" * 30])
def test_bad_paging_is_a_422(client, id_token, a_call, query):
    response = _get(client, id_token, f"/api/calls?{query}")
    assert response.status_code == 422 and response.get_json()["errors"]


def test_a_call_without_a_recording_has_none(client, id_token, app, served, clock, deliver, run_due):
    make_shop()
    served.set_persona(NY_PHONE, "busy")
    deliver(("checkouts/create", checkout_payload()))
    run_due(clock, minutes=31)
    served.wait_idle()
    call = the_call()
    assert _get(client, id_token, f"/api/calls/{call.id}").get_json()["recording"] is None
    assert _get(client, id_token, f"/api/calls/{call.id}/recording").status_code == 404


def test_calls_appear_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/calls", "/api/calls/{id}", "/api/calls/{id}/recording"} <= set(paths)


def test_live_server_recording_is_not_a_twilio_url(live_server, id_token, a_call):
    response = httpx.get(f"{live_server}/api/calls/{a_call.id}",
                         headers={"Authorization": f"Bearer {id_token()}"})
    assert "twilio" not in response.text.lower() and "127.0.0.1" not in response.json()["recording"]["url"]


def test_a_call_id_beyond_any_row_is_a_404_not_a_database_error(app, client, id_token):
    make_shop()
    assert _get(client, id_token, "/api/calls/" + "9" * 30).status_code == 404
    assert _get(client, id_token, "/api/calls/" + "9" * 30 + "/recording").status_code == 404


# -- paging: keyset by id, newest first ----------------------------------------------------------------


def _calls(shop, token: str, count: int) -> list[int]:
    """`count` finished calls of one checkout of `shop` (one attempt each), their ids oldest first."""
    checkout = Checkout(shop_id=shop.id, token=token, line_items=[])
    db.session.add(checkout)
    at = datetime(2026, 6, 9, 15, tzinfo=UTC)
    calls = []
    for seq in range(1, count + 1):
        attempt = ContactAttempt(shop_id=shop.id, seq=seq, channel="call", scheduled_at=at,
                                 status=AttemptStatus.COMPLETED, outcome="declined")
        checkout.attempts.append(attempt)
        db.session.flush()
        calls.append(Call(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, status="completed",
                          outcome="declined"))
    db.session.add_all(calls)
    db.session.commit()
    return [call.id for call in calls]


def _pages(client, id_token, query: str, shop="alpha.myshopify.com") -> list[dict]:
    """Every page of /api/calls?query, following next_page from the first."""
    bodies, page = [], None
    while True:
        path = f"/api/calls?{query}" + (f"&page={page}" if page else "")
        body = _get(client, id_token, path, shop).get_json()
        bodies.append(body)
        page = body["next_page"]
        if page is None:
            return bodies


def test_calls_page_by_cursor_newest_first(app, client, id_token):
    shop = make_shop()
    ids = _calls(shop, "tok-1", 8)
    first = _get(client, id_token, "/api/calls?per_page=3").get_json()
    assert first["page"] == 1 and isinstance(first["next_page"], str)
    _calls(shop, "tok-late", 1)  # a new call does not shift the pages already cut
    rest = _get(client, id_token, f"/api/calls?per_page=3&page={first['next_page']}").get_json()
    assert rest["page"] == first["next_page"]
    pages = [first, rest, *(_pages(client, id_token, f"per_page=3&page={rest['next_page']}"))]
    assert [[item["id"] for item in body["items"]] for body in pages] == [
        ids[7:4:-1], ids[4:1:-1], ids[1::-1]]
    assert pages[-1]["next_page"] is None


def test_calls_page_1_is_the_first_page_and_a_cursor_is_the_checkouts_one(app, client, id_token):
    shop = make_shop()
    ids = _calls(shop, "tok-1", 3)
    for query in ("per_page=2", "per_page=2&page=1", "per_page=2&page=%201%20"):
        body = _get(client, id_token, f"/api/calls?{query}").get_json()
        assert body["page"] == 1 and [item["id"] for item in body["items"]] == ids[:0:-1]
        assert body["next_page"] == encode_cursor(ids[1])


def test_an_old_clients_page_number_still_gives_that_page(app, client, id_token):
    shop = make_shop()
    ids = _calls(shop, "tok-1", 7)
    body = _get(client, id_token, "/api/calls?per_page=3&page=2").get_json()
    assert body["page"] == 2 and [item["id"] for item in body["items"]] == ids[3:0:-1]
    # Its next page is a cursor, which goes on where the page number left off.
    after = _get(client, id_token, f"/api/calls?per_page=3&page={body['next_page']}").get_json()
    assert [item["id"] for item in after["items"]] == [ids[0]] and after["next_page"] is None
    beyond = _get(client, id_token, "/api/calls?per_page=3&page=9").get_json()
    assert beyond["items"] == [] and beyond["next_page"] is None


def test_calls_of_one_checkout_page_by_cursor(app, client, id_token):
    shop = make_shop()
    mine, _ = _calls(shop, "tok-1", 3), _calls(shop, "tok-2", 2)
    pages = _pages(client, id_token, "checkout=tok-1&per_page=2")
    assert [[item["id"] for item in body["items"]] for body in pages] == [mine[:0:-1], mine[:1]]
    assert {item["checkout_token"] for body in pages for item in body["items"]} == {"tok-1"}


def test_a_cursor_pages_only_the_tokens_shop(app, client, id_token):
    alpha, beta = make_shop(), make_shop("beta.myshopify.com")
    theirs, mine = _calls(beta, "tok-b", 2), _calls(alpha, "tok-a", 1)
    # A cursor above the other shop's calls still lists only this shop's.
    body = _get(client, id_token, f"/api/calls?page={encode_cursor(max(theirs + mine) + 1)}").get_json()
    assert [item["id"] for item in body["items"]] == mine


@pytest.mark.parametrize("page", [
    "0", "x", "", "9" * 30, "100001", _b64("after:0"), _b64("after:-3"), _b64("after:99999999999"),
    _b64("before:5"), _b64("after:5") + "==", "%FF",
])
def test_a_malformed_calls_cursor_is_a_422_like_the_checkouts_one(app, client, id_token, page):
    make_shop()
    answers = [_get(client, id_token, f"/api/{path}?page={page}") for path in ("calls", "checkouts")]
    calls, checkouts = (answer.get_json() for answer in answers)
    assert [answer.status_code for answer in answers] == [422, 422]
    assert calls["error"] == checkouts["error"] == "invalid_query" and calls["errors"]["page"]
    assert set(calls) == set(checkouts) and set(calls["errors"]) == set(checkouts["errors"]) == {"page"}


def test_the_calls_list_documents_next_page_as_a_cursor(client):
    get = client.get("/api/openapi.json").get_json()["paths"]["/api/calls"]["get"]
    answer = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["next_page"]["type"] == ["string", "null"]
    assert {"integer", "string"} <= set(answer["properties"]["page"]["type"])
    page = next(p for p in get["parameters"] if p["name"] == "page")
    assert page["schema"]["type"] == "string" and "cursor" in page["description"]


def test_calls_of_a_checkout_token_with_a_nul_are_none_and_no_database_error(app, client, id_token):
    _calls(make_shop(), "tok-1", 1)
    response = _get(client, id_token, "/api/calls?checkout=tok-1%00")
    assert response.status_code == 200 and response.get_json()["items"] == []
