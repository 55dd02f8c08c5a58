"""The sandbox's helpers refuse what they cannot do, clearly (the happy path runs in test_devserver)."""

from __future__ import annotations

import pytest

from app.sandbox_mode import DEMO_SHOP

pytestmark = pytest.mark.data


@pytest.fixture
def sandbox_client(make_app, shopify, installed_shop):
    shopify.add_shop(DEMO_SHOP, "Ringback Demo Store")
    installed_shop(DEMO_SHOP)
    return make_app(SANDBOX=True).test_client()


@pytest.mark.parametrize("body", [None, [], {"action": "delete_everything"}, {"action": 1}])
def test_a_privacy_request_needs_a_known_action(sandbox_client, body):
    response = sandbox_client.post("/sandbox/privacy", json=body)
    assert response.status_code == 422 and response.get_json()["actions"] == ["data_request", "redact"]


def test_a_privacy_request_needs_a_shopper(sandbox_client):
    response = sandbox_client.post("/sandbox/privacy", json={"action": "redact"})
    assert response.status_code == 409 and response.get_json()["error"] == "no_shopper"


def test_the_sandbox_helpers_do_not_exist_outside_the_sandbox(make_app, shopify, installed_shop):
    client = make_app().test_client()
    assert client.post("/sandbox/privacy", json={"action": "redact"}).status_code == 404
