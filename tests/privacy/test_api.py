"""GET /api/data-requests(/<id>): session token required, scoped to the token's shop, bad input refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.dbtypes import utcnow
from app.extensions import db
from app.privacy.models import DataRequest
from tests.recovery.conftest import make_shop

pytestmark = pytest.mark.data


@pytest.fixture
def auth(id_token):
    def headers(shop: str = "alpha.myshopify.com", **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {id_token(shop, **claims)}"}

    return headers


def _request(shop, *, days: int = 30, marker: str = "x") -> DataRequest:
    row = DataRequest(shop_id=shop.id, shopify_request_id=marker, record_count=1,
                      export=json.dumps({"format": "f", "shop": shop.domain, "generated_at": "t",
                                         "customer": {}, "records": {"checkouts": [{"email": marker}]}}),
                      expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.promise("access-and-portability")
def test_data_requests_need_a_session_token(app, client):
    make_shop()
    for path in ("/api/data-requests", "/api/data-requests/1"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


@pytest.mark.promise("access-and-portability")
def test_a_forged_session_token_is_refused(app, client, auth):
    make_shop()
    forged = auth(secret="not-the-secret-but-just-as-long-0123456789")
    assert client.get("/api/data-requests", headers=forged).status_code == 401


@pytest.mark.promise("access-and-portability")
def test_data_requests_are_scoped_to_the_tokens_shop(app, client, auth):
    alpha, beta = make_shop(), make_shop("beta.myshopify.com")
    mine, theirs = _request(alpha, marker="alpha-req"), _request(beta, marker="beta-req")
    listing = client.get("/api/data-requests", headers=auth()).get_json()
    assert [item["id"] for item in listing["items"]] == [mine.id]
    assert client.get(f"/api/data-requests/{theirs.id}", headers=auth()).status_code == 404
    own = client.get(f"/api/data-requests/{mine.id}", headers=auth()).get_data(as_text=True)
    assert "alpha-req" in own and "beta-req" not in own


@pytest.mark.promise("retention-24-months")
def test_an_expired_export_is_gone(app, client, auth):
    shop = make_shop()
    row = _request(shop, days=-1)
    assert client.get("/api/data-requests", headers=auth()).get_json()["items"] == []
    assert client.get(f"/api/data-requests/{row.id}", headers=auth()).status_code == 404


@pytest.mark.promise("access-and-portability")
def test_the_export_downloads_as_a_file(app, client, auth):
    row = _request(make_shop())
    response = client.get(f"/api/data-requests/{row.id}?download=1", headers=auth())
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="data-request-{row.id}.json"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json()["export"]["records"]["checkouts"] == [{"email": "x"}]


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=-1", "page=" + "9" * 40])
def test_malformed_paging_is_a_422(app, client, auth, query):
    make_shop()
    response = client.get(f"/api/data-requests?{query}", headers=auth())
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_query"


@pytest.mark.parametrize("path", ["/api/data-requests/abc", "/api/data-requests/-1",
                                  "/api/data-requests/" + "9" * 30])
def test_a_malformed_or_unknown_id_is_a_404(app, client, auth, path):
    make_shop()
    assert client.get(path, headers=auth()).status_code == 404


def test_data_requests_paginate(app, client, auth):
    shop = make_shop()
    rows = [_request(shop, marker=f"r{i}") for i in range(3)]
    first = client.get("/api/data-requests?per_page=2", headers=auth()).get_json()
    assert [i["id"] for i in first["items"]] == [rows[2].id, rows[1].id] and first["next_page"] == 2
    second = client.get("/api/data-requests?per_page=2&page=2", headers=auth()).get_json()
    assert [i["id"] for i in second["items"]] == [rows[0].id] and second["next_page"] is None

