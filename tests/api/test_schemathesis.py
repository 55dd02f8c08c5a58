"""Every operation of /api/openapi.json, fed what its schema allows (schemathesis): never a 5xx, and
every answer matches the schema the document gives for it."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.recovery.conftest import (  # noqa: F401 - fixtures
    checkout_payload,
    clock,
    deliver,
    make_shop,
    order_payload,
    shopper,
)

pytestmark = pytest.mark.data
EXAMPLES = 15


def test_the_api_answers_what_its_document_says(app, id_token, clock, deliver):  # noqa: F811
    make_shop()
    # Rows in every list, so item schemas are checked too, not only empty pages.
    deliver(("checkouts/create", checkout_payload("tok-1", **shopper(1))),
            ("checkouts/create", checkout_payload("tok-2", consent="no", **shopper(2))),
            ("orders/create", order_payload(checkout_token="tok-2", email=shopper(2)["email"])))
    headers = {"Authorization": f"Bearer {id_token()}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15, "the document lists the API"
    failures = {}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            conforms()
        except Exception as exc:  # noqa: BLE001 - every operation's failure is reported together
            failures[operation.label] = str(exc)[:2000]
    assert failures == {}
