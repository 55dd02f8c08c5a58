"""Every GET endpoint of the OpenAPI document, present and future, answers shop A without shop B's rows.

The endpoints are read from /api/openapi.json, so a new one is covered the day it is documented. A path
with parameters is called with the ids of B's rows (it must answer 404: B's row is not A's); a path
without is called with every filter it documents set to B's values, and must answer exactly what it
answered before B had any data, with none of B's markers in it.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from app.consent.queries import suppress
from app.consent.suppression import phone_hash
from app.crypto import lookup_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.privacy.models import DataRequest, Restriction
from app.recovery.models import Checkout, ContactAttempt, Order, Recovery
from app.sms.models import Message
from app.voice.models import Call
from tests.recovery import conftest as recovery
from tests.recovery.conftest import T0, checkout_payload, configure, make_shop

pytestmark = pytest.mark.data
# The recovery fixtures: their conftest is not above this directory.
clock, deliver = recovery.clock, recovery.deliver

ALPHA, BETA = "alpha.myshopify.com", "beta.myshopify.com"
B_TOKEN = "beta-secret-tok"
B_PHONE = "+12125559876"
B_EMAIL = "beta-secret@example.com"
B_REVENUE = "999.00"
# Strings only shop B's rows carry: none may reach shop A.
MARKERS = (B_TOKEN, "beta-secret message", "beta-secret-source", "beta-secret-request", "beta-secret store",
           B_PHONE.removeprefix("+1"), B_REVENUE)
_PARAMETER = re.compile(r"\{(\w+)\}")
# Query parameters that name no record: a cursor, the country a national phone is read in.
_NOT_FILTERS = frozenset({"page", "country"})


def _get_operations(client) -> dict[str, dict]:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    return {path: item["get"] for path, item in sorted(paths.items()) if "get" in item}


def _filled(path: str, values: dict[str, dict[str, object]]) -> str:
    """The path with its parameters set to shop B's row; fails for a path nobody taught this test."""
    if path not in values:
        pytest.fail(f"{path} takes {_PARAMETER.findall(path)}: add the id of a row of shop B's for it to "
                    "`_b_rows` in tests/api/test_tenant_isolation.py, so that its isolation is proven")
    return _PARAMETER.sub(lambda match: str(values[path][match.group(1)]), path)


def _filter_variants(path: str, operation: dict) -> list[str]:
    """The path alone, then with each string filter it documents set to shop B's values."""
    urls = [path]
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        free_text = schema.get("type") == "string" and "enum" not in schema and "format" not in schema
        if parameter.get("in") == "query" and free_text and parameter["name"] not in _NOT_FILTERS:
            value = B_PHONE if parameter["name"] == "phone" else B_TOKEN
            urls.append(f"{path}?{urlencode({parameter['name']: value})}")
    return urls


def _answer(client, id_token, url: str, shop: str = ALPHA) -> tuple[int, str]:
    response = client.get(url, headers={"Authorization": f"Bearer {id_token(shop)}"})
    return response.status_code, response.get_data(as_text=True)


def _b_rows(beta, deliver) -> dict[str, dict[str, object]]:
    """Shop B's records of every kind the API shows, marked; returns the path parameters naming them."""
    deliver(("checkouts/create", checkout_payload(B_TOKEN, phone=B_PHONE, email=B_EMAIL)), shop=BETA)
    checkout = db.session.query(Checkout).filter_by(shop_id=beta.id, token=B_TOKEN).one()
    attempt = db.session.query(ContactAttempt).filter_by(checkout_id=checkout.id).one()
    call = Call(shop_id=beta.id, checkout_id=checkout.id, attempt_id=attempt.id, status="completed",
                outcome="declined", phone=B_PHONE, phone_hash=phone_hash(B_PHONE))
    message = Message(shop_id=beta.id, checkout_id=checkout.id, attempt_id=attempt.id, kind="recovery",
                      phone=B_PHONE, phone_hash=phone_hash(B_PHONE), body="beta-secret message",
                      status="delivered")
    order = Order(shop_id=beta.id, shopify_id=424242, checkout_token=B_TOKEN, checkout_id=checkout.id,
                  ordered_at=T0 + timedelta(hours=1), total_price=Decimal(B_REVENUE), currency="EUR")
    data_request = DataRequest(shop_id=beta.id, shopify_request_id="beta-secret-request", record_count=1,
                               export=json.dumps({"marker": "beta-secret-request"}),
                               expires_at=utcnow() + timedelta(days=30))
    db.session.add_all([call, message, order, data_request,
                        Restriction(shop_id=beta.id, email_hash=lookup_hash(B_EMAIL))])
    db.session.flush()
    db.session.add(Recovery(shop_id=beta.id, checkout_id=checkout.id, order_id=order.id,
                            attempt_id=attempt.id, channel="call", match_kind="checkout_token", holdout=False,
                            touched_at=T0, ordered_at=order.ordered_at, revenue=order.total_price,
                            currency="EUR"))
    # Shop-scoped: a sender-wide SMS opt-out binds every shop by design (contract), so it is no leak.
    suppress(beta.id, "+12125550111", channel="all", reason="merchant", source="beta-secret-source")
    db.session.commit()
    configure(beta, store_display_name="beta-secret store")
    return {"/api/calls/{id}": {"id": call.id}, "/api/calls/{id}/recording": {"id": call.id},
            "/api/checkouts/{token}": {"token": B_TOKEN}, "/api/data-requests/{id}": {"id": data_request.id}}


def test_no_get_endpoint_shows_shop_a_anything_of_shop_bs(client, id_token, app, clock, deliver):
    make_shop(ALPHA)
    beta = make_shop(BETA)
    operations = _get_operations(client)
    listed = {path: op for path, op in operations.items() if not _PARAMETER.search(path)}
    before = {url: _answer(client, id_token, url) for path, op in listed.items()
              for url in _filter_variants(path, op)}

    rows = _b_rows(beta, deliver)

    for url, answer in before.items():
        after = _answer(client, id_token, url)
        assert after == answer, f"{url}: shop B's data changed what shop A is shown"
        leaked = [marker for marker in MARKERS if marker in after[1]]
        assert not leaked, f"{url}: shop A was shown {leaked}"
    for path, op in operations.items():
        if path in listed:
            continue
        url = _filled(path, rows)
        status, body = _answer(client, id_token, url)
        assert status == 404, f"{url}: shop A got {status} for shop B's row"
        assert not [marker for marker in MARKERS if marker in body]
        if "application/json" in op["responses"]["200"].get("content", {}):
            assert _answer(client, id_token, url, BETA)[0] == 200, f"{url} is not shop B's row: fix `_b_rows`"
    # The seed is visible through the API to its own shop, so its absence above means something.
    seen_by_b = "".join(_answer(client, id_token, url, BETA)[1] for url in before)
    assert [marker for marker in MARKERS if marker not in seen_by_b] == []


def test_a_path_parameter_nobody_filled_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match="add the id of a row of shop B's"):
        _filled("/api/widgets/{id}", {})
