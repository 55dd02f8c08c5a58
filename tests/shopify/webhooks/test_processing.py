"""Processing stored deliveries: handlers, retries, deferral, replay, and the sweeper."""

import pytest
from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.shopify.webhooks import processing
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shopify.webhooks.registry import HANDLERS
from app.shops.models import Shop
from app.shops.signals import shop_uninstalled

pytestmark = pytest.mark.data


def _deliver(client, signed_webhook, topic, payload, **kwargs):
    body, headers = signed_webhook(topic, payload, **kwargs)
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    return db.session.execute(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == headers["X-Shopify-Webhook-Id"])
    ).scalar_one()


def test_app_uninstalled_drops_tokens_stops_outreach_and_keeps_data(
    client, signed_webhook, installed_shop, run_jobs
):
    shop = installed_shop()
    stopped = []
    shop_uninstalled.connect(stopped.append, weak=False)
    try:
        _deliver(client, signed_webhook, "app/uninstalled", {"id": 1, "domain": shop.domain})
        run_jobs()
    finally:
        shop_uninstalled.disconnect(stopped.append)
    db.session.expire_all()
    shop = db.session.execute(select(Shop)).scalar_one()
    assert shop.token is None and shop.uninstalled_at is not None and not shop.is_active
    assert shop.name == "Alpha Goods"  # data kept until shop/redact
    assert [s.id for s in stopped] == [shop.id]


def test_uninstall_older_than_the_latest_install_is_ignored(client, signed_webhook, installed_shop,
                                                            run_jobs):
    from sandbox.webhooks import webhook_headers

    shop = installed_shop()
    body = b'{"id": 1}'
    headers = webhook_headers("app/uninstalled", shop.domain, body, client.application.config[
        "SHOPIFY_API_SECRET"])
    headers["X-Shopify-Triggered-At"] = "2020-01-01T00:00:00Z"
    assert client.post("/webhooks", data=body, headers=headers).status_code == 200
    run_jobs()
    db.session.expire_all()
    assert db.session.execute(select(Shop)).scalar_one().is_active


def test_a_late_uninstall_does_not_undo_a_legacy_oauth_reinstall(client, signed_webhook, installed_shop,
                                                                 run_jobs):
    """Uninstall, then reinstall through the authorization-code flow before the uninstall's job ran."""
    import time
    from urllib.parse import urlparse

    import httpx

    installed_shop()
    _deliver(client, signed_webhook, "app/uninstalled", {"id": 1, "domain": "alpha.myshopify.com"})
    time.sleep(0.01)  # the merchant reinstalls after uninstalling, not at the same instant
    begun = client.get("/auth?shop=alpha.myshopify.com")
    approved = httpx.get(begun.headers["Location"], follow_redirects=False)
    callback = urlparse(approved.headers["Location"])
    assert client.get(callback.path + "?" + callback.query).status_code == 302
    db.session.expire_all()
    fresh = db.session.execute(select(Shop)).scalar_one().token.access_token
    run_jobs()  # the stale uninstall is processed only now
    db.session.expire_all()
    shop = db.session.execute(select(Shop)).scalar_one()
    assert shop.is_active and shop.token is not None and shop.token.access_token == fresh


def test_an_uninstall_without_a_trigger_time_is_dated_by_its_arrival(client, signed_webhook,
                                                                     installed_shop):
    from app.shopify.install import record_install
    from app.shopify.oauth import _Exchanged

    shop = installed_shop()
    delivery = _deliver(client, signed_webhook, "app/uninstalled", {"id": 1, "domain": shop.domain})
    delivery.triggered_at = None
    db.session.commit()
    record_install(shop.domain, _Exchanged("shpat_reinstalled", "read_orders", None, None, None))
    processing.process_delivery(delivery.id)
    db.session.expire_all()
    assert db.session.execute(select(Shop)).scalar_one().is_active


def test_scopes_update_records_the_new_scopes(client, signed_webhook, installed_shop, run_jobs):
    installed_shop()
    _deliver(client, signed_webhook, "app/scopes_update",
             {"previous": ["read_orders"], "current": ["write_discounts", "read_orders"]})
    run_jobs()
    db.session.expire_all()
    shop = db.session.execute(select(Shop)).scalar_one()
    assert shop.scopes == "read_orders,write_discounts"
    assert shop.token.scope == "read_orders,write_discounts"


