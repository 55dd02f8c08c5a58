"""gunicorn.conf.py: the production web tier's settings and its worker-exit hook."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.shopify.webhooks import intake, processing
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.conftest import backend

CONF = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))


def test_threaded_workers_one_per_core_and_at_least_two():
    assert CONF["worker_class"] == "gthread"
    assert CONF["workers"] >= 2 and CONF["threads"] == 8


@pytest.mark.data
@pytest.mark.skipif(backend() == "sqlite", reason="SQLite stores each delivery directly")
def test_a_worker_exiting_announces_what_it_stored_and_gives_its_connection_back(app, monkeypatch):
    monkeypatch.setattr(intake, "ANNOUNCE_EVERY_SECONDS", 60.0)
    monkeypatch.setattr(intake, "ANNOUNCE_QUIET_SECONDS", 30.0)
    batcher = intake.BatchedIntake(app)
    app.extensions[intake.EXTENSION_KEY] = batcher
    values = {"webhook_id": "exit-1", "event_id": None, "topic": "app/scopes_update",
              "shop_domain": "alpha.myshopify.com", "api_version": None, "triggered_at": None,
              "payload": "{}", "payload_bytes": 2, "status": DeliveryStatus.RECEIVED}
    batcher.submit(values)  # the first batch announces itself at once
    second = batcher.submit({**values, "webhook_id": "exit-2"})  # this one waits 30 s to be
    db.session.remove()
    checked_out = db.engine.pool.checkedout()
    CONF["worker_exit"](None, SimpleNamespace(wsgi=app))
    assert batcher.unannounced() == 0
    assert jobs.redis().zscore(jobs.qualified(processing.INBOX), str(second)) is not None
    assert db.engine.pool.checkedout() == checked_out - 1
    assert [row.webhook_id for row in db.session.execute(select(WebhookDelivery)).scalars()] == [
        "exit-1", "exit-2"]


def test_worker_exit_leaves_any_other_wsgi_app_alone():
    CONF["worker_exit"](None, SimpleNamespace(wsgi=lambda environ, start_response: []))
    CONF["worker_exit"](None, SimpleNamespace())
