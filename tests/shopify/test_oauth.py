"""The legacy authorization-code install: every forged callback is refused with no outbound call."""

import time
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from sqlalchemy import select

from app.extensions import db
from app.shops.models import Shop
from sandbox.shopify_sim import sign_query
from tests.conftest import API_SECRET, OLD_API_SECRET

pytestmark = pytest.mark.data


def _begin(client, shop="alpha.myshopify.com"):
    response = client.get(f"/auth?shop={shop}")
    assert response.status_code == 302
    return response, parse_qs(urlparse(response.headers["Location"]).query)["state"][0]


def _callback(client, shopify, *, state, shop="alpha.myshopify.com", secret=API_SECRET,
              timestamp=None, tamper=None):
    params = {"code": shopify.issue_auth_code(shop), "shop": shop, "state": state,
              "timestamp": str(timestamp or int(time.time())), "host": "YWRtaW4"}
    params["hmac"] = sign_query(params, secret)
    if tamper:
        params.update(tamper)
    return client.get("/auth/callback?" + urlencode(params))


def _token_requests(shopify):
    return [r for r in shopify.requests if r["kind"].startswith("oauth:") and r["kind"] != "oauth:authorize"]


def test_begin_redirects_to_the_shops_authorize_page_with_a_state_cookie(client, shopify):
    response, state = _begin(client)
    location = urlparse(response.headers["Location"])
    assert location.path == "/shops/alpha.myshopify.com/admin/oauth/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == ["test-api-key"]
    assert query["redirect_uri"] == ["https://ringback.test/auth/callback"]
    assert "read_orders" in query["scope"][0]
    cookie = response.headers["Set-Cookie"]
    assert "ringback_oauth_state=" in cookie and "HttpOnly" in cookie and state not in cookie


def test_full_flow_installs_with_an_expiring_token(client, shopify):
    response, _ = _begin(client)
    # The simulator plays the merchant clicking Install, over real HTTP.
    approved = httpx.get(response.headers["Location"], follow_redirects=False)
    callback = urlparse(approved.headers["Location"])
    done = client.get(callback.path + "?" + callback.query)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/admin/apps/test-api-key")
    shop = db.session.execute(select(Shop)).scalar_one()
    assert shop.is_active and shop.name == "Alpha Goods"
    assert shop.token.refresh_token and shop.token.expires_at
    assert shopify.calls("oauth:authorization_code")[0]["body"]["expiring"] == "1"


def test_callback_signed_with_the_old_secret_is_accepted(client, shopify):
    _, state = _begin(client)
    assert _callback(client, shopify, state=state, secret=OLD_API_SECRET).status_code == 302


def test_bad_hmac_is_refused_without_outbound_request(client, shopify):
    _, state = _begin(client)
    response = _callback(client, shopify, state=state, secret="forged-secret-0123456789abcdef01")
    assert response.status_code == 401
    assert _token_requests(shopify) == []


def test_tampered_parameter_breaks_the_hmac(client, shopify):
    _, state = _begin(client)
    response = _callback(client, shopify, state=state, tamper={"host": "ZXZpbA"})
    assert response.status_code == 401
    assert _token_requests(shopify) == []


def test_stale_timestamp_is_refused_without_outbound_request(client, shopify):
    _, state = _begin(client)
    response = _callback(client, shopify, state=state, timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert _token_requests(shopify) == []


def test_wrong_state_is_refused_without_outbound_request(client, shopify):
    _begin(client)
    response = _callback(client, shopify, state="not-the-state")
    assert response.status_code == 403
    assert _token_requests(shopify) == []


def test_missing_state_cookie_is_refused(client, shopify):
    _, state = _begin(client)
    client.delete_cookie("ringback_oauth_state", path="/auth")
    response = _callback(client, shopify, state=state)
    assert response.status_code == 403
    assert _token_requests(shopify) == []


def test_state_for_another_shop_is_refused(client, shopify):
    _, state = _begin(client, "beta.myshopify.com")
    response = _callback(client, shopify, state=state, shop="alpha.myshopify.com")
    assert response.status_code == 403
    assert _token_requests(shopify) == []


@pytest.mark.parametrize("shop", ["evil.com", "x.myshopify.com.evil.com", "-x.myshopify.com",
                                  "x.myshopify.com/evil", "", "x" * 300 + ".myshopify.com"])
def test_evil_shop_domain_is_refused_without_outbound_request(client, shopify, shop):
    assert client.get("/auth", query_string={"shop": shop}).status_code == 400
    params = {"code": "c", "shop": shop, "state": "s", "timestamp": str(int(time.time()))}
    params["hmac"] = sign_query(params, API_SECRET)
    assert client.get("/auth/callback?" + urlencode(params)).status_code == 400
    assert shopify.requests == []


def test_code_shopify_rejects_answers_401_and_installs_nothing(client, shopify):
    _, state = _begin(client)
    params = {"code": "never-issued", "shop": "alpha.myshopify.com", "state": state,
              "timestamp": str(int(time.time())), "host": "YWRtaW4"}
    params["hmac"] = sign_query(params, API_SECRET)
    assert client.get("/auth/callback?" + urlencode(params)).status_code == 401
    assert len(shopify.calls("oauth:authorization_code")) == 1
    assert db.session.execute(select(Shop)).first() is None
