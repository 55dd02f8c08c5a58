"""Restriction of processing: no contact, no processing, data kept until lifted or erased."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.crypto import customer_hash
from app.extensions import db
from app.privacy.models import Restriction
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order
from tests.privacy.seed import checkout_of, dump_database, found, new_customer
from tests.recovery.conftest import make_shop, sent  # noqa: F401 - the fixture

pytestmark = pytest.mark.data


@pytest.fixture
def auth(id_token):
    def headers(shop: str = "alpha.myshopify.com") -> dict[str, str]:
        return {"Authorization": f"Bearer {id_token(shop)}", "Content-Type": "application/json"}

    return headers


def _restrict(client, auth, body, shop: str = "alpha.myshopify.com"):
    return client.post("/api/restrictions", data=json.dumps(body), headers=auth(shop))


def _attempt() -> ContactAttempt:
    db.session.commit()
    return db.session.execute(select(ContactAttempt)).scalar_one()


@pytest.mark.promise("restriction-and-rectification")
def test_a_restricted_customer_is_not_contacted(app, client, auth, clock, deliver, run_due, sent):  # noqa: F811
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    deliver(("checkouts/create", checkout_of(customer)))
    assert _attempt().status == AttemptStatus.SCHEDULED
    response = _restrict(client, auth, {"email": customer.email.upper()})
    assert response.status_code == 201 and response.get_json()["by_email"] is True
    assert _attempt().status == AttemptStatus.CANCELED and _attempt().reason == "restricted"
    run_due(clock, minutes=31)
    assert sent == []


@pytest.mark.promise("restriction-and-rectification")
def test_the_policy_refuses_a_contact_planned_before_the_restriction(app, clock, deliver, run_due,
                                                                     sent):  # noqa: F811
    shop = make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    deliver(("checkouts/create", checkout_of(customer)))
    # Recorded behind the API's back: the pending contact is not canceled, the policy must refuse it.
    db.session.add(Restriction(shop_id=shop.id, customer_hash=customer_hash(customer.customer_id)))
    db.session.commit()
    run_due(clock, minutes=31)
    assert sent == [] and _attempt().reason == "restricted"


@pytest.mark.promise("restriction-and-rectification")
def test_a_restricted_customers_webhooks_are_not_processed_and_their_data_is_kept(app, client, auth, clock,
                                                                                   deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    deliver(("checkouts/create", checkout_of(customer)))
    assert _restrict(client, auth, {"phone": customer.phone}).status_code == 201
    deliver(("checkouts/update", checkout_of(customer) | {"total_price": "999.00"}),
            ("orders/create", {"id": customer.order_id, "checkout_token": customer.token,
                               "email": customer.email, "total_price": "1.00", "currency": "USD"}))
    db.session.commit()
    checkout = db.session.execute(select(Checkout)).scalar_one()
    assert str(checkout.total_price) == "120.00" and checkout.completed_at is None
    assert db.session.execute(select(Order)).first() is None
    assert found(customer.markers, dump_database()) == customer.markers, "kept as it was"


@pytest.mark.promise("restriction-and-rectification")
def test_lifting_a_restriction_resumes_processing(app, client, auth, clock, deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    created = _restrict(client, auth, {"customer_id": customer.customer_id}).get_json()
    lifted = client.delete(f"/api/restrictions/{created['id']}", headers=auth())
    assert lifted.status_code == 200 and lifted.get_json()["lifted_at"]
    deliver(("checkouts/create", checkout_of(customer)))
    assert _attempt().status == AttemptStatus.SCHEDULED


@pytest.mark.promise("restriction-and-rectification")
def test_erasure_takes_the_restriction_with_the_data(app, client, auth, clock, deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    deliver(("checkouts/create", checkout_of(customer)))
    _restrict(client, auth, {"email": customer.email})
    deliver(("customers/redact", customer.redact_payload()))
    db.session.commit()
    assert db.session.execute(select(Restriction)).first() is None
    assert found(customer.markers, dump_database()) == []


def test_restrictions_are_scoped_to_the_tokens_shop(app, client, auth):
    make_shop()
    make_shop("beta.myshopify.com")
    theirs = _restrict(client, auth, {"customer_id": 5}, shop="beta.myshopify.com").get_json()
    assert client.get("/api/restrictions", headers=auth()).get_json()["items"] == []
    assert client.delete(f"/api/restrictions/{theirs['id']}", headers=auth()).status_code == 404
    assert client.delete("/api/restrictions/" + "9" * 30, headers=auth()).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({}, "customer_id"), ([], "body"), ("x", "body"), ({"customer_id": "12"}, "customer_id"),
    ({"customer_id": True}, "customer_id"), ({"customer_id": -1}, "customer_id"),
    ({"email": "not-an-email"}, "email"), ({"email": "a@" + "x" * 400}, "email"),
    ({"phone": "12"}, "phone"), ({"phone": 2125550123}, "phone"), ({"name": "Ada"}, "name"),
])
def test_a_malformed_restriction_is_a_422_and_saves_nothing(app, client, auth, body, field):
    make_shop()
    response = client.post("/api/restrictions", data=json.dumps(body), headers=auth())
    assert response.status_code == 422 and field in response.get_json()["errors"]
    assert db.session.execute(select(Restriction)).first() is None


def test_an_oversized_restriction_is_a_413(app, client, auth):
    make_shop()
    response = client.post("/api/restrictions", data=json.dumps({"email": "a@b.c", "pad": "x" * 10_000}),
                           headers=auth())
    assert response.status_code == 413


def test_restrictions_need_a_session_token(app, client):
    make_shop()
    assert client.post("/api/restrictions", json={"customer_id": 1}).status_code == 401
    assert client.get("/api/restrictions").status_code == 401
    assert client.delete("/api/restrictions/1").status_code == 401
