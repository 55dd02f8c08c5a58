"""The /api/ session-token check: every invalid ID token gets 401 with the retry header."""

import time

import pytest

from tests.conftest import API_SECRET

pytestmark = pytest.mark.data
RETRY = "X-Shopify-Retry-Invalid-Session-Request"


def _get(client, token, path="/api/shop"):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(path, headers=headers)


def _assert_unauthorized(response):
    assert response.status_code == 401
    assert response.headers[RETRY] == "1"


def test_valid_token_reads_its_own_shop(client, installed_shop, id_token):
    installed_shop()
    response = _get(client, id_token())
    assert response.status_code == 200
    assert response.json["domain"] == "alpha.myshopify.com"
    assert response.json["name"] == "Alpha Goods"


def test_missing_authorization_gets_401(client, installed_shop):
    installed_shop()
    _assert_unauthorized(_get(client, None))
    _assert_unauthorized(client.get("/api/shop", headers={"Authorization": "Basic abc"}))


def test_bad_signature_gets_401(client, installed_shop, id_token):
    installed_shop()
    _assert_unauthorized(_get(client, id_token(secret="some-other-secret-0123456789abcdef")))


def test_wrong_aud_gets_401(client, installed_shop, id_token):
    installed_shop()
    _assert_unauthorized(_get(client, id_token(aud="another-app")))


def test_expired_beyond_leeway_gets_401(client, installed_shop, id_token):
    installed_shop()
    now = int(time.time())
    _assert_unauthorized(_get(client, id_token(exp=now - 30, iat=now - 90, nbf=now - 90)))


def test_expired_within_leeway_is_accepted(client, installed_shop, id_token):
    installed_shop()
    now = int(time.time())
    assert _get(client, id_token(exp=now - 5, iat=now - 65, nbf=now - 65)).status_code == 200


@pytest.mark.parametrize("dest", ["https://evil.com", "https://alpha.myshopify.com.evil.com",
                                  "alpha.myshopify.com", "http://alpha.myshopify.com", ""])
def test_dest_not_a_shop_gets_401(client, installed_shop, id_token, dest):
    installed_shop()
    _assert_unauthorized(_get(client, id_token(dest=dest)))


def test_token_without_exp_gets_401(client, installed_shop, id_token):
    installed_shop()
    _assert_unauthorized(_get(client, id_token(exp=None)))


def test_garbage_token_gets_401(client, installed_shop):
    installed_shop()
    for junk in ("x", "a.b.c", "eyJhbGciOiJub25lIn0.eyJkZXN0IjoiaHR0cHM6Ly9hbHBoYS5teXNob3BpZnkuY29tIn0.",
                 "Bearer " + "A" * 5000):
        _assert_unauthorized(_get(client, junk))


def test_alg_none_token_gets_401(client, installed_shop):
    import jwt

    installed_shop()
    token = jwt.encode({"dest": "https://alpha.myshopify.com", "aud": "test-api-key",
                        "exp": int(time.time()) + 60}, key=None, algorithm="none")
    _assert_unauthorized(_get(client, token))


def test_shop_not_installed_gets_403(client, id_token):
    response = _get(client, id_token("beta.myshopify.com"))
    assert response.status_code == 403


def test_shop_a_token_never_reads_shop_b(client, installed_shop, id_token):
    installed_shop("alpha.myshopify.com")
    installed_shop("beta.myshopify.com")
    assert _get(client, id_token("alpha.myshopify.com")).json["domain"] == "alpha.myshopify.com"
    assert _get(client, id_token("beta.myshopify.com")).json["domain"] == "beta.myshopify.com"


def test_old_secret_token_is_accepted_during_rotation(client, installed_shop, id_token):
    from tests.conftest import OLD_API_SECRET

    installed_shop()
    assert _get(client, id_token(secret=OLD_API_SECRET)).status_code == 200
    assert API_SECRET != OLD_API_SECRET


def test_openapi_document_lists_the_api(client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/api/shop", "/api/settings"} <= set(doc["paths"])
    assert "put" in doc["paths"]["/api/settings"]
    assert "401" in doc["paths"]["/api/shop"]["get"]["responses"]
