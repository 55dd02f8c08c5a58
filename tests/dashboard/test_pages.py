"""The embedded admin pages as documents: App Bridge first, Polaris from Shopify's CDN (the local stand-ins
only in the sandbox, never in production), CSP, the app nav, the ID token; the vendored chart build."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from app.extensions import db
from app.sandbox_mode import DEMO_SHOP
from app.shops.models import Shop

pytestmark = pytest.mark.data

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "app" / "dashboard" / "static" / "vendor"
UPLOT_DIST = ROOT / "extensions" / "node_modules" / "uplot" / "dist"
APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
POLARIS = "https://cdn.shopify.com/shopifycloud/polaris.js"
PAGES = ["/", "/activity", "/settings", "/compliance", "/setup", "/calls/1", "/checkouts/tok-123"]
NAVIGATION = ["/", "/activity", "/settings", "/compliance", "/setup"]
EMBEDDED = "embedded=1&shop=alpha.myshopify.com&host=YWRtaW4"


def _open(client, path, token):
    return client.get(f"{path}?{EMBEDDED}&id_token={token}")


def _head(html: str) -> str:
    return html[html.index("<head>"):html.index("</head>")]


def _scripts(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


@pytest.mark.parametrize("path", PAGES)
def test_each_page_loads_app_bridge_first_then_polaris_from_shopify(client, id_token, path):
    response = _open(client, path, id_token())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    head = _head(html)
    first = head[head.index("<script"):]
    assert first.startswith(f'<script src="{APP_BRIDGE}" data-api-key="test-api-key"></script>')
    scripts = _scripts(head)
    assert scripts[:2] == [APP_BRIDGE, POLARIS]
    assert "async" not in head[:head.index(POLARIS)], "App Bridge loads first, not async"
    assert all("defer" in tag for tag in re.findall(r"<script [^>]*dashboard-static[^>]*>", head))
    assert '<meta name="shopify-api-key" content="test-api-key">' in head
    assert "/sandbox/" not in html


@pytest.mark.parametrize("path", PAGES)
def test_each_page_carries_frame_ancestors_csp(client, id_token, path):
    csp = _open(client, path, id_token()).headers["Content-Security-Policy"]
    assert csp == "frame-ancestors https://alpha.myshopify.com https://admin.shopify.com;"


@pytest.mark.parametrize("path", PAGES)
def test_each_page_links_every_page_in_the_app_nav(client, id_token, path):
    html = _open(client, path, id_token()).get_data(as_text=True)
    nav = html[html.index("<s-app-nav>"):html.index("</s-app-nav>")]
    links = re.findall(r'<s-link href="([^"]+)"', nav)
    assert [urlparse(link).path for link in links] == NAVIGATION
    for link in links:
        query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
        assert query == {"shop": ["alpha.myshopify.com"], "host": ["YWRtaW4"], "embedded": ["1"]}, \
            "links keep Shopify's query, never the ID token"
    assert nav.count('aria-current="page"') == 1


def test_the_overview_is_the_app_home_and_names_the_shop(client, id_token):
    html = _open(client, "/", id_token()).get_data(as_text=True)
    assert '<s-link href="/?' in html and 'rel="home"' in html
    assert "Alpha Goods" in html
    assert "vendor/uPlot.iife.min.js" in html


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_an_id_token_goes_to_the_bounce_page(client, path):
    response = client.get(f"{path}?{EMBEDDED}")
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    assert location.path == "/auth/patch-id-token"
    assert parse_qs(location.query)["shopify-reload"] == [f"{path}?{EMBEDDED}"]


@pytest.mark.parametrize("path", ["/activity", "/settings"])
def test_a_page_with_a_forged_id_token_installs_nothing(client, id_token, shopify, path):
    response = _open(client, path, id_token(secret="wrong-secret-0123456789abcdef0123456"))
    assert response.status_code in (302, 401)
    assert db.session.execute(select(Shop)).first() is None
    assert shopify.requests == []


def test_any_page_installs_a_new_shop_by_token_exchange(client, id_token, shopify):
    assert _open(client, "/settings", id_token()).status_code == 200
    shop = db.session.execute(select(Shop)).scalar_one()
    assert shop.domain == "alpha.myshopify.com" and shop.is_active
    assert len(shopify.calls("oauth:urn:ietf:params:oauth:grant-type:token-exchange")) == 1


def test_a_page_outside_the_pages_is_not_found(client, id_token):
    assert _open(client, "/calls/not-a-number", id_token()).status_code == 404


# -- the sandbox and its stand-ins ----------------------------------------------------------------

@pytest.fixture
def sandbox_client(make_app, shopify, installed_shop):
    shopify.add_shop(DEMO_SHOP, "Ringback Demo Store")
    installed_shop(DEMO_SHOP)
    return make_app(SANDBOX=True).test_client()


@pytest.mark.parametrize("path", PAGES)
def test_sandbox_pages_load_the_local_stand_ins_instead_of_the_cdn(sandbox_client, path):
    response = sandbox_client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _scripts(_head(html))[:2] == ["/sandbox/app-bridge.js", "/sandbox/polaris.js"]
    assert "cdn.shopify.com" not in html
    assert "Ringback Demo Store" in html or path != "/"
    assert response.headers["Content-Security-Policy"].startswith("frame-ancestors https://" + DEMO_SHOP)


def test_the_sandbox_serves_the_polaris_stand_in(sandbox_client):
    response = sandbox_client.get("/sandbox/polaris.js")
    assert response.status_code == 200 and response.mimetype == "application/javascript"
    script = response.get_data(as_text=True)
    used = set()
    for page in (ROOT / "app" / "dashboard").rglob("*"):
        if page.suffix in (".html", ".js") and "vendor" not in page.parts:
            used |= set(re.findall(r"\bs-[a-z]+(?:-[a-z]+)*\b", page.read_text()))
    used -= {"s-app-nav"}  # App Bridge's, in its stand-in
    defined = set(re.findall(r'"(s-[a-z-]+)": [A-Z]', script))
    assert used <= defined, f"used but not stood in for: {sorted(used - defined)}"


def test_the_app_bridge_stand_in_has_the_save_bar_and_the_app_nav(sandbox_client):
    script = sandbox_client.get("/sandbox/app-bridge.js").get_data(as_text=True)
    assert 'customElements.define("ui-save-bar"' in script
    assert 'customElements.define("s-app-nav"' in script
    assert "shopify.saveBar = {" in script


def test_production_never_serves_the_stand_ins(make_app, id_token, shopify):
    """Even with SANDBOX forced on, production answers 404 and its pages load Shopify's CDN."""
    app = make_app(APP_ENV="production", SANDBOX=True, RINGBACK_LOOKUP_KEY="l" * 32)
    client = app.test_client()
    for stand_in in ("/sandbox/app-bridge.js", "/sandbox/polaris.js", "/sandbox/id-token"):
        assert client.get(stand_in).status_code == 404
    # Without Shopify's query it is not the sandbox's page either: the bounce page gets a token.
    assert urlparse(client.get("/settings").headers["Location"]).path == "/auth/patch-id-token"
    with app.app_context():
        html = client.get(f"/settings?{EMBEDDED}&id_token={id_token()}").get_data(as_text=True)
    assert _scripts(_head(html))[:2] == [APP_BRIDGE, POLARIS]
    assert "/sandbox/" not in html


