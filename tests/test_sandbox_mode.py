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


@pytest.fixture
def served_sandbox(make_app, shopify, installed_shop):
    """The sandbox app over real HTTP, its APP_URL its own address (it posts webhooks to itself)."""
    import threading

    from werkzeug.serving import make_server

    shopify.add_shop(DEMO_SHOP, "Ringback Demo Store")
    installed_shop(DEMO_SHOP)
    application = make_app(SANDBOX=True)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    application.config["APP_URL"] = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield application
    server.shutdown()
    server.server_close()


def test_sandbox_simulate_abandons_checkouts_through_the_webhook_path(served_sandbox):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.shopify.webhooks.models import WebhookDelivery

    url = served_sandbox.config["APP_URL"]
    result = served_sandbox.test_cli_runner().invoke(
        args=["sandbox", "simulate", "--count", "2", "--persona", "interested", "--url", url])
    assert result.exit_code == 0, result.output
    assert result.output.count("abandoned checkout") == 2
    with served_sandbox.app_context():
        stored = db.session.scalar(select(func.count(WebhookDelivery.id)).where(
            WebhookDelivery.topic == "checkouts/create", WebhookDelivery.shop_domain == DEMO_SHOP))
    assert stored == 2


def test_sandbox_simulate_says_when_the_sandbox_is_not_running(make_app, shopify):
    from tests.test_cli import free_port

    app = make_app(SANDBOX=True)
    result = app.test_cli_runner().invoke(args=["sandbox", "simulate", "--url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1 and "is not answering" in result.output and "make run" in result.output
