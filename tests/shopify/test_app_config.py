"""shopify.app.toml and shopify.web.toml agree with the code and the Shopify CLI schema."""

import re
import tomllib
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


def test_webhook_api_version_matches_the_admin_api_version():
    assert APP["webhooks"]["api_version"] == SHOPIFY_API_VERSION


def test_redirect_url_is_the_oauth_callback():
    assert all(url.endswith("/auth/callback") for url in APP["auth"]["redirect_urls"])


def test_web_toml_runs_the_backend_with_make_run():
    assert WEB["roles"] == ["frontend", "backend"]
    assert WEB["commands"]["dev"] == "make run"
    assert "$" not in WEB["commands"]["dev"] and "&&" not in WEB["commands"]["dev"]