def test_outside_the_sandbox_the_stand_ins_do_not_exist(client):
    assert client.get("/sandbox/polaris.js").status_code == 404


# -- the chart, bundled --------------------------------------------------------------------------

def test_the_vendored_chart_is_the_installed_uplot_build():
    """`app/dashboard/static/vendor/update.sh` copies it; run it after upgrading uplot."""
    for name in ("uPlot.iife.min.js", "uPlot.min.css"):
        assert (VENDOR / name).stat().st_size > 1000
        if UPLOT_DIST.exists():
            assert (VENDOR / name).read_bytes() == (UPLOT_DIST / name).read_bytes(), \
                f"{name} differs from extensions/node_modules: run app/dashboard/static/vendor/update.sh"
    assert (VENDOR / "uPlot.LICENSE").exists()


# -- the setup guide's checks (GET /api/setup) -------------------------------------------------------

def _setup(client, token):
    response = client.get("/api/setup", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    return {step["id"]: step for step in response.get_json()["steps"]}, response.get_json()["complete"]


def test_setup_starts_with_every_step_to_do_and_deep_links(client, id_token, installed_shop):
    installed_shop()
    steps, complete = _setup(client, id_token())
    assert not complete and list(steps) == ["twilio", "consent_block", "test_call"]
    assert not any(step["done"] for step in steps.values())
    links = [link["url"] for link in steps["consent_block"]["links"]]
    assert links == ["https://admin.shopify.com/store/alpha/settings/checkout/editor",
                     "https://alpha.myshopify.com/admin/themes/current/editor?context=apps"]


def test_setup_steps_turn_done_when_the_app_sees_them(make_app, id_token, installed_shop):
    from datetime import timedelta

    from app.consent.models import ConsentEvent
    from app.dbtypes import utcnow
    from app.recovery.models import Checkout, ContactAttempt
    from app.voice.models import Call

    app = make_app(TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="token",
                   TWILIO_MESSAGING_SERVICE_SID="MG" + "0" * 32)
    with app.app_context():
        shop = installed_shop()
        now = utcnow()
        checkout = Checkout(shop_id=shop.id, token="tok-setup")
        db.session.add(checkout)
        db.session.flush()
        attempt = ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                                 scheduled_at=now, status="completed")
        db.session.add(attempt)
        db.session.flush()
        db.session.add_all([
            ConsentEvent(shop_id=shop.id, checkout_token="tok-setup", topic="checkouts/create",
                         source="cart_block", channels="call,sms", granted=True, consented_at=now,
                         consented_at_source="attribute", phone_status="valid"),
            Call(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, status="completed",
                 answered_at=now + timedelta(seconds=5)),
        ])
        db.session.commit()
        steps, complete = _setup(app.test_client(), id_token())
    assert complete and all(step["done"] for step in steps.values())


def test_setup_counts_only_this_shops_consents_and_calls(client, id_token, installed_shop):
    from app.consent.models import ConsentEvent
    from app.dbtypes import utcnow

    installed_shop()
    beta = installed_shop("beta.myshopify.com")
    db.session.add(ConsentEvent(shop_id=beta.id, checkout_token="tok-beta", topic="checkouts/create",
                                source="checkout_extension", channels="sms", granted=True,
                                consented_at=utcnow(), consented_at_source="attribute", phone_status="valid"))
    db.session.commit()
    assert not _setup(client, id_token())[0]["consent_block"]["done"]
    assert _setup(client, id_token("beta.myshopify.com"))[0]["consent_block"]["done"]


def test_setup_needs_a_session_token(client):
    response = client.get("/api/setup")
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
