"""Webhook intake: status codes of the contract, de-duplication, durability, outages."""

import json
import threading

import httpx
import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.conftest import OLD_API_SECRET

pytestmark = pytest.mark.data

CHECKOUT = {"id": 1, "token": "tok-1", "email": "shopper@example.com", "phone": "+12015550123"}


def _count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one()


def _post(client, body, headers, path="/webhooks"):
    return client.post(path, data=body, headers=headers)


def test_valid_webhook_is_stored_and_answered_200(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    response = _post(client, body, headers)
    assert response.status_code == 200
    assert _count() == 1


def test_forged_hmac_gets_401_and_writes_nothing(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT, secret="not-the-secret")
    assert _post(client, body, headers).status_code == 401
    assert _count() == 0


def test_body_tampered_after_signing_gets_401(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    assert _post(client, body.replace(b"tok-1", b"tok-2"), headers).status_code == 401
    assert _count() == 0


def test_missing_hmac_gets_401_and_writes_nothing(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    del headers["X-Shopify-Hmac-Sha256"]
    assert _post(client, body, headers).status_code == 401
    assert _count() == 0


def test_old_secret_hmac_is_accepted_during_rotation(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT, secret=OLD_API_SECRET)
    assert _post(client, body, headers).status_code == 200
    assert _count() == 1


def test_non_post_gets_405_and_writes_nothing(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    for method in ("get", "put", "delete"):
        assert getattr(client, method)("/webhooks", data=body, headers=headers).status_code == 405
    assert _count() == 0


def test_non_json_body_gets_400_and_writes_nothing(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", b"this is { not json")
    assert _post(client, body, headers).status_code == 400
    assert _count() == 0


def test_json_that_is_not_an_object_gets_400(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", b"[1, 2, 3]")
    assert _post(client, body, headers).status_code == 400
    assert _count() == 0


def test_6_mib_body_gets_413_and_writes_nothing(client, signed_webhook):
    payload = {"id": 1, "note": "x" * (6 * 1024 * 1024)}
    body, headers = signed_webhook("checkouts/create", payload)
    assert _post(client, body, headers).status_code == 413
    assert _count() == 0


def test_missing_webhook_id_or_topic_gets_400(client, signed_webhook):
    for header in ("X-Shopify-Webhook-Id", "X-Shopify-Topic"):
        body, headers = signed_webhook("checkouts/create", CHECKOUT)
        del headers[header]
        assert _post(client, body, headers).status_code == 400
    assert _count() == 0


def test_invalid_shop_domain_header_gets_400(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT, shop="evil.com")
    assert _post(client, body, headers).status_code == 400
    assert _count() == 0


def test_events_system_headers_without_x_prefix_are_accepted(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    headers = {k.removeprefix("X-"): v for k, v in headers.items()}
    assert _post(client, body, headers).status_code == 200
    assert _count() == 1


def test_duplicate_delivery_answers_200_and_stores_once(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT, webhook_id="dup-1")
    assert [_post(client, body, headers).status_code for _ in range(3)] == [200, 200, 200]
    assert _count() == 1


def test_same_webhook_id_delivered_10_times_concurrently_stores_one_row(live_server, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT, webhook_id="concurrent-1")
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def deliver():
        barrier.wait()
        statuses.append(httpx.post(live_server + "/webhooks", content=body, headers=headers,
                                   timeout=10).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    assert _count() == 1


def test_unknown_topic_is_acknowledged_without_keeping_the_payload(client, signed_webhook):
    body, headers = signed_webhook("products/update", {"id": 5, "title": "Hat"})
    assert _post(client, body, headers).status_code == 200
    delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == DeliveryStatus.IGNORED and delivery.payload is None


@pytest.mark.promise("encryption-at-rest")
def test_stored_payload_is_not_readable_in_the_database_without_the_key(client, signed_webhook):
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    assert _post(client, body, headers).status_code == 200
    raw = db.session.execute(text("SELECT payload FROM webhook_deliveries")).scalar_one()
    assert "shopper@example.com" not in raw and "2015550123" not in raw
    delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert json.loads(delivery.payload)["email"] == "shopper@example.com"


def test_database_outage_during_a_webhook_answers_503(make_app, signed_webhook):
    dead = make_app(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    body, headers = signed_webhook("checkouts/create", CHECKOUT)
    response = dead.test_client().post("/webhooks", data=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_redis_down_still_answers_200_and_the_delivery_is_processed_once_redis_is_back(
    make_app, app, signed_webhook, run_jobs
):
    no_redis = make_app(REDIS_URL="redis://127.0.0.1:1/0", WEBHOOK_SWEEP_GRACE_SECONDS=0)
    body, headers = signed_webhook("app/scopes_update", {"current": ["read_orders"]})
    assert no_redis.test_client().post("/webhooks", data=body, headers=headers).status_code == 200
    delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == DeliveryStatus.RECEIVED and delivery.payload is not None

    from app.shopify.webhooks.processing import sweep

    app.config["WEBHOOK_SWEEP_GRACE_SECONDS"] = 0
    assert sweep() == 1  # Redis is back: the sweeper finds what was never queued
    run_jobs()
    db.session.expire_all()
    delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.payload is None


def _sign(body: bytes, secret: str) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_the_hmac_check_agrees_with_the_shopify_sdk_verifier(app):
    from app.shopify.http import shopify_app
    from app.shopify.webhooks.routes import WebhookEndpoint

    endpoint = WebhookEndpoint(app, downstream=None)
    body = json.dumps(CHECKOUT).encode()
    cases = {
        "current secret": (body, _sign(body, app.config["SHOPIFY_API_SECRET"])),
        "old secret": (body, _sign(body, OLD_API_SECRET)),
        "another secret": (body, _sign(body, "not-the-secret")),
        "tampered body": (body + b" ", _sign(body, app.config["SHOPIFY_API_SECRET"])),
        "empty body": (b"", _sign(b"", app.config["SHOPIFY_API_SECRET"])),
        "unicode body": ('{"note": "café ☕"}'.encode(), _sign('{"note": "café ☕"}'.encode(),
                                                              app.config["SHOPIFY_API_SECRET"])),
        "hex, not base64": (body, "ab" * 32),
        "truncated": (body, _sign(body, app.config["SHOPIFY_API_SECRET"])[:-2]),
        "missing": (body, ""),
    }
    sdk = shopify_app()
    for name, (raw, signature) in cases.items():
        headers = {"X-Shopify-Hmac-Sha256": signature} if signature else {}
        expected = sdk.verify_webhook_req({"method": "POST", "headers": headers, "url": "/webhooks",
                                           "body": raw.decode()}).ok
        assert endpoint._signed(raw, signature or None) is expected, name
    assert sum(endpoint._signed(*case) for case in cases.values()) == 4  # current, old, empty, unicode


def test_non_post_gets_405_with_allow_in_the_app_s_error_shape(client):
    response = client.get("/webhooks/checkouts/update")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert response.get_json() == {"error": "method_not_allowed", "message": response.get_json()["message"]}
    assert response.get_json()["message"]


def test_oversized_body_gets_413_in_the_app_s_error_shape(client):
    response = client.post("/webhooks", data=b" " * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"


def test_other_paths_go_on_to_flask(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/webhooksX").status_code == 404
    assert client.post("/webhook").status_code == 404


def test_a_stored_payload_is_compressed_inside_its_token(client, signed_webhook):
    checkout = {**CHECKOUT, "line_items": [{"title": f"Item {i}", "quantity": 1, "price": "10.00"}
                                           for i in range(30)]}
    body, headers = signed_webhook("checkouts/create", checkout)
    assert _post(client, body, headers).status_code == 200
    raw = db.session.execute(text("SELECT payload FROM webhook_deliveries")).scalar_one()
    assert len(raw) < len(body) / 2  # a plain Fernet token would be 4/3 of it and more
    assert json.loads(db.session.execute(select(WebhookDelivery)).scalar_one().payload) == checkout
