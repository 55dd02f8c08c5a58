"""End to end: install, webhooks full of personal data, API calls — and not one secret in a log line."""

import logging

import httpx
import pytest
from sqlalchemy import select

from app.extensions import db
from app.recovery.links import link_token
from app.shops.models import ShopToken
from tests.conftest import API_SECRET

pytestmark = pytest.mark.data

EMAIL = "jane.shopper@example.com"
PHONE = "+12015550123"
PHONE_DIGITS = "2015550123"


@pytest.mark.promise("no-pii-in-logs")
def test_no_token_secret_phone_or_email_appears_in_any_log_line(
    caplog, client, id_token, signed_webhook, run_jobs, shopify
):
    caplog.set_level(logging.DEBUG)
    token = id_token()
    assert client.get(f"/?embedded=1&shop=alpha.myshopify.com&host=x&id_token={token}").status_code == 200
    assert client.get("/api/shop", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    client.get("/api/shop", headers={"Authorization": f"Bearer {token}x"})
    checkout = {"id": 7, "token": "tok-7", "email": EMAIL, "phone": PHONE,
                "customer": {"email": EMAIL, "phone": PHONE, "first_name": "Jane"},
                "note_attributes": [{"name": "ringback_consent", "value": "yes"},
                                    {"name": "ringback_phone", "value": PHONE}]}
    for topic in ("checkouts/create", "orders/create", "app/scopes_update"):
        body, headers = signed_webhook(topic, checkout)
        client.post("/webhooks", data=body, headers=headers)
    forged_body, forged = signed_webhook("checkouts/create", checkout, secret="x" * 32)
    client.post("/webhooks", data=forged_body, headers=forged)
    run_jobs()
    stored = db.session.execute(select(ShopToken)).scalar_one()
    secrets = [EMAIL, PHONE, PHONE_DIGITS, token, stored.access_token, stored.refresh_token, API_SECRET,
               forged["X-Shopify-Hmac-Sha256"], headers["X-Shopify-Hmac-Sha256"]]
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert caplog.records, "the flow logged nothing: the test would prove nothing"
    for secret in secrets:
        assert secret not in text


@pytest.mark.promise("no-pii-in-logs")
def test_server_request_lines_carry_no_recovery_link_and_no_colour(caplog, app, live_server):
    caplog.set_level(logging.INFO)
    token = link_token(7, 3)
    # werkzeug colours non-200 lines: yellow for this 404 (no such checkout), red for the 401.
    assert httpx.get(f"{live_server}/r/{token}").status_code == 404
    assert httpx.get(f"{live_server}/api/shop").status_code == 401
    request_lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert any("GET /r/[link] HTTP/1.1" in line for line in request_lines), request_lines
    assert token not in text
    assert "\x1b" not in text
