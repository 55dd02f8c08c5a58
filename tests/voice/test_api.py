"""GET /api/calls, /api/calls/<id> and the recording, as the merchant (contract "Records")."""

from __future__ import annotations

import httpx
import pytest

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