def test_processed_delivery_drops_its_payload(client, signed_webhook, run_jobs):
    delivery = _deliver(client, signed_webhook, "app/scopes_update", {"current": []})
    run_jobs()
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.PROCESSED and delivery.payload is None
    assert delivery.processed_at is not None


def test_processing_twice_has_one_effect(client, signed_webhook):
    delivery = _deliver(client, signed_webhook, "app/scopes_update", {"current": []})
    assert processing.process_delivery(delivery.id) == DeliveryStatus.PROCESSED
    assert processing.process_delivery(delivery.id) == DeliveryStatus.PROCESSED
    assert processing.process_delivery(999_999) == "missing"


def test_topic_without_a_handler_is_deferred_and_keeps_its_payload(
    client, signed_webhook, monkeypatch, run_jobs
):
    monkeypatch.delitem(HANDLERS, "shop/redact", raising=False)
    delivery = _deliver(client, signed_webhook, "shop/redact", {"shop_id": 1})
    run_jobs()
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.DEFERRED
    assert delivery.payload is not None
    monkeypatch.setitem(HANDLERS, "shop/redact", lambda event: None)
    assert processing.sweep() == 1  # a handler exists now: the sweeper picks the delivery up


def test_failing_handler_is_retried_with_backoff_then_parked_as_dead(
    client, signed_webhook, monkeypatch
):
    def boom(event):
        raise RuntimeError("shopper jo@example.com broke it")

    monkeypatch.setitem(HANDLERS, "app/scopes_update", boom)
    delivery = _deliver(client, signed_webhook, "app/scopes_update", {"current": []})
    assert processing.process_delivery(delivery.id) == DeliveryStatus.FAILED
    db.session.refresh(delivery)
    assert delivery.attempts == 1 and delivery.next_attempt_at > utcnow()
    assert delivery.last_error == "RuntimeError" and delivery.payload is not None
    for _ in range(processing.MAX_ATTEMPTS - 1):
        processing.process_delivery(delivery.id)
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.DEAD and delivery.payload is not None


def test_replay_command_processes_a_dead_delivery(app, client, signed_webhook, monkeypatch):
    monkeypatch.setitem(HANDLERS, "app/scopes_update", lambda event: 1 / 0)
    delivery = _deliver(client, signed_webhook, "app/scopes_update", {"current": []})
    processing.process_delivery(delivery.id)
    monkeypatch.setitem(HANDLERS, "app/scopes_update", lambda event: None)
    result = app.test_cli_runner().invoke(args=["webhooks", "replay", str(delivery.id)])
    assert "processed" in result.output
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status == DeliveryStatus.PROCESSED


def test_sweeper_skips_deliveries_whose_job_is_still_queued(app, client, signed_webhook):
    _deliver(client, signed_webhook, "app/scopes_update", {"current": []})
    app.config["WEBHOOK_SWEEP_GRACE_SECONDS"] = 0
    assert processing.sweep() == 0  # the intake already queued it


def test_processing_waits_for_a_concurrent_writer_instead_of_failing(client, signed_webhook, app):
    """`make run` on SQLite: the web process stores the next delivery while the worker processes one."""
    import threading

    import sqlalchemy as sa

    delivery = _deliver(client, signed_webhook, "app/scopes_update", {"current": []})
    db.session.commit()
    holding, release = threading.Event(), threading.Event()
    engine = db.engine

    def web_process_storing_a_delivery():
        with engine.connect() as conn:
            # The insert holds the write lock (on SQLite) until the commit.
            conn.execute(sa.insert(WebhookDelivery).values(
                webhook_id="concurrent", topic="app/scopes_update", shop_domain="alpha.myshopify.com",
                payload_bytes=0, status=DeliveryStatus.IGNORED, attempts=0, received_at=utcnow()))
            holding.set()
            release.wait(5)
            conn.commit()

    writer = threading.Thread(target=web_process_storing_a_delivery)
    writer.start()
    holding.wait(5)
    threading.Timer(0.3, release.set).start()  # commits while the job is under way
    assert processing.process_delivery(delivery.id) == DeliveryStatus.PROCESSED
    writer.join(10)
