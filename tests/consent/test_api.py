"""GET /api/consents and /api/consents.csv."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.consent.ledger import record_from_webhook
from tests.consent.payloads import UK_PHONE, US_PHONE, US_PHONE_2, WORDING, attributes, checkout

pytestmark = pytest.mark.data

RECEIVED = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
ITEM_KEYS = {"id", "checkout_token", "checkout_id", "order_id", "topic", "source", "channels", "granted",
             "malformed_reason", "wording", "consented_at", "consented_at_source", "phone",
             "phone_status", "phone_reason", "recorded_at"}


def add(shop, token="tok-1", answer="yes", minute=0, **fields):
    at = (RECEIVED - timedelta(minutes=60 - minute)).isoformat()
    fields.setdefault("note_attributes", attributes(answer, at=at))
    payload = checkout(token, **fields)
    return record_from_webhook(shop, "checkouts/update", payload, delivery_id=None, received_at=RECEIVED)


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


# -- authentication -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/consents", "/api/consents.csv"])
def test_missing_token_gets_401_with_retry_header(client, alpha, path):
    assert_unauthorized(client.get(path))


@pytest.mark.parametrize("path", ["/api/consents", "/api/consents.csv"])
def test_forged_token_gets_401_with_retry_header(client, alpha, id_token, path):
    forged = id_token("alpha.myshopify.com", secret="forged-secret-0123456789abcdef0123")
    assert_unauthorized(client.get(path, headers={"Authorization": f"Bearer {forged}"}))


@pytest.mark.parametrize("path", ["/api/consents", "/api/consents.csv"])
def test_expired_token_gets_401_with_retry_header(client, alpha, id_token, path):
    expired = id_token("alpha.myshopify.com", exp=int(time.time()) - 60)
    assert_unauthorized(client.get(path, headers={"Authorization": f"Bearer {expired}"}))


# -- listing --------------------------------------------------------------------------------------

def test_lists_the_ledger_newest_first_with_every_field(client, alpha, auth):
    add(alpha, "tok-1", "yes", minute=1)
    add(alpha, "tok-1", "no", minute=2)
    body = client.get("/api/consents", headers=auth()).get_json()
    assert [item["granted"] for item in body["items"]] == [False, True]
    item = body["items"][1]
    assert set(item) == ITEM_KEYS
    assert item["channels"] == ["call", "sms"] and item["source"] == "checkout_extension"
    assert item["phone"] == US_PHONE and item["phone_status"] == "valid" and item["wording"] == WORDING
    assert item["consented_at"] == "2026-11-20T15:01:00+00:00" and item["checkout_token"] == "tok-1"
    assert (body["page"], body["per_page"], body["next_page"]) == (1, 50, None)


def test_invalid_phone_rows_show_their_reason(client, alpha, auth):
    add(alpha, phone="07911 123456")
    [item] = client.get("/api/consents", headers=auth()).get_json()["items"]
    assert (item["phone"], item["phone_status"]) == (None, "invalid")
    assert item["phone_reason"] == "not a possible number: too long"


def test_only_the_tokens_shop_rows_are_listed(client, alpha, beta, auth):
    add(alpha, "tok-alpha")
    add(beta, "tok-beta")
    alpha_items = client.get("/api/consents", headers=auth("alpha.myshopify.com")).get_json()["items"]
    beta_items = client.get("/api/consents", headers=auth("beta.myshopify.com")).get_json()["items"]
    assert [i["checkout_token"] for i in alpha_items] == ["tok-alpha"]
    assert [i["checkout_token"] for i in beta_items] == ["tok-beta"]
    filtered = client.get("/api/consents?checkout=tok-beta", headers=auth("alpha.myshopify.com"))
    assert filtered.get_json()["items"] == []


def test_pagination_walks_every_row_once_with_next_page(client, alpha, auth):
    for minute in range(5):
        add(alpha, f"tok-{minute}", minute=minute)
    seen, page = [], 1
    while page is not None:
        body = client.get(f"/api/consents?per_page=2&page={page}", headers=auth()).get_json()
        assert len(body["items"]) <= 2
        seen += [item["checkout_token"] for item in body["items"]]
        page = body["next_page"]
    assert seen == [f"tok-{minute}" for minute in reversed(range(5))]


def test_page_past_the_end_is_empty(client, alpha, auth):
    add(alpha)
    body = client.get("/api/consents?page=7", headers=auth()).get_json()
    assert body["items"] == [] and body["next_page"] is None


def test_per_page_above_200_is_clamped_to_200(client, alpha, auth):
    for value in ("10000", "201", "9" * 40):
        body = client.get(f"/api/consents?per_page={value}", headers=auth()).get_json()
        assert body["per_page"] == 200


@pytest.mark.parametrize("value", ["0", "abc", "-1", "", "1.5", "٣"])
def test_per_page_zero_or_not_a_number_is_422(client, alpha, auth, value):
    response = client.get(f"/api/consents?per_page={value}", headers=auth())
    assert response.status_code == 422
    assert response.get_json() == {"error": "invalid_query",
                                   "errors": {"per_page": "must be a whole number of 1 or more"}}


@pytest.mark.parametrize(("value", "message"), [("0", "must be a whole number of 1 or more"),
                                                 ("x", "must be a whole number of 1 or more"),
                                                 ("100001", "must be at most 100000")])
def test_page_zero_not_a_number_or_too_far_is_422(client, alpha, auth, value, message):
    response = client.get(f"/api/consents?page={value}", headers=auth())
    assert response.status_code == 422 and response.get_json()["errors"] == {"page": message}


@pytest.mark.parametrize("query", ["phone=%2B1%20(201)%20555-0123", "phone=201.555.0123&country=us",
                                   "phone=%2B12015550123"])
def test_phone_filter_matches_any_format_by_normalised_number(client, alpha, auth, query):
    add(alpha, "tok-us")
    add(alpha, "tok-other", phone=US_PHONE_2)
    add(alpha, "tok-uk", phone=UK_PHONE)
    items = client.get(f"/api/consents?{query}", headers=auth()).get_json()["items"]
    assert [item["checkout_token"] for item in items] == ["tok-us"]


@pytest.mark.parametrize("phone", ["hello", "201-555-0123", "%2B1%20555%20555%205555", "", "%20"])
def test_unparseable_phone_filter_is_422_with_a_field_error(client, alpha, auth, phone):
    response = client.get(f"/api/consents?phone={phone}", headers=auth())
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"phone"}


def test_unknown_country_is_422_with_a_field_error(client, alpha, auth):
    response = client.get("/api/consents?phone=2015550123&country=ZZ", headers=auth())
    assert response.status_code == 422 and "country" in response.get_json()["errors"]


def test_every_bad_parameter_is_named_at_once(client, alpha, auth):
    response = client.get("/api/consents?phone=x&page=0&per_page=abc", headers=auth())
    assert set(response.get_json()["errors"]) == {"phone", "page", "per_page"}


def test_checkout_filter_lists_that_checkout_only(client, alpha, auth):
    add(alpha, "tok-1")
    add(alpha, "tok-2", phone=US_PHONE_2)
    items = client.get("/api/consents?checkout=tok-2", headers=auth()).get_json()["items"]
    assert [item["checkout_token"] for item in items] == ["tok-2"]


def test_overlong_checkout_filter_is_422(client, alpha, auth):
    response = client.get("/api/consents?checkout=" + "t" * 300, headers=auth())
    assert response.status_code == 422 and "checkout" in response.get_json()["errors"]


# -- CSV ------------------------------------------------------------------------------------------

def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_download_is_an_attachment_with_every_row(client, alpha, auth):
    add(alpha, "tok-1", minute=1)
    add(alpha, "tok-2", "no", minute=2, phone=US_PHONE_2)
    response = client.get("/api/consents.csv", headers=auth())
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=ringback-consents-alpha.csv"
    data = rows(response)
    assert [(r["checkout_token"], r["granted"]) for r in data] == [("tok-2", "no"), ("tok-1", "yes")]
    assert data[1]["channels"] == "call,sms" and data[1]["wording"] == WORDING
    assert data[1]["phone"] == "'" + US_PHONE  # "+…" would be read as a formula
    assert data[1]["consented_at"] == "2026-11-20T15:01:00+00:00"


def test_csv_cells_starting_with_formula_characters_are_escaped(client, alpha, auth):
    for index, wording in enumerate(['=HYPERLINK("http://evil.test","x")', "+1+1", "-2+3", "@SUM(A1)",
                                     "\tTAB", "plain = text"]):
        add(alpha, f"tok-{index}", phone=f"+1201555010{index}",
            note_attributes=attributes("yes", text=wording, at=None))
    wordings = [r["wording"] for r in reversed(rows(client.get("/api/consents.csv", headers=auth())))]
    assert wordings == ['\'=HYPERLINK("http://evil.test","x")', "'+1+1", "'-2+3", "'@SUM(A1)",
                        "'\tTAB", "plain = text"]


def test_csv_applies_the_same_filters(client, alpha, beta, auth):
    add(alpha, "tok-1")
    add(alpha, "tok-2", phone=US_PHONE_2)
    add(beta, "tok-beta")
    data = rows(client.get("/api/consents.csv?phone=%2B12015550199", headers=auth()))
    assert [r["checkout_token"] for r in data] == ["tok-2"]
    data = rows(client.get("/api/consents.csv", headers=auth()))
    assert sorted(r["checkout_token"] for r in data) == ["tok-1", "tok-2"]


def test_csv_with_an_unparseable_phone_is_422(client, alpha, auth):
    response = client.get("/api/consents.csv?phone=nope", headers=auth())
    assert response.status_code == 422 and "phone" in response.get_json()["errors"]


def test_csv_of_an_empty_ledger_is_just_the_header(client, alpha, auth):
    text = client.get("/api/consents.csv", headers=auth()).get_data(as_text=True)
    assert text.splitlines() == [",".join(["id", "recorded_at", "consented_at", "consented_at_source",
                                           "source", "channels", "granted", "malformed_reason",
                                           "wording", "phone", "phone_status", "phone_reason",
                                           "checkout_token", "checkout_id", "order_id", "topic"])]


# -- OpenAPI --------------------------------------------------------------------------------------

def test_openapi_declares_both_routes(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    listing = paths["/api/consents"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"phone", "country", "checkout", "page", "per_page"}
    assert "422" in listing["responses"] and "401" in listing["responses"]
    export = paths["/api/consents.csv"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]
