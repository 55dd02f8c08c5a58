"""The embedded app home: install on first load, CSP, bounce page, the sandbox banner."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from app.extensions import db
from app.sandbox_mode import DEMO_SHOP
from app.shops.models import Shop

pytestmark = pytest.mark.data


def _home(client, token, shop="alpha.myshopify.com"):
    return client.get(f"/?embedded=1&shop={shop}&host=YWRtaW4&id_token={token}")


def test_first_load_installs_the_shop_by_token_exchange(client, id_token, shopify):
    response = _home(client, id_token())
    assert response.status_code == 200
    shop = db.session.execute(select(Shop)).scalar_one()
    assert shop.domain == "alpha.myshopify.com" and shop.is_active and shop.token is not None
    assert b"Alpha Goods" in response.data
    assert len(shopify.calls("oauth:urn:ietf:params:oauth:grant-type:token-exchange")) == 1


def test_second_load_does_not_exchange_again(client, id_token, shopify):
    _home(client, id_token())
    _home(client, id_token())
    assert len(shopify.calls("oauth:urn:ietf:params:oauth:grant-type:token-exchange")) == 1


def test_embedded_document_carries_frame_ancestors_csp(client, id_token):
    csp = _home(client, id_token()).headers["Content-Security-Policy"]
    assert csp == "frame-ancestors https://alpha.myshopify.com https://admin.shopify.com;"


def test_page_loads_app_bridge_first_with_the_api_key(client, id_token):
    html = _home(client, id_token()).get_data(as_text=True)
    head = html[html.index("<head>"):html.index("</head>")]
    first_script = head[head.index("<script"):]
    assert first_script.startswith('<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"')
    assert 'data-api-key="test-api-key"' in head


def test_request_without_id_token_goes_to_the_bounce_page(client):
    response = client.get("/?embedded=1&shop=alpha.myshopify.com&host=YWRtaW4")
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    assert location.path == "/auth/patch-id-token"
    reload = parse_qs(location.query)["shopify-reload"]
    assert reload == ["/?embedded=1&shop=alpha.myshopify.com&host=YWRtaW4"]


def test_bounce_page_only_loads_app_bridge(client):
    response = client.get("/auth/patch-id-token?shop=alpha.myshopify.com&shopify-reload=%2F")
    assert response.status_code == 200
    assert b"app-bridge.js" in response.data


def test_invalid_id_token_installs_nothing(client, id_token, shopify):
    response = _home(client, id_token(secret="wrong-secret-0123456789abcdef0123456"))
    assert response.status_code in (302, 401)
    assert db.session.execute(select(Shop)).first() is None
    assert shopify.requests == []


def test_id_token_for_a_non_shop_dest_installs_nothing(client, id_token, shopify):
    response = _home(client, id_token(dest="https://evil.com"))
    assert response.status_code in (302, 401)
    assert db.session.execute(select(Shop)).first() is None
    assert shopify.requests == []


@pytest.fixture
def sandbox_note(make_app, shopify, installed_shop):
    """The sandbox banner of `GET /` in sandbox mode (demo shop installed); pass config overrides."""
    shopify.add_shop(DEMO_SHOP, "Ringback Demo Store")
    installed_shop(DEMO_SHOP)

    def get(**overrides) -> str:
        html = make_app(SANDBOX=True, **overrides).test_client().get("/").get_data(as_text=True)
        return " ".join(re.search(r'<p class="sandbox-note"[^>]*>(.*?)</p>', html, re.S).group(1).split())

    return get


def test_sandbox_banner_names_only_running_simulators(sandbox_note):
    assert sandbox_note() == ("Sandbox mode: Shopify is a local simulator. "
                              "Twilio is not simulated: calls and texts go to the configured account.")
    assert sandbox_note(TWILIO_API_BASE_URL="http://127.0.0.1:9") == \
        "Sandbox mode: Shopify and Twilio are local simulators."
