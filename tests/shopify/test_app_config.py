"""shopify.app.toml and shopify.web.toml agree with the code and the Shopify CLI schema."""

import re
import tomllib
from datetime import date
from pathlib import Path

from app.config import SHOPIFY_API_VERSION
from app.shopify.webhooks.topics import COMPLIANCE_TOPICS, SUBSCRIBED_TOPICS

ROOT = Path(__file__).resolve().parents[2]
APP = tomllib.loads((ROOT / "shopify.app.toml").read_text())
WEB = tomllib.loads((ROOT / "shopify.web.toml").read_text())


def test_app_toml_has_the_required_top_level_keys():
    for key, kind in (("client_id", str), ("name", str), ("handle", str),
                      ("application_url", str), ("embedded", bool)):
        assert isinstance(APP[key], kind), key
    assert re.fullmatch(r"[a-z0-9-]+", APP["handle"])
    assert APP["application_url"].startswith("https://")


def test_scopes_are_a_comma_separated_string():
    scopes = APP["access_scopes"]["scopes"]
    assert isinstance(scopes, str)
    assert set(scopes.split(",")) == {"read_orders", "write_discounts"}


def test_every_subscribed_topic_is_declared_with_a_relative_uri():
    subscriptions = APP["webhooks"]["subscriptions"]
    topics = [t for s in subscriptions for t in s.get("topics", [])]
    compliance = [t for s in subscriptions for t in s.get("compliance_topics", [])]
    assert sorted(topics) == sorted(SUBSCRIBED_TOPICS)
    assert sorted(compliance) == sorted(COMPLIANCE_TOPICS)
    for subscription in subscriptions:
        assert subscription["uri"].startswith("/") and "://" not in subscription["uri"]
        assert set(subscription) <= {"topics", "compliance_topics", "uri", "filter", "include_fields"}


# Shopify supports each API version for 12 months; moving on at 9 leaves a quarter's margin.
MAX_VERSION_AGE_MONTHS = 9


def test_webhook_api_version_matches_the_admin_api_version():
    assert APP["webhooks"]["api_version"] == SHOPIFY_API_VERSION


def test_the_sandbox_signs_webhooks_with_the_same_api_version():
    from sandbox.webhooks import webhook_headers

    assert webhook_headers("orders/create", "a.myshopify.com", b"{}", "s")["X-Shopify-API-Version"] == \
        SHOPIFY_API_VERSION


def test_pinned_api_version_is_a_stable_release_less_than_nine_months_old():
    match = re.fullmatch(r"(\d{4})-(01|04|07|10)", SHOPIFY_API_VERSION)
    assert match, f"{SHOPIFY_API_VERSION} is not a stable Shopify release (YYYY-01/04/07/10)"
    released = date(int(match[1]), int(match[2]), 1)
    today = date.today()
    age = (today.year - released.year) * 12 + today.month - released.month
    assert age <= MAX_VERSION_AGE_MONTHS, (
        f"Shopify API {SHOPIFY_API_VERSION} is {age} months old (support ends at 12): move "
        "SHOPIFY_API_VERSION in app/config.py and [webhooks] api_version in shopify.app.toml to the "
        "current stable release, then read Shopify's changelog for that version"
    )


def test_redirect_url_is_the_oauth_callback():
    assert all(url.endswith("/auth/callback") for url in APP["auth"]["redirect_urls"])


def test_web_toml_runs_the_backend_with_make_run():
    assert WEB["roles"] == ["frontend", "backend"]
    assert WEB["commands"]["dev"] == "make run"
    assert "$" not in WEB["commands"]["dev"] and "&&" not in WEB["commands"]["dev"]
