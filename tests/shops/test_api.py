"""GET/PUT /api/settings: every knob, partial updates, all-or-nothing validation, auth."""

import pytest

from app.extensions import db
from app.shops import settings as schema
from app.shops.models import Shop, ShopSettings

pytestmark = pytest.mark.data
RETRY = "X-Shopify-Retry-Invalid-Session-Request"


def _auth(id_token, shop="alpha.myshopify.com"):
    return {"Authorization": f"Bearer {id_token(shop)}"}


def _stored(domain="alpha.myshopify.com") -> dict:
    db.session.expire_all()
    shop = db.session.query(Shop).filter_by(domain=domain).one()
    return dict(shop.settings.values) if shop.settings else {}


def test_get_returns_every_knob_with_its_default(client, installed_shop, id_token):
    installed_shop()
    response = client.get("/api/settings", headers=_auth(id_token))
    assert response.status_code == 200
    assert response.json == schema.defaults()
    assert set(response.json) == set(schema.FIELDS)


def test_get_includes_the_recovery_knobs_of_issue_4(client, installed_shop, id_token):
    installed_shop()
    body = client.get("/api/settings", headers=_auth(id_token)).json
    assert body["first_contact_delay_minutes"] == 30
    assert body["holdout_percent"] == 10
    assert body["attribution_window_days"] == 7
    for knob in ("calls_enabled", "sms_enabled", "sms_fallback_delay_minutes", "max_attempts",
                 "min_attempt_spacing_minutes", "min_cart_value", "allowed_countries",
                 "contact_window_start", "contact_window_end"):
        assert knob in body


def test_put_a_subset_changes_only_those_fields(client, installed_shop, id_token):
    installed_shop()
    response = client.put("/api/settings", json={"holdout_percent": 20, "calls_enabled": False},
                          headers=_auth(id_token))
    assert response.status_code == 200
    expected = {**schema.defaults(), "holdout_percent": 20, "calls_enabled": False}
    assert response.json == expected
    assert client.get("/api/settings", headers=_auth(id_token)).json == expected


def test_successive_puts_accumulate(client, installed_shop, id_token):
    installed_shop()
    client.put("/api/settings", json={"max_attempts": 2}, headers=_auth(id_token))
    client.put("/api/settings", json={"min_cart_value": "25.5"}, headers=_auth(id_token))
    body = client.get("/api/settings", headers=_auth(id_token)).json
    assert body["max_attempts"] == 2 and body["min_cart_value"] == "25.50"


def test_put_normalizes_values(client, installed_shop, id_token):
    installed_shop()
    body = client.put("/api/settings", json={"allowed_countries": ["us", " ca", "US"],
                                             "store_display_name": "  Alpha  "},
                      headers=_auth(id_token)).json
    assert body["allowed_countries"] == ["CA", "US"]
    assert body["store_display_name"] == "Alpha"


def test_empty_object_is_a_valid_put_that_changes_nothing(client, installed_shop, id_token):
    installed_shop()
    response = client.put("/api/settings", json={}, headers=_auth(id_token))
    assert response.status_code == 200 and response.json == schema.defaults()


@pytest.mark.parametrize("field,value", [
    ("holdout_percent", 51), ("holdout_percent", "10"), ("holdout_percent", True),
    ("max_attempts", 0), ("first_contact_delay_minutes", 1.5), ("calls_enabled", "yes"),
    ("min_cart_value", "-1"), ("min_cart_value", "abc"), ("contact_window_start", "25:00"),
    ("allowed_countries", "US"), ("allowed_countries", ["USA"]), ("attribution_window_days", 31),
    ("store_display_name", "x" * 81), ("retention_days", 731),
])
def test_invalid_value_gets_422_with_a_per_field_error(client, installed_shop, id_token, field, value):
    installed_shop()
    response = client.put("/api/settings", json={field: value}, headers=_auth(id_token))
    assert response.status_code == 422
    assert response.json["error"] == "invalid_settings"
    assert set(response.json["errors"]) == {field}
    assert _stored() == {}


