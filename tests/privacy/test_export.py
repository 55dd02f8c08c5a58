"""customers/data_request: the export holds every marker of that customer and nothing of anyone else."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.privacy.models import DataRequest
from tests.privacy.seed import found, new_customer, seed_quietly, seed_with_call
from tests.recovery.conftest import make_shop

pytestmark = pytest.mark.data
BETA = "beta.myshopify.com"


@pytest.fixture
def auth(id_token):
    def headers(shop: str = "alpha.myshopify.com") -> dict[str, str]:
        return {"Authorization": f"Bearer {id_token(shop)}"}

    return headers


def _export(client, auth, shop: str = "alpha.myshopify.com") -> dict:
    listing = client.get("/api/data-requests", headers=auth(shop)).get_json()
    assert len(listing["items"]) == 1
    detail = client.get(f"/api/data-requests/{listing['items'][0]['id']}", headers=auth(shop))
    assert detail.status_code == 200
    return detail.get_json()


@pytest.mark.promise("access-and-portability")
def test_the_data_request_export_contains_every_marker_of_the_customer_and_no_other(
        app, client, auth, served, clock, deliver, run_due, run_jobs):
    make_shop()
    make_shop(BETA)
    customer, neighbour = new_customer("alpha.myshopify.com", 1), new_customer("alpha.myshopify.com", 2)
    elsewhere = new_customer(BETA, 3)
    seed_with_call(customer, served=served, clock=clock, deliver=deliver, run_due=run_due, run_jobs=run_jobs)
    seed_quietly(neighbour, deliver=deliver)
    seed_quietly(elsewhere, deliver=deliver)

    deliver(("customers/data_request", customer.data_request_payload(4242)))

    body = _export(client, auth)
    text = json.dumps(body)
    assert found(customer.markers, text) == customer.markers
    assert found(neighbour.markers, text) == []
    assert found(elsewhere.markers, text) == []
    records = body["export"]["records"]
    for table in ("checkouts", "orders", "contact_attempts", "calls", "call_turns", "messages",
                  "consent_events", "suppressions", "webhook_deliveries"):
        assert records.get(table), f"the export has the customer's {table}"
    assert body["shopify_request_id"] == "4242" and body["record_count"] == sum(map(len, records.values()))
    said = [t["text"] for t in records["call_turns"] if t["role"] == "shopper"]
    assert any(customer.first_name in line for line in said), "the transcript, decrypted"


@pytest.mark.promise("encryption-at-rest")
def test_the_export_is_encrypted_at_rest(app, clock, deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    seed_quietly(customer, deliver=deliver)
    deliver(("customers/data_request", customer.data_request_payload()))
    raw = db.session.execute(db.text("SELECT export FROM data_requests")).scalar_one()
    assert raw.startswith("gAAAA") and customer.email not in raw


@pytest.mark.promise("access-and-portability")
def test_a_redelivered_data_request_is_compiled_once(app, client, auth, clock, deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    seed_quietly(customer, deliver=deliver)
    deliver(("customers/data_request", customer.data_request_payload(7)),
            ("customers/data_request", customer.data_request_payload(7)))
    db.session.commit()
    assert len(db.session.execute(select(DataRequest)).scalars().all()) == 1


@pytest.mark.promise("access-and-portability")
def test_a_data_request_for_a_customer_held_nowhere_compiles_an_empty_export(app, client, auth, clock,
                                                                            deliver):
    make_shop()
    stranger = new_customer("alpha.myshopify.com", 1)
    deliver(("customers/data_request", stranger.data_request_payload()))
    body = _export(client, auth)
    assert body["record_count"] == 0 and body["export"]["records"] == {}