def test_one_invalid_field_saves_nothing_not_even_the_valid_ones(client, installed_shop, id_token):
    installed_shop()
    client.put("/api/settings", json={"max_attempts": 2}, headers=_auth(id_token))
    response = client.put("/api/settings", json={"holdout_percent": 25, "max_attempts": 99,
                                                 "sms_enabled": False}, headers=_auth(id_token))
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"max_attempts"}
    body = client.get("/api/settings", headers=_auth(id_token)).json
    assert body["holdout_percent"] == 10 and body["sms_enabled"] is True and body["max_attempts"] == 2


def test_every_invalid_field_is_reported_at_once(client, installed_shop, id_token):
    installed_shop()
    response = client.put("/api/settings", json={"holdout_percent": -1, "max_attempts": 9,
                                                 "calls_enabled": 1}, headers=_auth(id_token))
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"holdout_percent", "max_attempts", "calls_enabled"}


def test_window_end_before_start_is_rejected(client, installed_shop, id_token):
    installed_shop()
    response = client.put("/api/settings", json={"contact_window_start": "19:00",
                                                 "contact_window_end": "10:00"},
                          headers=_auth(id_token))
    assert response.status_code == 422
    assert "contact_window_end" in response.json["errors"]
    assert _stored() == {}


def test_unknown_field_gets_422_and_saves_nothing(client, installed_shop, id_token):
    installed_shop()
    response = client.put("/api/settings", json={"holdout_percent": 20, "free_money": True},
                          headers=_auth(id_token))
    assert response.status_code == 422
    assert response.json["errors"] == {"free_money": "unknown setting"}
    assert _stored() == {}


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"null", b"42", b"{not json"])
def test_body_that_is_not_a_json_object_gets_422(client, installed_shop, id_token, body):
    installed_shop()
    headers = {**_auth(id_token), "Content-Type": "application/json"}
    response = client.put("/api/settings", data=body, headers=headers)
    assert response.status_code == 422
    assert "_body" in response.json["errors"]
    assert _stored() == {}


def test_get_and_put_without_a_valid_token_get_401(client, installed_shop, id_token):
    installed_shop()
    for headers in ({}, {"Authorization": "Bearer junk"},
                    {"Authorization": f"Bearer {id_token(secret='not-the-app-secret-0123456789abcdef')}"}):
        for response in (client.get("/api/settings", headers=headers),
                         client.put("/api/settings", json={"holdout_percent": 20}, headers=headers)):
            assert response.status_code == 401
            assert response.headers[RETRY] == "1"
    assert _stored() == {}


def test_settings_are_scoped_to_the_tokens_shop(client, installed_shop, id_token):
    installed_shop("alpha.myshopify.com")
    installed_shop("beta.myshopify.com")
    client.put("/api/settings", json={"holdout_percent": 33}, headers=_auth(id_token))
    beta = client.get("/api/settings", headers=_auth(id_token, "beta.myshopify.com")).json
    assert beta["holdout_percent"] == 10
    assert _stored("beta.myshopify.com") == {}


def test_uninstalled_shop_gets_403(client, installed_shop, id_token):
    from app.dbtypes import utcnow

    shop = installed_shop()
    shop.uninstalled_at = utcnow()
    db.session.commit()
    assert client.get("/api/settings", headers=_auth(id_token)).status_code == 403


def test_stored_values_no_longer_valid_fall_back_to_defaults(client, installed_shop, id_token):
    shop = installed_shop()
    db.session.add(ShopSettings(shop_id=shop.id, values={"holdout_percent": 500, "gone": 1,
                                                         "max_attempts": 4}))
    db.session.commit()
    body = client.get("/api/settings", headers=_auth(id_token)).json
    assert body["holdout_percent"] == 10 and body["max_attempts"] == 4 and "gone" not in body


def test_openapi_documents_both_operations(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"get", "put"} <= set(paths["/api/settings"])
    assert "422" in paths["/api/settings"]["put"]["responses"]
